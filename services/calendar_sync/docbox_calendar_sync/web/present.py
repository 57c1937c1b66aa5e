"""How the faculty pages say things: times in the program's zone, formats and places in words.

Vocabulary:

- *place*: where a person goes: the room (in person), "Online" (virtual), or
  both (hybrid). The video link itself is never printed on a public page: it
  is for the people who subscribed, and reaches them only through their
  personal feed (URL and description of each event) or a reminder email.
- *one-click links*: addresses that open a calendar app's own "subscribe to
  this URL" screen with the feed filled in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import quote

import segno

from docbox_shared import recurrence

FORMAT_LABELS = {"in_person": "In person", "virtual": "Online", "hybrid": "In person and online"}


@dataclass(frozen=True)
class ShownOccurrence:
    """One occurrence as a program page lists it."""

    id: str             # the occurrence id: its page is /programs/<slug>/sessions/<id>
    day: date
    when: str           # "19:00–20:30 CET"
    title: str
    format: str         # the CSS modifier: in_person, virtual, hybrid
    format_label: str
    place: str
    cancelled: bool
    moved_from: str | None  # "Tue 3 Feb, 19:00" when the organizer moved it
    description: str = ""
    cancel_reason: str | None = None  # the organizer's few words on why, for a cancelled one


def long_day(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def _short(moment: datetime) -> str:
    return f"{moment:%a} {moment.day} {moment:%b}, {moment:%H:%M}"


def place(occ: recurrence.Occurrence) -> str:
    room = (occ.location or "").strip()
    if occ.format == "virtual":
        return "Online"
    if occ.format == "hybrid":
        return f"{room} or online" if room else "Online (room to be announced)"
    return room or "Room to be announced"


def shown(occ: recurrence.Occurrence, tz_name: str) -> ShownOccurrence:
    """An occurrence in the program's zone (the zone its faculty plan in)."""
    tz = recurrence.zone(tz_name)
    start, end = occ.start.astimezone(tz), occ.end.astimezone(tz)
    # Each end in its own offset when a clock change falls inside (01:30 CET–03:30 CEST is one hour).
    when = f"{start:%H:%M}–" if start.utcoffset() == end.utcoffset() else f"{start:%H:%M} {start.tzname()}–"
    if end.date() != start.date():
        when += f"{end:%a} {end.day} {end:%b} "
    when += f"{end:%H:%M} {end.tzname()}"
    moved_from = None
    if occ.moved and occ.original_start is not None:
        moved_from = _short(occ.original_start.astimezone(tz))
    return ShownOccurrence(id=occ.id, day=start.date(), when=when, title=occ.title, format=occ.format,
                           format_label=FORMAT_LABELS.get(occ.format, occ.format), place=place(occ),
                           cancelled=occ.status == "cancelled", moved_from=moved_from,
                           description=(occ.description or "").strip(), cancel_reason=occ.cancel_reason)


def by_day(occurrences: list[ShownOccurrence]) -> list[tuple[str, list[ShownOccurrence]]]:
    days: dict[date, list[ShownOccurrence]] = {}
    for occ in occurrences:
        days.setdefault(occ.day, []).append(occ)
    return [(long_day(day), items) for day, items in sorted(days.items())]


def by_month(occurrences: list[ShownOccurrence], first: date, last: date
             ) -> list[tuple[str, list[tuple[str, list[ShownOccurrence]]]]]:
    """Every month from ``first`` to ``last`` with its days, so a month with nothing planned is
    listed too (empty) and the page can say so rather than skip it."""
    months, month = [], first.replace(day=1)
    while month <= last:
        in_month = [o for o in occurrences if (o.day.year, o.day.month) == (month.year, month.month)]
        months.append((f"{month:%B %Y}", by_day(in_month)))
        month = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
    return months


def one_click(url: str, webcal_url: str) -> dict[str, str]:
    """Links that open each calendar app's "subscribe" screen with the feed filled in."""
    return {
        "google": "https://calendar.google.com/calendar/r?cid=" + quote(webcal_url, safe=""),
        "outlook": "https://outlook.live.com/calendar/0/addfromweb?url=" + quote(url, safe=""),
        "office365": "https://outlook.office.com/calendar/0/addfromweb?url=" + quote(url, safe=""),
        "apple": webcal_url,
    }


def qr_svg(url: str) -> str:
    """A QR code of ``url`` as inline SVG (drawn here, no script, no image request).

    It encodes the https address: every phone camera opens it (iPhone Safari
    then offers to subscribe), while ``webcal://`` has no handler on most
    Android phones.
    """
    code = segno.make(url, error="m")
    svg = code.svg_inline(scale=4, dark="#000", light="#fff", svgclass="qr", omitsize=True,
                          title="QR code of your calendar feed address")
    return svg.replace("<svg ", '<svg role="img" aria-label="QR code of your calendar feed address" ', 1)
