"""Facilitators: "my sessions" (today and the last two weeks) and the count form.

The count form is made for a phone in a hallway: one big number field per
kind of attendance the occurrence's format has (in person, virtual, or
both), numeric keypad, and a confirmation page that repeats what was saved.
Counts are numbers only; nobody who came is named anywhere.
"""

from __future__ import annotations

from datetime import timedelta

from flask import redirect, render_template, request, url_for
from sqlalchemy import select

from docbox_shared import recurrence
from docbox_shared.clock import now
from docbox_shared.pages import FormState
from docbox_shared.problems import Conflict, Forbidden, ValidationProblem

from .. import operations
from ..auth import PLANNERS, require_role
from ..models import AttendanceCount, db, series_facilitators, session_facilitators
from . import present
from .forms import Reader

RECENT_DAYS = 14
WAITING_DAYS = 90
COMING_WEEKS = 8
FIELDS = {"in_person": "In person", "virtual": "Virtual"}


def _fields_for(format: str) -> list[str]:
    return [f for f, formats in (("in_person", ("in_person", "hybrid")), ("virtual", ("virtual", "hybrid")))
            if format in formats]


def my_sessions():
    """The occurrences of the entries this staff member facilitates: today; those of the last
    ninety days still waiting for a count; the counted (or cancelled) ones of the last two weeks,
    to correct a count; and the next eight weeks."""
    staff = require_role("facilitator", *PLANNERS)
    moment = now()
    session_ids = set(db.session.scalars(select(session_facilitators.c.session_id).where(session_facilitators.c.staff_id == staff.id)))
    series_ids = set(db.session.scalars(select(series_facilitators.c.series_id).where(series_facilitators.c.staff_id == staff.id)))
    start, end = moment - timedelta(days=WAITING_DAYS + 1), moment + timedelta(weeks=COMING_WEEKS, days=1)
    mine = [o for o in operations.list_occurrences(start, end)
            if (o.entry_kind == "session" and o.entry_id in session_ids) or (o.entry_kind == "series" and o.entry_id in series_ids)]
    counts = {c.occurrence_id: c for c in db.session.scalars(
        select(AttendanceCount).where(AttendanceCount.occurrence_id.in_([o.id for o in mine])))} if mine else {}
    today, waiting, recent, coming = [], [], [], []
    for occ in mine:
        local_today = moment.astimezone(recurrence.zone(occ.timezone)).date()
        day = occ.start.date()
        if day == local_today:
            today.append(occ)
        elif day > local_today:
            if day <= local_today + timedelta(weeks=COMING_WEEKS):
                coming.append(occ)
        elif day >= local_today - timedelta(days=WAITING_DAYS) and occ.status != "cancelled" and occ.id not in counts:
            waiting.append(occ)
        elif day >= local_today - timedelta(days=RECENT_DAYS):
            recent.append(occ)
    waiting.reverse()  # most recent first
    recent.reverse()
    return render_template("sessions/my.html", today=today, waiting=waiting, recent=recent, coming=coming,
                           counts=counts, moment=moment, recent_days=RECENT_DAYS, waiting_days=WAITING_DAYS,
                           coming_weeks=COMING_WEEKS)


def count(occurrence_id: str):
    """Record (or correct) how many came to one occurrence."""
    staff = require_role("facilitator", *PLANNERS)
    _kind, entry, occ = operations.find_occurrence(occurrence_id)
    if not operations.can_record_attendance(staff, entry):
        raise Forbidden("Only an organizer or a facilitator of this session may record its attendance.")
    fields = _fields_for(occ.format)
    existing = db.session.get(AttendanceCount, occurrence_id)
    form = FormState({f: "" if existing is None or getattr(existing, f) is None else str(getattr(existing, f)) for f in fields})
    blocked = None
    if occ.status == "cancelled":
        blocked = "This occurrence was cancelled, so it has no attendance."
    elif occ.start > now():
        blocked = f"This session starts {present.when(occ)}. Record the count once it has started."
    if request.method == "POST" and blocked is None:
        form = FormState.from_request(request.form)
        read = Reader(form)
        counts = {f: read.whole(f, 0, 100000, required=True, what=f"how many took part {FIELDS[f].lower()} (0 if nobody)")
                  for f in fields}
        if not form.has_errors:
            try:
                operations.record_attendance(occurrence_id, staff, counts)
                db.session.commit()
            except ValidationProblem as exc:
                db.session.rollback()
                form.merge(exc.errors)
            except Conflict as exc:
                db.session.rollback()
                form.add("_form", exc.detail)
            else:
                return redirect(url_for("pages.saved", occurrence_id=occurrence_id))
    status = 409 if blocked and request.method == "POST" else (422 if form.has_errors else 200)
    return render_template("sessions/count.html", occ=occ, form=form, fields=fields, labels=FIELDS,
                           existing=existing, blocked=blocked), status


def saved(occurrence_id: str):
    staff = require_role("facilitator", *PLANNERS)
    _kind, entry, occ = operations.find_occurrence(occurrence_id)
    if not operations.can_record_attendance(staff, entry):
        raise Forbidden("Only an organizer or a facilitator of this session may see its attendance.")
    row = db.session.get(AttendanceCount, occurrence_id)
    if row is None:
        return redirect(url_for("pages.count", occurrence_id=occurrence_id))
    return render_template("sessions/count_saved.html", occ=occ, row=row, fields=_fields_for(occ.format), labels=FIELDS)
