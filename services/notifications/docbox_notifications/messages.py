"""The messages: what a subscriber receives, and nothing more.

Each message goes to one recipient. It carries a fresh capability token
(stored hashed, see :mod:`.secrets`) in its manage link and in the RFC 8058
one-click unsubscribe headers. The subject is neutral and set per program
(``email_subject``, where ``{date}`` stands for the date; default
``<program name> — <date>``); the body gives time in the program's zone,
place or video link. No names, no list of who else follows, no images.

Invitations: reminders and change notices attach an iTIP ``METHOD:REQUEST``
(cancellations ``METHOD:CANCEL``) with ``UID = <occurrence id>@docbox`` and
the occurrence's ``SEQUENCE``, so an entry the subscriber added to a calendar
from an earlier message updates itself. The MIME ``method`` parameter repeats
the iCalendar METHOD, as iTIP over email (RFC 6047) asks.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from docbox_shared import recurrence
from flask import current_app
from icalendar import Calendar, Event, vCalAddress
from sqlalchemy import select

from .clock import UTC, aware
from .models import Delivery, Entry, Link, OccurrenceRecord, Subscriber, db
from .secrets import new_token, token_hash

UID_DOMAIN = "docbox"
CONFIRM_DAYS = 7


@dataclasses.dataclass
class Shown:
    """One occurrence as a message shows it."""

    occurrence_id: str
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


def url(path: str) -> str:
    return current_app.config["PUBLIC_URL"].rstrip("/") + path


def new_link(sub: Subscriber, purpose: str, now: datetime) -> str:
    """A fresh capability token for ``sub``; only its hash is stored."""
    token = new_token()
    expires = now + timedelta(days=CONFIRM_DAYS) if purpose == "confirm" else None
    db.session.add(Link(token_hash=token_hash(token), subscriber_id=sub.id, purpose=purpose,
                        created_at=now, expires_at=expires))
    return token


def program_state(program_id: str) -> dict:
    entry = db.session.get(Entry, ("program", program_id))
    return entry.data if entry is not None else {}


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
    start = aware(record.start_dt)
    match = [o for o in recurrence.expand(entry.kind, state, start - timedelta(days=1), start + timedelta(days=1))
             if o.id == record.occurrence_id]
    tz = recurrence.zone(state["timezone"])
    if match:
        occ = match[0]
        start, end, location, video = occ.start, occ.end, occ.location, occ.video_url
    else:  # gone from the series: show what was announced
        start, end = start.astimezone(tz), aware(record.end_dt).astimezone(tz)
        location, video = state.get("location"), state.get("video_url")
    program = program_state(record.program_id)
    return Shown(occurrence_id=record.occurrence_id, title=state["title"], program_name=program.get("name", ""),
                 subject=subject_for(program, start), start=start, end=end, timezone=state["timezone"],
                 location=location, video_url=video, description=state.get("description", ""),
                 sequence=record.sequence)


def when_text(s: Shown) -> str:
    return f"{format_day(s.start)}, {s.start:%H:%M}–{s.end:%H:%M} ({s.timezone})"


def where_lines(s: Shown) -> list[str]:
    lines = []
    if s.location:
        lines.append(f"Where: {s.location}")
    if s.video_url:
        lines.append(f"Video link: {s.video_url}")
    return lines


def invitation(s: Shown, method: str, recipient: str, now: datetime, cache: dict | None = None) -> str:
    cal = Calendar()
    cal.add("prodid", "-//Doc Box//notifications//EN")
    cal.add("version", "2.0")
    cal.add("method", method)
    event = Event()
    event.add("uid", f"{s.occurrence_id}@{UID_DOMAIN}")
    event.add("sequence", s.sequence)
    event.add("dtstamp", now.astimezone(UTC))
    event.add("dtstart", s.start)
    event.add("dtend", s.end)
    event.add("summary", s.title)
    if s.location:
        event.add("location", s.location)
    if s.video_url:
        event.add("url", s.video_url)
    event.add("description", "\n".join(filter(None, [s.description, *where_lines(s)])))
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    name, address = parseaddr(current_app.config["MAIL_FROM"])
    organizer = vCalAddress(f"mailto:{address}")
    if name:
        organizer.params["cn"] = name
    event.add("organizer", organizer)
    # iTIP wants the recipient as ATTENDEE; only this recipient, and no reply is asked for.
    attendee = vCalAddress(f"mailto:{recipient}")
    attendee.params["rsvp"] = "FALSE"
    attendee.params["role"] = "OPT-PARTICIPANT"
    event.add("attendee", attendee)
    cal.add_component(event)
    # VTIMEZONE: costly to build, the same for every recipient of the occurrence.
    cache = {} if cache is None else cache
    zone_key = ("vtimezone", s.timezone, s.start.year)
    if zone_key not in cache:
        probe = Calendar()
        probe.add_component(event)
        probe.add_missing_timezones(first_date=(s.start - timedelta(days=400)).date(),
                                    last_date=(s.end + timedelta(days=400)).date())
        cache[zone_key] = probe.timezones
    for tz_component in cache[zone_key]:
        cal.subcomponents.insert(0, tz_component)
    return cal.to_ical().decode()


def build(row: Delivery, sub: Subscriber, now: datetime, cache: dict | None = None) -> EmailMessage:
    """The message for one delivery row; adds the link rows its tokens need (not committed).

    ``cache`` (one worker pass) keeps what every recipient of an occurrence
    shares, keyed by occurrence and sequence, so a change is never missed.
    """
    cache = {} if cache is None else cache
    manage_token = new_link(sub, "manage", now)
    manage_url, unsubscribe_url = url(f"/manage/{manage_token}"), url(f"/unsubscribe/{manage_token}")
    footer = ["", "--", f"Change programs or reminder times, or delete your data: {manage_url}",
              f"Unsubscribe from all Doc Box email: {unsubscribe_url}"]
    attachment = None
    if row.kind == "confirm":
        subject, lines = confirm_text(sub, now)
    elif row.kind == "digest":
        subject, lines = digest_text(sub, now)
    else:
        record = db.session.get(OccurrenceRecord, row.occurrence_id)
        key = (record.occurrence_id, record.sequence)
        if key not in cache:
            cache[key] = shown(record)
        s = cache[key]
        subject, lines, method = occurrence_text(row, s)
        attachment = (invitation(s, method, sub.email, now, cache), method)
    msg = EmailMessage()
    msg["From"] = current_app.config["MAIL_FROM"]
    msg["To"] = sub.email
    msg["Subject"] = subject
    msg["Date"] = format_datetime(now.astimezone(UTC))
    msg["Message-ID"] = row.message_id
    msg["Auto-Submitted"] = "auto-generated"
    msg["List-Unsubscribe"] = f"<{unsubscribe_url}>"
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.set_content("\n".join(lines + footer) + "\n")
    if attachment:
        ics, method = attachment
        msg.add_attachment(ics, subtype="calendar", filename="invite.ics" if method == "REQUEST" else "cancel.ics",
                           params={"method": method})
    return msg


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


def occurrence_text(row: Delivery, s: Shown) -> tuple[str, list[str], str]:
    where = where_lines(s)
    if row.kind == "cancelled":
        lines = [f"Cancelled: {s.title}", "", f"This session will not take place: {when_text(s)}.", *where]
        return f"Cancelled: {s.subject}", lines, "CANCEL"
    if row.kind == "moved":
        lines = [f"Changed: {s.title}", "", f"New time: {when_text(s)}", *where, "",
                 "The attached invitation updates the entry in your calendar."]
        return f"Changed: {s.subject}", lines, "REQUEST"
    lines = [s.title, "", f"When: {when_text(s)}", *where]
    if s.description:
        lines += ["", s.description]
    lines += ["", "Add it to your calendar with the attached invitation."]
    return s.subject, lines, "REQUEST"


def digest_occurrences(sub: Subscriber, now: datetime) -> list[Shown]:
    open_ids = [pid for pid in sub.program_ids if program_state(pid).get("open")]  # closed: left out
    records = db.session.scalars(select(OccurrenceRecord).where(
        OccurrenceRecord.program_id.in_(open_ids), OccurrenceRecord.status == "scheduled",
        OccurrenceRecord.start_dt > now, OccurrenceRecord.start_dt <= now + timedelta(days=7),
    ).order_by(OccurrenceRecord.start_dt)).all()
    return [shown(r) for r in records]


def digest_text(sub: Subscriber, now: datetime) -> tuple[str, list[str]]:
    from .schedule import digest_zone

    day = format_day(now.astimezone(digest_zone(sub)))
    lines = ["Sessions in the coming seven days:", ""]
    for s in digest_occurrences(sub, now):
        lines += [f"* {s.title}", f"  {when_text(s)}", *[f"  {w}" for w in where_lines(s)], ""]
    return f"Sessions this week — {day}", lines
