-- One page, again and again: anything but a 200 is counted as wrong.
function response(status, headers, body)
  if status ~= 200 then
    bad = bad + 1
  end
end
