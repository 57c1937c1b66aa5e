"""The messages: what a subscriber receives, and nothing more.

Each message goes to one recipient. It carries a fresh capability token
(stored hashed, see :mod:`docbox_shared.tokens`) in its manage link and in the RFC 8058
one-click unsubscribe headers. The subject is neutral and set per program
(``email_subject``, where ``{date}`` stands for the date; default
``<program name> — <date>``); the body gives time in the program's zone,
place or video link, and the program's "what to expect" and contact address
when it has them (a reminder; a notice gives the contact only). No names, no
list of who else follows, no images.

Invitations: one identity per session in every calendar. A message about a
one-off session attaches an iTIP ``METHOD:REQUEST`` (cancellations
``METHOD:CANCEL``) with the feed's own UID and SEQUENCE (``docbox-session-<id>``,
:mod:`docbox_shared.uids`, and the entry's version), so a calendar holding
the feed and the invitation shows the session once and an accepted
invitation updates itself. A series occurrence gets no invitation: the feed
has it under the series' UID, and a split gives the continuation a new one,
so no per-occurrence invitation could stay one entry with it; the message
links to the program's calendar (subscribe page) instead. The MIME ``method``
parameter repeats the iCalendar METHOD, as iTIP over email (RFC 6047) asks, and
the calendar is an inline alternative of the text plus the same as a file
(:func:`.mime.compose`): the structure Google Calendar sends and Outlook shows
its accept bar for.

Change notices show the new time and place and, where they changed, what
they were (``previous`` of the occurrence record). A cancellation shows the
organizer's reason when one was given; a restore ("takes place after all")
goes to those who were told of the cancellation.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime, timedelta
from email.utils import format_datetime, parseaddr
from urllib.parse import quote

from flask import current_app
from sqlalchemy import delete, select

from docbox_shared import recurrence, vtimezone
from docbox_shared.clock import UTC, aware
from docbox_shared.tokens import hash_token, new_token
from docbox_shared.uids import uid_for

from . import mime
from .models import Delivery, DigestLine, Entry, Link, OccurrenceRecord, Subscriber, db, inbox

CONFIRM_DAYS = 7
_PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+")


@dataclasses.dataclass
class Shown:
    """One occurrence as a message shows it."""

    occurrence_id: str
    entry_kind: str            # "session" or "series"
    entry_id: str
    version: int               # the entry's version: the feed's SEQUENCE
    program_slug: str
    title: str
    program_name: str
    subject: str
    start: datetime            # aware, in the program's zone
    end: datetime
    timezone: str
    location: str | None
    video_url: str | None
    description: str
    sequence: int
    previous: Shown | None = None   # time and place before the change a notice is about
    cancel_reason: str | None = None  # the organizer's few words on why it was cancelled
    what_to_expect: str = ""        # the program's, plain text
    contact_email: str | None = None  # the program's address for questions


def url(path: str) -> str:
    return current_app.config["PUBLIC_URL"].rstrip("/") + path


def new_link(sub: Subscriber, purpose: str, now: datetime) -> str:
    """A fresh capability token for ``sub``; only its hash is stored."""
    token = new_token()
    expires = now + timedelta(days=CONFIRM_DAYS) if purpose == "confirm" else None
    db.session.add(Link(token_hash=hash_token(token), subscriber_id=sub.id, purpose=purpose,
                        created_at=now, expires_at=expires))
    return token


def program_state(program_id: str) -> dict:
    return inbox.program_data(program_id)


def format_day(start: datetime) -> str:
    return f"{start:%A} {start.day} {start:%B %Y}"


def subject_for(program: dict, start: datetime) -> str:
    day = format_day(start)
    template = program.get("email_subject")
    if template:
        return template.replace("{date}", day)
    return f"{program.get('name') or 'Session'} — {day}"


def shown(record: OccurrenceRecord) -> Shown:
    entry = db.session.get(Entry, (record.entry_kind, record.entry_id))
    state = entry.state
    start = aware(record.start_at)
    match = [o for o in recurrence.expand(entry.kind, state, start - timedelta(days=1), start + timedelta(days=1))
             if o.id == record.live_id]
    tz = recurrence.zone(state["timezone"])
    reason = None
    if match:
        occ = match[0]
        start, end, location, video, reason = occ.start, occ.end, occ.location, occ.video_url, occ.cancel_reason
    elif record.announced:  # gone from the series: show what was announced
        start, end, location, video = _place(record.announced, tz)
    else:
        start, end = start.astimezone(tz), aware(record.end_at).astimezone(tz)
        location, video = state.get("location"), state.get("video_url")
    program = program_state(record.program_id)
    result = Shown(occurrence_id=record.occurrence_id, entry_kind=entry.kind, entry_id=entry.entry_id,
                   version=entry.version, program_slug=program.get("slug") or record.program_id,
                   title=state["title"], program_name=program.get("name", ""), subject=subject_for(program, start),
                   start=start, end=end, timezone=state["timezone"], location=location, video_url=video,
                   description=state.get("description", ""), sequence=record.sequence, cancel_reason=reason,
                   what_to_expect=(program.get("what_to_expect") or "").strip(),
                   contact_email=program.get("contact_email") or None)
    if record.previous:
        before_start, before_end, before_location, before_video = _place(record.previous, tz)
        result.previous = dataclasses.replace(result, start=before_start, end=before_end,
                                              location=before_location, video_url=before_video)
    return result


def _place(values: dict, tz) -> tuple[datetime, datetime, str | None, str | None]:
    """``(start, end, location, video_url)`` of an occurrence record's ``announced``/``previous``."""
    return (datetime.fromisoformat(values["start"]).astimezone(tz), datetime.fromisoformat(values["end"]).astimezone(tz),
            values.get("location"), values.get("video_url"))


def calendar_url(s: Shown) -> str:
    """The program's subscribe page in calendar_sync: its feed holds every session of the series."""
    return (current_app.config["CALENDAR_SYNC_URL"].rstrip("/") + "/subscribe?programs="
            + quote(s.program_slug, safe=""))


def when_text(s: Shown) -> str:
    """``Sunday 7 November 2027, 01:30–02:30 (America/New_York)``; with zone abbreviations
    (``01:30 EDT–01:30 EST``) when a clock change makes a wall time name two instants or none."""
    clock = "%H:%M"
    if s.start.utcoffset() != s.end.utcoffset() or vtimezone.unambiguous(s.start) is not s.start \
            or vtimezone.unambiguous(s.end) is not s.end:
        clock = "%H:%M %Z"
    return f"{format_day(s.start)}, {s.start.strftime(clock)}–{s.end.strftime(clock)} ({s.timezone})"


def where_lines(s: Shown) -> list[str]:
    lines = []
    if s.location:
        lines.append(f"Where: {s.location}")
    if s.video_url:
        lines.append(f"Video link: {s.video_url}")
    return lines


def invitation(s: Shown, method: str, recipient: str, now: datetime, cache: dict | None = None) -> tuple[str, ...]:
    """The iTIP calendar for one recipient, in chunks (:func:`.mime.text_part`): built once per occurrence,
    method and minute (its DTSTAMP), with each recipient's ATTENDEE line between the cached text's chunks."""
    cache = {} if cache is None else cache
    stamp = now.replace(second=0, microsecond=0)   # DTSTAMP: when this iTIP message was made, to the minute
    key = ("invitation", s.occurrence_id, s.sequence, s.entry_id, s.version, method, stamp)
    if key not in cache:
        head, tail = _calendar(s, method, stamp, cache).split("END:VEVENT\r\n", 1)
        cache[key] = mime.Shared(head), mime.Shared("END:VEVENT\r\n" + tail)
    head, tail = cache[key]
    return head, attendee_line(recipient), tail


def attendee_line(recipient: str) -> str:
    """iTIP wants the recipient as ATTENDEE; only this recipient, and no reply is asked for (folded, CRLF).

    A plain address is written straight into the line icalendar would write
    (it needs no quoting); anything else goes through icalendar's own encoding.
    """
    from icalendar import Event, vCalAddress
    from icalendar.parser import Contentline
    if _PLAIN_ADDRESS.fullmatch(recipient):
        line = f"ATTENDEE;ROLE=OPT-PARTICIPANT;RSVP=FALSE:mailto:{recipient}"
        if len(line) <= 75:   # ASCII within RFC 5545's 75 octets: nothing to fold
            return line + "\r\n"
        return Contentline(line).to_ical().decode() + "\r\n"
    event = Event()
    attendee = vCalAddress(f"mailto:{recipient}")
    attendee.params["rsvp"] = "FALSE"
    attendee.params["role"] = "OPT-PARTICIPANT"
    event.add("attendee", attendee)
    return event.to_ical().decode().removeprefix("BEGIN:VEVENT\r\n").removesuffix("END:VEVENT\r\n")


def _calendar(s: Shown, method: str, now: datetime, cache: dict) -> str:
    # icalendar (about 3 MB) is imported by the mail worker that builds invitations, not by the web workers.
    from icalendar import Calendar, Event, vCalAddress
    cal = Calendar()
    cal.add("prodid", "-//Doc Box//notifications//EN")
    cal.add("version", "2.0")
    cal.add("method", method)
    event = Event()
    event.add("uid", uid_for(s.entry_kind, s.entry_id))   # the feed's entry: one identity
    event.add("sequence", s.version)
    event.add("dtstamp", now.astimezone(UTC))
    event.add("dtstart", vtimezone.unambiguous(s.start))  # UTC where a clock change repeats the wall time
    event.add("dtend", vtimezone.unambiguous(s.end))
    event.add("summary", s.title)
    if s.location:
        event.add("location", s.location)
    if s.video_url:
        event.add("url", s.video_url)
    reason = [f"Cancelled: {s.cancel_reason}"] if method == "CANCEL" and s.cancel_reason else []
    event.add("description", "\n".join(filter(None, [*reason, s.description, *where_lines(s)])))
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    name, address = parseaddr(current_app.config["MAIL_FROM"])
    organizer = vCalAddress(f"mailto:{address}")
    if name:
        organizer.params["cn"] = name
    event.add("organizer", organizer)
    cal.add_component(event)
    # VTIMEZONE: the one builder of feeds and CalDAV objects (yearly rules; see docbox_shared.vtimezone).
    zone_key = ("vtimezone", s.timezone, s.start.year, s.end.year)
    if zone_key not in cache:
        cache[zone_key] = vtimezone.vtimezone(s.timezone, s.start.year, s.end.year)
    cal.subcomponents.insert(0, cache[zone_key])
    return cal.to_ical().decode()


def build(row: Delivery, sub: Subscriber, now: datetime, cache: dict | None = None,
          manage_token: str | None = None) -> bytes:
    """The message for one delivery row, as sent (:mod:`.mime`); adds the link rows its tokens need (not committed).

    ``cache`` (one worker pass) keeps what every recipient of an occurrence
    shares, keyed by occurrence and sequence, so a change is never missed:
    its text and invitation are encoded once (:class:`.mime.Shared`), and
    each message adds its own links and attendee line.
    ``manage_token``: one the worker stored for this message already (else one is made here).
    """
    cache = {} if cache is None else cache
    manage_token = manage_token or new_link(sub, "manage", now)
    manage_url, unsubscribe_url = url(f"/manage/{manage_token}"), url(f"/unsubscribe/{manage_token}")
    footer = "\n".join(["", "--", f"Change programs or reminder times, or delete your data: {manage_url}",
                         f"Unsubscribe from all Doc Box email: {unsubscribe_url}"]) + "\n"
    ics = None
    if row.kind in ("confirm", "digest"):
        subject, lines = confirm_text(sub, now) if row.kind == "confirm" else digest_text(row, sub, now)
        text = ("\n".join(lines) + "\n", footer)
    else:
        record = db.session.get(OccurrenceRecord, row.occurrence_id)
        key = (record.occurrence_id, record.sequence, record.entry_id)
        if key not in cache:
            cache[key] = shown(record)
        s = cache[key]
        if (key, row.kind) not in cache:   # the text every recipient of this notice shares, encoded once
            subject, lines, method = occurrence_text(row, s)
            cache[key, row.kind] = subject, mime.Shared("\n".join(lines) + "\n"), method
        subject, shared, method = cache[key, row.kind]
        text = (shared, footer)
        if s.entry_kind == "session":
            ics = (invitation(s, method, sub.email, now, cache),
                   "invite.ics" if method == "REQUEST" else "cancel.ics", method)
    headers = [("From", current_app.config["MAIL_FROM"]), ("To", sub.email), ("Subject", subject),
               ("Date", format_datetime(now.astimezone(UTC))), ("Message-ID", row.message_id),
               ("Auto-Submitted", "auto-generated"), ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")]
    return mime.compose(headers, [("List-Unsubscribe", list_unsubscribe(unsubscribe_url))], text, ics)


def list_unsubscribe(unsubscribe_url: str) -> str:
    """The RFC 2369/8058 value: the URL as it is, in angle brackets, for any length.

    The email package folds a header line longer than 78 characters, and a
    URL has no whitespace to fold at, so it would become an RFC 2047
    encoded-word that no mail provider reads as a URL. Set raw, it stays one
    line (a URL with a 43-character token and any sane base URL is far below
    RFC 5322's 998).
    """
    if len(unsubscribe_url) > 900 or any(c in unsubscribe_url for c in "\r\n\t <>"):
        raise ValueError("the unsubscribe URL cannot be written into a List-Unsubscribe header")
    return f"<{unsubscribe_url}>"


def confirm_text(sub: Subscriber, now: datetime) -> tuple[str, list[str]]:
    token = new_link(sub, "confirm", now)
    requested = (sub.requested or {}).get("programs", [])
    names = [program_state(p).get("name", p) for p in requested]
    lines = ["Someone (we hope you) asked Doc Box to send this address reminders before sessions of:", ""]
    lines += [f"  - {name}" for name in names]
    lines += ["", f"To confirm, open this link within {CONFIRM_DAYS} days and press the button:",
              url(f"/confirm/{token}"), "",
              "If you did not ask for this, ignore this message: nothing will be sent to you."]
    return "Please confirm your Doc Box reminders", lines


def changed_lines(s: Shown) -> list[str]:
    """The new time and place, each followed by what it was when it changed."""
    old = s.previous
    if old is None or (old.start, old.end) == (s.start, s.end):
        lines = [f"When: {when_text(s)}"]
    else:
        lines = [f"New time: {when_text(s)}", f"Was: {when_text(old)}"]
    for label, new, was in (("Where", s.location, old and old.location),
                            ("Video link", s.video_url, old and old.video_url)):
        if old is None or new == was:
            lines += [f"{label}: {new}"] if new else []
        else:
            lines += [f"{label}: {new or 'none any more'}", f"Was: {was or 'none'}"]
    return lines


def calendar_lines(s: Shown, attached: str) -> list[str]:
    if s.entry_kind == "session":
        return ["", attached]
    return ["", "Every session of this series is in the program's calendar, which your calendar can "
                f"subscribe to: {calendar_url(s)}"]


def contact_lines(s: Shown) -> list[str]:
    return ["", f"Questions? Write to {s.contact_email}"] if s.contact_email else []


def expect_lines(s: Shown) -> list[str]:
    """The program's "what to expect", its paragraphs as typed (plain text, like the whole message)."""
    return ["", "What to expect", "", *s.what_to_expect.splitlines()] if s.what_to_expect else []


def occurrence_text(row: Delivery, s: Shown) -> tuple[str, list[str], str]:
    where = where_lines(s)
    if row.kind == "cancelled":
        lines = [f"Cancelled: {s.title}", "", f"This session will not take place: {when_text(s)}.",
                 *([f"Reason: {s.cancel_reason}"] if s.cancel_reason else []), *where,
                 *calendar_lines(s, "The attached cancellation removes it from your calendar."), *contact_lines(s)]
        return f"Cancelled: {s.subject}", lines, "CANCEL"
    if row.kind == "restored":
        lines = [f"Takes place after all: {s.title}", "",
                 "We told you this session was cancelled. It takes place after all:", "", *changed_lines(s),
                 *calendar_lines(s, "The attached invitation puts it back in your calendar."), *contact_lines(s)]
        return f"Takes place after all: {s.subject}", lines, "REQUEST"
    if row.kind == "moved":
        lines = [f"Changed: {s.title}", "", *changed_lines(s),
                 *calendar_lines(s, "The attached invitation updates the entry in your calendar."), *contact_lines(s)]
        return f"Changed: {s.subject}", lines, "REQUEST"
    lines = [s.title, "", f"When: {when_text(s)}", *where]
    if s.description:
        lines += ["", s.description]
    lines += expect_lines(s)
    lines += contact_lines(s)
    lines += calendar_lines(s, "Add it to your calendar with the attached invitation.")
    return s.subject, lines, "REQUEST"


def digest_records(sub: Subscriber, now: datetime) -> list[OccurrenceRecord]:
    """What a digest sent now would list: the week ahead of the open programs ``sub`` follows."""
    open_ids = [pid for pid in sub.program_ids if program_state(pid).get("open")]  # closed: left out
    return db.session.scalars(select(OccurrenceRecord).where(
        OccurrenceRecord.program_id.in_(open_ids), OccurrenceRecord.status == "scheduled",
        OccurrenceRecord.start_at > now, OccurrenceRecord.start_at <= now + timedelta(days=7),
    ).order_by(OccurrenceRecord.start_at)).all()


def list_in_digest(row: Delivery, records: list[OccurrenceRecord]) -> None:
    """Store what the digest ``row`` lists (replacing an earlier attempt's): its reader is told of them."""
    db.session.execute(delete(DigestLine).where(DigestLine.delivery_id == row.id))
    db.session.add_all(DigestLine(delivery_id=row.id, occurrence_id=r.occurrence_id) for r in records)


def digest_listing(row: Delivery, sub: Subscriber, now: datetime) -> list[OccurrenceRecord]:
    """What the digest ``row`` lists: stored when its batch was claimed (the worker's ``prepare``), so its
    reader counts as told from the moment it may be out; else chosen and stored now."""
    records = db.session.scalars(select(OccurrenceRecord).join(
        DigestLine, DigestLine.occurrence_id == OccurrenceRecord.occurrence_id).where(
        DigestLine.delivery_id == row.id).order_by(OccurrenceRecord.start_at)).all()
    if not records:
        records = digest_records(sub, now)
        list_in_digest(row, records)
    return [r for r in records if r.status == "scheduled"]


def digest_text(row: Delivery, sub: Subscriber, now: datetime) -> tuple[str, list[str]]:
    from .schedule import digest_zone

    day = format_day(now.astimezone(digest_zone(sub)))
    lines = ["Sessions in the coming seven days:", ""]
    for s in map(shown, digest_listing(row, sub, now)):
        lines += [f"* {s.title}", f"  {when_text(s)}", *[f"  {w}" for w in where_lines(s)], ""]
    return f"Sessions this week — {day}", lines
