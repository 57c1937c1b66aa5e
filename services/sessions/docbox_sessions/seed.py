"""Demo data for a first start: a "Doc Box" program with a monthly in-person
series and a fortnightly virtual series that both began a year ago, a one-off
hybrid session ahead, and one staff member per role whose API token and web
password are printed once.

The year behind has its attendance counts (a fixed pseudo-random draw, some of
them small), so statistics, a facilitator's list and the viewer's withheld
numbers show something on the first ``make run``."""

from __future__ import annotations

import random
import secrets
from datetime import datetime, time, timedelta

from dateutil.rrule import MONTHLY, TU, WE, WEEKLY, rrule
from sqlalchemy import select

from docbox_shared import recurrence
from docbox_shared.clock import now

from . import operations
from .auth import issue_token
from .models import Program, Staff, db

ZONE = "America/New_York"
# (email, group-sessions role, outreach role): the outreach demo's coordinator, mentor, referrer and supporter
# (the mentor and the supporter on its demo roster) hold only a viewer's role in group sessions.
STAFF = (("admin@docbox.example", "admin", None), ("organizer@docbox.example", "organizer", None),
         ("facilitator@docbox.example", "facilitator", None), ("viewer@docbox.example", "viewer", "viewer"),
         ("coordinator@docbox.example", "viewer", "coordinator"), ("mentor@docbox.example", "viewer", "mentor"),
         ("referrer@docbox.example", "viewer", "referrer"), ("supporter@docbox.example", "viewer", "supporter"))


def seed_demo() -> dict[str, tuple[str, str, str]] | None:
    """Seed an empty database; returns {email: (role, token, password)}, or None when data exists."""
    from .web.passwords import hash_password
    if db.session.scalar(select(Program).limit(1)) or db.session.scalar(select(Staff).limit(1)):
        return None
    tokens = {}
    members = {}
    for email, role, outreach_role in STAFF:
        password = secrets.token_urlsafe(9)
        member = Staff(email=email, role=role, name=(outreach_role or role).title(), password_hash=hash_password(password),
                       outreach_role=outreach_role)
        db.session.add(member)
        db.session.flush()
        members.setdefault(role, member)
        tokens[email] = (outreach_role or role, issue_token(member), password)
    program = operations.create_program(dict(
        name="Doc Box", slug="doc-box", timezone=ZONE, open=True, default_format="in_person",
        description="Peer support for emergency physicians: bad outcomes, lawsuits, burnout, and how we cope.",
        default_location="Emergency Department, conference room 2", default_video_url="https://meet.example.org/docbox"))
    today = now().astimezone(recurrence.zone(ZONE)).date()
    year_ago = today - timedelta(days=365)
    third_wednesday = rrule(MONTHLY, byweekday=WE(+3), dtstart=datetime.combine(year_ago, time(19)), count=1)[0]
    operations.create_series(dict(
        program_id=program.id, title="Doc Box: monthly circle", format="in_person", start=third_wednesday,
        duration_minutes=90, rrule="FREQ=MONTHLY;BYDAY=3WE;COUNT=24", facilitator_ids=[members["facilitator"].id],
        description="Confidential peer support. Come as you are; nothing is recorded."))
    tuesday = rrule(WEEKLY, byweekday=TU, dtstart=datetime.combine(year_ago, time(12, 15)), count=1)[0]
    operations.create_series(dict(
        program_id=program.id, title="Doc Box: lunchtime online", format="virtual", start=tuesday,
        duration_minutes=45, rrule="FREQ=WEEKLY;INTERVAL=2;COUNT=52", facilitator_ids=[members["facilitator"].id]))
    db.session.flush()
    _count_the_past_year(members["facilitator"], year_ago)
    start = recurrence.localize(datetime.combine(today + timedelta(days=10), time(17, 30)), recurrence.zone(ZONE))
    operations.create_session(dict(
        program_id=program.id, title="Doc Box: after a lawsuit", format="hybrid", start=start,
        end=start + timedelta(hours=1, minutes=30), facilitator_ids=[members["facilitator"].id]))
    db.session.commit()
    return tokens


def _count_the_past_year(facilitator: Staff, since) -> None:
    """Counts for every occurrence held in the year behind; about one in four is below the
    small-cell threshold, so the viewer's statistics show withheld numbers."""
    draw = random.Random(2026)
    zone = recurrence.zone(ZONE)
    start = recurrence.localize(datetime.combine(since, time(0)), zone)
    for occ in operations.list_occurrences(start, now()):
        number = draw.choice((1, 2, 3, 4)) if draw.random() < 0.25 else draw.randint(5, 14)
        counts = {"in_person": number if occ.format != "virtual" else None,
                  "virtual": number if occ.format != "in_person" else None}
        operations.record_attendance(occ.id, facilitator, counts)
