// List every VEVENT of an iCalendar file (stdin) as ical.js reads it, one by one (no expansion):
// the file the sessions service exports holds single occurrences, never a rule.
// Usage: node instances.mjs < file.ics
// Prints JSON: {events: [{uid, recurrenceId, start, end (UTC ISO), summary, status, sequence, tzid}], zones: [...]}.
import { readFileSync } from "node:fs";
import ICAL from "ical.js";

const root = new ICAL.Component(ICAL.parse(readFileSync(0, "utf8")));
const zones = [];
for (const vtimezone of root.getAllSubcomponents("vtimezone")) {
  const zone = new ICAL.Timezone(vtimezone);
  ICAL.TimezoneService.register(zone);
  zones.push(zone.tzid);
}
const events = root.getAllSubcomponents("vevent").map((vevent) => {
  const event = new ICAL.Event(vevent);
  return {
    uid: event.uid,
    recurrenceId: event.recurrenceId ? event.recurrenceId.toJSDate().toISOString() : null,
    start: event.startDate.toJSDate().toISOString(),
    end: event.endDate.toJSDate().toISOString(),
    tzid: event.startDate.zone ? event.startDate.zone.tzid : null,
    summary: event.summary,
    status: vevent.getFirstPropertyValue("status"),
    sequence: event.sequence,
  };
});
process.stdout.write(JSON.stringify({ events, zones }));
