// Expand an iCalendar feed (stdin) with ical.js, the parser Thunderbird uses.
// Usage: node expand.mjs <window start ISO> <window end ISO> < feed.ics
// Prints a JSON list of occurrences: uid, start and end (UTC ISO), summary, location, status.
import { readFileSync } from "node:fs";
import ICAL from "ical.js";

const [windowStart, windowEnd] = process.argv.slice(2).map((s) => new Date(s));
const root = new ICAL.Component(ICAL.parse(readFileSync(0, "utf8")));

for (const vtimezone of root.getAllSubcomponents("vtimezone")) {
  ICAL.TimezoneService.register(new ICAL.Timezone(vtimezone));
}

const masters = new Map();
const exceptions = [];
for (const vevent of root.getAllSubcomponents("vevent")) {
  // Related by UID below, as calendar clients do: left alone, ICAL.Event relates every
  // RECURRENCE-ID component of the whole calendar to each master, whatever its UID.
  const event = new ICAL.Event(vevent, { strictExceptions: true, exceptions: [] });
  if (event.isRecurrenceException()) exceptions.push(event);
  else masters.set(event.uid, event);
}
for (const exception of exceptions) masters.get(exception.uid).relateException(exception);

const occurrences = [];
function add(item, start, end) {
  const s = start.toJSDate(), e = end.toJSDate();
  if (s >= windowEnd || e <= windowStart) return;
  occurrences.push({
    uid: item.uid,
    start: s.toISOString(),
    end: e.toISOString(),
    summary: item.summary,
    location: item.location ?? null,
    status: item.component.getFirstPropertyValue("status"),
  });
}

for (const event of masters.values()) {
  if (!event.isRecurring()) {
    add(event, event.startDate, event.endDate);
    continue;
  }
  const iterator = event.iterator();
  for (let next = iterator.next(); next; next = iterator.next()) {
    const details = event.getOccurrenceDetails(next);
    if (details.recurrenceId.toJSDate() > windowEnd && details.startDate.toJSDate() > windowEnd) break;
    add(details.item, details.startDate, details.endDate);
  }
}
occurrences.sort((a, b) => (a.start + a.uid).localeCompare(b.start + b.uid));
process.stdout.write(JSON.stringify(occurrences));
