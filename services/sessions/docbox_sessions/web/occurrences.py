"""Occurrences as a list, as a month and as a CSV or iCal download, one occurrence, and moving or cancelling it."""

from __future__ import annotations

import calendar
from collections import defaultdict
from datetime import date, datetime, time, timedelta, timezone

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from docbox_shared import recurrence
from docbox_shared.clock import now
from docbox_shared.events import LIMITS
from docbox_shared.inputs import FIRST_YEAR, LAST_YEAR, parse_day, parse_month
from docbox_shared.pages import FormState
from docbox_shared.problems import Problem, ValidationProblem

from .. import occurrence_export, operations
from ..auth import PLANNERS, STAFF_ROLES, require_role
from ..models import AttendanceAudit, AttendanceCount, db
from . import present
from .forms import Reader, confirm_past
from .planning import delete_page

UPCOMING_WEEKS = 8


def _programs() -> dict[str, str]:
    return occurrence_export.programs()


def upcoming(export: FormState | None = None):
    """From today (or ``?from=YYYY-MM-DD``) for eight weeks, grouped by day; cancelled ones included.
    ``export`` is the download form sent back with its errors."""
    staff = require_role(*STAFF_ROLES)
    tz = recurrence.zone(present.home_zone())
    today = now().astimezone(tz).date()
    first = parse_day(request.args.get("from")) if request.args.get("from") and not export else today
    if first is None:
        raise ValidationProblem(f"Choose a day like {today:%Y-%m-%d}, between {FIRST_YEAR} and {LAST_YEAR}.",
                                errors={"from": ["Not a day Doc Box can show."]})
    start = recurrence.localize(datetime.combine(first, time()), tz)
    end = start + timedelta(weeks=UPCOMING_WEEKS)
    program_id = request.args.get("program") or None
    window = start.astimezone(timezone.utc), end.astimezone(timezone.utc)
    occs = operations.list_occurrences(*window, program_id)
    days: dict[date, list] = defaultdict(list)
    for occ in occs:
        days[occ.start.date()].append(occ)
    return render_template("sessions/upcoming.html", days=sorted(days.items()), first=first, today=today,
                           earlier=first - timedelta(weeks=UPCOMING_WEEKS), later=first + timedelta(weeks=UPCOMING_WEEKS),
                           last=(end - timedelta(days=1)).date(), programs=_programs(), program_id=program_id,
                           counts=operations.counts_between(*window, program_id) if staff.role in PLANNERS else {},
                           moment=now(),
                           export=export or FormState({"from": first.isoformat(),
                                                       "to": (end - timedelta(days=1)).date().isoformat(),
                                                       "program": program_id or ""}))


def _export(respond):
    """A download of ``?from=YYYY-MM-DD`` to ``?to=YYYY-MM-DD`` (``?program=<id>`` for one program), or
    the upcoming page with the form's errors (422)."""
    require_role(*STAFF_ROLES)
    first, last = parse_day(request.args.get("from")), parse_day(request.args.get("to"))
    program_id = request.args.get("program") or None
    errors = {field: [f"Enter a day like 2027-01-31, between {FIRST_YEAR} and {LAST_YEAR}."]
              for field, day in (("from", first), ("to", last)) if day is None}
    errors = occurrence_export.range_errors(first, last, program_id) | errors
    if errors:
        return upcoming(export=FormState(request.args.to_dict(), errors)), 422
    return respond(first, last, program_id, present.home_zone())


def export_csv():
    """The occurrences of the chosen days as CSV (:mod:`..occurrence_export`)."""
    return _export(occurrence_export.csv_response)


def export_ical():
    """The same occurrences as an iCal file to import, with the feed's identities (:mod:`..ical_export`)."""
    return _export(occurrence_export.ical_response)


def month():
    """A month as a grid of weeks (Monday first); each day lists its occurrences."""
    require_role(*STAFF_ROLES)
    tz = recurrence.zone(present.home_zone())
    today = now().astimezone(tz).date()
    first = parse_month(request.args.get("month")) if request.args.get("month") else today.replace(day=1)
    if first is None:
        raise ValidationProblem(f"Choose a month like {today:%Y-%m}, between {FIRST_YEAR} and {LAST_YEAR}.",
                                errors={"month": ["Not a month Doc Box can show."]})
    weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
    lo = recurrence.localize(datetime.combine(weeks[0][0], time()), tz) - timedelta(days=1)
    hi = recurrence.localize(datetime.combine(weeks[-1][-1] + timedelta(days=1), time()), tz) + timedelta(days=1)
    by_day: dict[date, list] = defaultdict(list)
    for occ in operations.list_occurrences(lo.astimezone(timezone.utc), hi.astimezone(timezone.utc)):
        by_day[occ.start.date()].append(occ)
    previous = (first - timedelta(days=1)).replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return render_template("sessions/month.html", weeks=weeks, first=first, today=today, by_day=by_day,
                           previous=previous, following=following, programs=_programs())


def detail(occurrence_id: str):
    staff = require_role(*STAFF_ROLES)
    kind, entry, occ = operations.find_occurrence(occurrence_id)
    may_count = staff.role != "viewer" and operations.can_record_attendance(staff, entry)
    count = db.session.get(AttendanceCount, occurrence_id) if may_count else None
    history = db.session.scalars(select(AttendanceAudit).where(AttendanceAudit.occurrence_id == occurrence_id)
                                 .order_by(AttendanceAudit.recorded_at, AttendanceAudit.id)).all() if may_count else []
    return render_template("sessions/occurrence.html", occ=occ, entry=entry, kind=kind, count=count, history=history,
                           may_count=may_count, may_plan=staff.role in PLANNERS, started=occ.start <= now(),
                           program=entry.program)


def move(occurrence_id: str):
    """Move one occurrence: a new date and times (in the entry's zone) and, if it needs one, a place."""
    require_role(*PLANNERS)
    kind, entry, occ = operations.find_occurrence(occurrence_id)
    if occ.status == "cancelled":
        flash("A cancelled occurrence cannot be moved.", "error")
        return redirect(url_for("pages.detail", occurrence_id=occurrence_id))
    defaults = {"date": occ.start.date().isoformat(), "start_time": f"{occ.start:%H:%M}",
                "end_time": f"{occ.end:%H:%M}", "location": occ.location or "", "video_url": occ.video_url or ""}
    form = FormState(defaults)
    if request.method == "POST":
        form = FormState.from_request(request.form, defaults)
        read = Reader(form)
        day, start_time, end_time = read.day("date"), read.clock_time("start_time"), read.clock_time("end_time")
        data = {}
        if entry.format in ("in_person", "hybrid"):
            data["location"] = read.text("location", required=True, max_length=500, what="where it happens")
        if entry.format in ("virtual", "hybrid"):
            data["video_url"] = read.text("video_url", required=True, max_length=1000, what="the video link")
        if not form.has_errors:
            tz = recurrence.zone(occ.timezone)
            data["start"] = recurrence.localize(datetime.combine(day, start_time), tz)
            data["end"] = recurrence.localize(datetime.combine(day, end_time), tz)
        if not form.has_errors and confirm_past(form, data["start"], now()):
            try:
                moved = operations.move_occurrence(occurrence_id, data)
                db.session.commit()
            except ValidationProblem as exc:
                db.session.rollback()
                form.merge(exc.errors, rename={"start": "start_time", "end": "end_time"})
                if not exc.errors:
                    form.add("_form", exc.detail)
            except Problem as exc:
                db.session.rollback()
                form.add("_form", exc.detail)
            else:
                flash(f"Moved: {moved.title} is now on {present.when(moved)}.", "success")
                return redirect(url_for("pages.detail", occurrence_id=occurrence_id))
    status = 422 if form.has_errors else 200
    return render_template("sessions/move.html", occ=occ, entry=entry, form=form), status


def restore(occurrence_id: str):
    """Ask, then restore a cancelled occurrence still ahead (it takes place after all)."""
    require_role(*PLANNERS)
    _kind, _entry, occ = operations.find_occurrence(occurrence_id)
    if request.method == "POST":
        try:
            occ = operations.restore_occurrence(occurrence_id)
            db.session.commit()
        except Problem as exc:
            db.session.rollback()
            flash(exc.detail, "error")
        else:
            flash(f"Restored: {occ.title} takes place on {present.when(occ)}.", "success")
        return redirect(url_for("pages.detail", occurrence_id=occurrence_id))
    if occ.status != "cancelled":
        abort(409, "This occurrence is not cancelled.")
    return render_template("sessions/restore.html", occ=occ, passed=occ.start <= now())


def cancel(occurrence_id: str):
    """Ask, then cancel one occurrence (it stays listed, as cancelled), with an optional short reason."""
    require_role(*PLANNERS)
    _kind, _entry, occ = operations.find_occurrence(occurrence_id)
    if occ.status == "cancelled" and request.method != "POST":
        abort(409, "This occurrence is cancelled already.")
    form = FormState({"reason": ""})
    if request.method == "POST":
        form = FormState.from_request(request.form)
        reason = Reader(form).text("reason", max_length=LIMITS["cancel_reason"], what="a reason")
        if not form.has_errors:
            if occ.status != "cancelled":
                occ = operations.cancel_occurrence(occurrence_id, reason)
                db.session.commit()
            flash(f"Cancelled: {occ.title} on {present.when(occ)}.", "success")
            return redirect(url_for("pages.detail", occurrence_id=occurrence_id))
    return render_template("sessions/cancel.html", occ=occ, form=form, max_reason=LIMITS["cancel_reason"]), \
        422 if form.has_errors else 200


def delete_session(session_id: str):
    """Ask, then delete a one-off session still ahead; a refusal (started, counted) is said on the page."""
    require_role(*PLANNERS)
    session = operations.get_session(session_id)
    _kind, _entry, occ = operations.find_occurrence(session_id)
    when = present.when(occ)
    return delete_page("session", occ.title, when, lambda: operations.delete_session(session),
                       done=f"Deleted: {occ.title} on {when}.", back=url_for("pages.detail", occurrence_id=session_id),
                       then=url_for("pages.upcoming"), cancelled=occ.status == "cancelled")
