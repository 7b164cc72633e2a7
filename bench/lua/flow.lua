-- The parent's booking flow, each thread one parent after another on its own slot:
-- GET the form, POST it (Continue), GET the check page, POST Confirm, GET the
-- confirmation.  Cookies and CSRF tokens are carried as a browser would; each parent
-- starts with a new browser (no cookie).
-- Arguments: a run tag (keeps emails unique across runs), then the slot ids.
local run, slots, slot = "run", {}, nil
local step, cookie, csrf, submission, parents = 0, nil, nil, nil, 0
local FORM = "application/x-www-form-urlencoded"

function init(args)
  run = args[1]
  for i = 2, #args do
    slots[#slots + 1] = args[i]
  end
  slot = slots[(id - 1) % #slots + 1]
end

local function encode(text)
  return (text:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", c:byte()) end))
end

local function headers(form)
  local h = {}
  if cookie then h["Cookie"] = cookie end
  if form then h["Content-Type"] = FORM end
  return h
end

function request()
  local base = "/book/" .. slot
  if step == 0 then
    return wrk.format("GET", base, headers(false))
  elseif step == 1 then
    parents = parents + 1
    local email = "p" .. run .. "-" .. id .. "-" .. parents .. "@bench.example.net"
    local body = "csrf_token=" .. encode(csrf) .. "&parent_name=Bench+Parent&email=" ..
      encode(email) .. "&child_years=Year+4&topics=roblox&consent=y"
    return wrk.format("POST", base, headers(true), body)
  elseif step == 2 then
    return wrk.format("GET", base .. "/check", headers(false))
  elseif step == 3 then
    local body = "csrf_token=" .. encode(csrf) .. "&submission_id=" .. encode(submission)
    return wrk.format("POST", base .. "/check", headers(true), body)
  end
  return wrk.format("GET", "/book/confirmation", headers(false))
end

local function token(body, name)
  return body:match('name="' .. name .. '"[^>]*value="([^"]+)"')
end

function response(status, response_headers, body)
  local set = response_headers["Set-Cookie"] or response_headers["set-cookie"]
  if set then cookie = set:match("^([^;]+)") end
  local location = response_headers["Location"] or response_headers["location"] or ""
  local ok
  if step == 0 then
    csrf = token(body, "csrf_token")
    ok = status == 200 and csrf ~= nil
  elseif step == 1 then
    ok = status == 302 and location:find("/check$") ~= nil
  elseif step == 2 then
    csrf, submission = token(body, "csrf_token"), token(body, "submission_id")
    ok = status == 200 and csrf ~= nil and submission ~= nil
  elseif step == 3 then
    ok = status == 302 and location:find("/book/confirmation") ~= nil
  else
    ok = status == 200 and body:find("Check your email") ~= nil
  end
  if ok then
    step = (step + 1) % 5
    -- the next parent comes with a browser of its own (a session remembers what it booked)
    if step == 0 then cookie = nil end
  else
    bad = bad + 1
    step, cookie = 0, nil
  end
end
