// Parse an .ics from stdin with Mozilla's ical.js and print the events as JSON.
//
// An independent second parser for tests/invites/test_calendar.py. ical.js ships
// no timezone database, so local TZID times can only be converted with the
// VTIMEZONE inside the file: that is exactly what we want to check.
import ICAL from "ical.js";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const root = new ICAL.Component(ICAL.parse(Buffer.concat(chunks).toString("utf8")));

// Register before reading any date value: ical.js resolves TZID lazily.
const tzids = [];
for (const vtz of root.getAllSubcomponents("vtimezone")) {
  const tz = new ICAL.Timezone(vtz);
  ICAL.TimezoneService.register(tz, tz.tzid);
  tzids.push(tz.tzid);
}

const text = (comp, name) => {
  const value = comp.getFirstPropertyValue(name);
  return value === null ? null : String(value);
};

function time(comp, name) {
  const prop = comp.getFirstProperty(name);
  if (!prop) return null;
  const value = prop.getFirstValue();
  return {
    utc: new Date(value.toUnixTime() * 1000).toISOString(),
    local: value.toString(),
    tzid: prop.getParameter("tzid") ?? null,
    zone: value.zone ? value.zone.tzid : null,
  };
}

function address(prop) {
  return { value: String(prop.getFirstValue()), params: prop.toJSON()[1] };
}

const events = root.getAllSubcomponents("vevent").map((ev) => ({
  uid: text(ev, "uid"),
  sequence: ev.getFirstPropertyValue("sequence"),
  summary: text(ev, "summary"),
  description: text(ev, "description"),
  location: text(ev, "location"),
  url: text(ev, "url"),
  status: text(ev, "status"),
  dtstamp: time(ev, "dtstamp"),
  last_modified: time(ev, "last-modified"),
  dtstart: time(ev, "dtstart"),
  dtend: time(ev, "dtend"),
  organizer: ev.getFirstProperty("organizer") ? address(ev.getFirstProperty("organizer")) : null,
  attendees: ev.getAllProperties("attendee").map(address),
  alarms: ev.getAllSubcomponents("valarm").map((alarm) => ({
    action: text(alarm, "action"),
    trigger: text(alarm, "trigger"),
    description: text(alarm, "description"),
  })),
}));

console.log(
  JSON.stringify({
    method: text(root, "method"),
    version: text(root, "version"),
    prodid: text(root, "prodid"),
    calscale: text(root, "calscale"),
    "x-wr-calname": text(root, "x-wr-calname"),
    name: text(root, "name"),
    "x-wr-timezone": text(root, "x-wr-timezone"),
    "refresh-interval": text(root, "refresh-interval"),
    "x-published-ttl": text(root, "x-published-ttl"),
    timezones: tzids,
    events,
  }),
);
