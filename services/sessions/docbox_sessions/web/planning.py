"""Planning pages: programs, one-off sessions and series (with the recurrence picker)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from typing import TypeVar

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select

from docbox_shared import recurrence
from docbox_shared.clock import now
from docbox_shared.events import LIMITS
from docbox_shared.pages import FormState
from docbox_shared.problems import Problem

from .. import operations
from ..auth import PLANNERS, STAFF_ROLES, require_role
from ..models import Program, Series, db
from ..subscribers import subscriber_counts
from . import present, rules
from .forms import Reader, confirm_past

T = TypeVar("T")
SLUG = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")


def _render(template: str, form: FormState, **context):
    return render_template(template, form=form, **context), (422 if form.has_errors else 200)


def _problem_into(form: FormState, exc: Problem, rename: dict | None = None) -> None:
    db.session.rollback()
    form.merge(exc.errors, rename)
    if not exc.errors:
        form.add("_form", exc.detail)


def _saved(form: FormState, change: Callable[[], T], rename: dict | None = None) -> tuple[bool, T | None]:
    """``(True, what change() returned)`` once committed; ``(False, None)`` when refused: nothing written, the
    problem shown in ``form`` next to its fields (``rename`` maps the operation's field names to the form's)."""
    try:
        result = change()
        db.session.commit()
    except Problem as exc:
        _problem_into(form, exc, rename)
        return False, None
    return True, result


# --- programs ----------------------------------------------------------------

def programs():
    """Every program; planners also edit them here and see how many feeds and reminder subscriptions
    each has (nobody else: :mod:`..subscribers` says why)."""
    staff = require_role(*STAFF_ROLES)
    rows = db.session.scalars(select(Program).order_by(Program.name)).all()
    may_plan = staff.role in PLANNERS
    counts = subscriber_counts([p.id for p in rows]) if rows and may_plan else {}
    return render_template("sessions/programs.html", programs=rows, may_plan=may_plan, counts=counts)


def _program_values(program: Program | None) -> dict:
    if program is None:
        return {"timezone": present.home_zone(), "default_format": "in_person"}
    return {"name": program.name, "slug": program.slug, "description": program.description,
            "timezone": program.timezone, "default_format": program.default_format or "",
            "default_location": program.default_location or "", "default_video_url": program.default_video_url or "",
            "open": "1" if program.open else "", "email_subject": program.email_subject or "",
            "what_to_expect": program.what_to_expect or "", "contact_email": program.contact_email or ""}


def _read_program(form: FormState) -> dict:
    read = Reader(form)
    data = {"name": read.text("name", required=True, what="a name for the program")}
    slug = read.text("slug", max_length=80)
    if slug:
        if not SLUG.fullmatch(slug):
            form.add("slug", "Use lowercase letters, digits and single dashes, like residents-circle.")
        data["slug"] = slug
    data["description"] = read.text("description", max_length=5000) or ""
    data["what_to_expect"] = read.text("what_to_expect", max_length=LIMITS["what_to_expect"]) or ""
    data["contact_email"] = read.email("contact_email", LIMITS["contact_email"])
    for name, length in (("default_location", 500), ("default_video_url", 1000), ("email_subject", 200)):
        data[name] = read.text(name, max_length=length)
    data["timezone"] = read.choice("timezone", [z for z, _ in present.zone_options()], what="a time zone")
    data["default_format"] = read.choice("default_format", present.FORMAT_LABELS, required=False, what="a format")
    data["open"] = read.flag("open")
    return data


def program_new():
    require_role(*PLANNERS)
    form = FormState(_program_values(None))
    if request.method == "POST":
        form = FormState.from_request(request.form)
        data = _read_program(form)
        if not form.has_errors:
            ok, program = _saved(form, lambda: operations.create_program(data))
            if ok:
                flash(f"Program {program.name} created.", "success")
                return redirect(url_for("pages.programs"))
    return _render("sessions/program_form.html", form, program=None, zones=present.zone_options())


def program_edit(program_id: str):
    require_role(*PLANNERS)
    program = operations.get_program(program_id)
    form = FormState(_program_values(program))
    if request.method == "POST":
        form = FormState.from_request(request.form)
        data = _read_program(form)
        if not form.has_errors:
            ok, _ = _saved(form, lambda: operations.update_program(program, data))
            if ok:
                flash(f"Program {program.name} saved.", "success")
                return redirect(url_for("pages.programs"))
    return _render("sessions/program_form.html", form, program=program, zones=present.zone_options())


# --- what one-off sessions and series share ------------------------------------

def _read_entry(form: FormState) -> tuple[dict, Program | None]:
    """Program, title, description, format, place, zone, capacity, facilitators."""
    read = Reader(form)
    data: dict = {}
    program_id = read.choice("program_id", [p for p, _ in present.program_options()], what="a program")
    program = db.session.get(Program, program_id) if program_id else None
    if program_id:
        data["program_id"] = program_id
    data["title"] = read.text("title", required=True, what="a title")
    data["description"] = read.text("description", max_length=5000) or ""
    data["format"] = read.choice("format", present.FORMAT_LABELS, what="how people take part")
    for name, length in (("location", 500), ("video_url", 1000)):
        value = read.text(name, max_length=length)
        if value:  # empty: the operation fills in the program's default, or says it is missing
            data[name] = value
    tz = read.choice("timezone", [z for z, _ in present.zone_options()], required=False, what="a time zone")
    data["timezone"] = tz or (program.timezone if program else "UTC")
    capacity = read.whole("capacity", 1, 10000)
    if capacity is not None:
        data["capacity"] = capacity
    data["facilitator_ids"] = read.ids("facilitator_ids")
    return data, program


def _entry_context(**extra) -> dict:
    return dict(programs=present.program_options(), zones=present.zone_options(),
                facilitators=present.facilitator_options(), formats=present.FORMAT_OPTIONS, **extra)


def _new_defaults() -> dict:
    programs = db.session.scalars(select(Program).order_by(Program.name)).all()
    program = next((p for p in programs if p.id == request.args.get("program")), programs[0] if programs else None)
    values = {"program_id": program.id if program else "", "format": (program.default_format if program else "") or "in_person"}
    return values


# --- one-off sessions ----------------------------------------------------------

def session_new():
    require_role(*PLANNERS)
    form = FormState(_new_defaults() | {"start_time": "19:00", "end_time": "20:30"})
    if request.method == "POST":
        form = FormState.from_request(request.form)
        data, program = _read_entry(form)
        read = Reader(form)
        day, start_time, end_time = read.day("date"), read.clock_time("start_time"), read.clock_time("end_time")
        if not form.has_errors:
            tz = recurrence.zone(data["timezone"])
            data["start"] = recurrence.localize(datetime.combine(day, start_time), tz)
            data["end"] = recurrence.localize(datetime.combine(day, end_time), tz)
        if not form.has_errors and confirm_past(form, data["start"], now()):
            ok, session = _saved(form, lambda: operations.create_session(data), {"start": "start_time", "end": "end_time"})
            if ok:
                occ = operations.find_occurrence(session.id)[2]
                flash(f"Session planned: {occ.title}, {present.when(occ)}.", "success")
                return redirect(url_for("pages.detail", occurrence_id=session.id))
    return _render("sessions/session_form.html", form, **_entry_context())


def _session_values(session) -> dict:
    return {"program_id": session.program_id, "title": session.title, "description": session.description or "",
            "format": session.format, "location": session.location or "", "video_url": session.video_url or "",
            "capacity": "" if session.capacity is None else str(session.capacity),
            "facilitator_ids": [str(f.id) for f in session.facilitators]}


def session_edit(session_id: str):
    """A one-off session's details: title, description, format, place, places, facilitators. Its
    date and time change through "Move it", which also tells subscribers."""
    require_role(*PLANNERS)
    session = operations.get_session(session_id)
    form = FormState(_session_values(session))
    if request.method == "POST":
        form = FormState.from_request(request.form, {"facilitator_ids": []})
        form.values["program_id"] = session.program_id  # a session stays in its program
        data, _program = _read_entry(form)
        for field in ("program_id", "timezone"):
            data.pop(field, None)
        data["capacity"] = Reader(form).whole("capacity", 1, 10000)  # emptied: no limit any more
        if not form.has_errors:
            ok, _ = _saved(form, lambda: operations.update_session(session, data))
            if ok:
                flash(f"Session saved: {session.title}.", "success")
                return redirect(url_for("pages.detail", occurrence_id=session.id))
    return _render("sessions/session_edit.html", form, session=session, **_entry_context())


# --- series ------------------------------------------------------------------

SERIES_RENAME = {"start": "first_date", "rrule": "repeat", "duration_minutes": "end_time"}


def series_list():
    require_role(*STAFF_ROLES)
    rows = db.session.scalars(select(Series).order_by(Series.start_local)).all()
    return render_template("sessions/series_list.html", series=rows, describe=rules.describe)


def _read_schedule(form: FormState) -> tuple[date | None, datetime | None, int | None, str | None]:
    """First date, local start, duration and the rule, from the schedule and picker fields."""
    read = Reader(form)
    first, start_time, end_time = read.day("first_date"), read.clock_time("start_time"), read.clock_time("end_time")
    duration = None
    if start_time and end_time:
        duration = int((datetime.combine(date.min, end_time) - datetime.combine(date.min, start_time)).total_seconds() // 60)
        if duration <= 0:
            form.add("end_time", "The end must come after the start (same day).")
            duration = None
    rule, errors = rules.build_rule(form.values, first)
    form.merge(errors)
    start = datetime.combine(first, start_time) if first and start_time else None
    return first, start, duration, rule


def series_new():
    require_role(*PLANNERS)
    form = FormState(_new_defaults() | {"start_time": "19:00", "end_time": "20:30"} | rules.defaults_for(None))
    if request.method == "POST":
        form = FormState.from_request(request.form)
        data, program = _read_entry(form)
        _first, start, duration, rule = _read_schedule(form)
        if not form.has_errors:
            data.update(start=start, duration_minutes=duration, rrule=rule)
            ok, series = _saved(form, lambda: operations.create_series(data), SERIES_RENAME)
            if ok:
                described = rules.describe(series.rrule, series.timezone)
                flash(f"Series planned: {series.title}, {described[0].lower()}{described[1:]}.", "success")
                return redirect(url_for("pages.series_detail", series_id=series.id))
    return _render("sessions/series_form.html", form, series=None, **_picker_context(), **_entry_context())


def _picker_context() -> dict:
    return dict(intervals=rules.interval_options(), weekdays=rules.weekday_options(), ordinals=list(rules.ORDINALS))


def series_detail(series_id: str):
    staff = require_role(*STAFF_ROLES)
    series = operations.get_series(series_id)
    state = operations.series_state(series)
    far = datetime(9999, 1, 1, tzinfo=timezone.utc)
    occs = recurrence.expand("series", state, datetime(1970, 1, 1, tzinfo=timezone.utc), far)
    return render_template("sessions/series.html", series=series, occs=occs, describe=rules.describe,
                           may_plan=staff.role in PLANNERS, moment=now(),
                           continued_by=db.session.scalar(select(Series).where(Series.continues_series_id == series.id)))


def _edit_from(series: Series) -> date | None:
    """The first date an edit applies to: the first occurrence, or the next one once the series has begun."""
    tz = recurrence.zone(series.timezone)
    moment = now()
    if recurrence.localize(series.start_local, tz) > moment:
        return series.start_local.date()
    for local in recurrence.rule_dates(operations.series_state(series)):
        if recurrence.localize(local, tz) > moment:
            return local.date()
    return None


def _series_values(series: Series, first: date) -> dict:
    end = series.start_local + timedelta(minutes=series.duration_minutes)
    return {"program_id": series.program_id, "title": series.title, "description": series.description,
            "format": series.format, "location": series.location or "", "video_url": series.video_url or "",
            "timezone": series.timezone, "capacity": series.capacity or "",
            "facilitator_ids": [str(f.id) for f in series.facilitators], "first_date": first.isoformat(),
            "start_time": f"{series.start_local:%H:%M}", "end_time": f"{end:%H:%M}"} | \
        rules.fields_from_rule(series.rrule, first, series.timezone)


def series_edit(series_id: str):
    require_role(*PLANNERS)
    series = operations.get_series(series_id)
    first = _edit_from(series)
    if first is None:
        flash("Every occurrence of this series has started; there is nothing left to edit.", "error")
        return redirect(url_for("pages.series_detail", series_id=series_id))
    original = _series_values(series, first)
    form = FormState(original)
    if request.method == "POST":
        form = FormState.from_request(request.form)
        form.values["program_id"] = series.program_id  # a series stays in its program
        data, _program = _read_entry(form)
        data.pop("program_id", None)
        _first, start, duration, rule = _read_schedule(form)
        if not form.has_errors:
            data["duration_minutes"] = duration
            if (form.get("first_date"), form.get("start_time")) != (original["first_date"], original["start_time"]):
                data["start"] = start
            picked = {f: form.get(f) for f in rules.FIELDS}
            if picked != {f: original.get(f, "") for f in rules.FIELDS}:
                data["rrule"] = rule
            ok, target = _saved(form, lambda: operations.update_series(series, data), SERIES_RENAME)
            if ok:
                flash(f"Series saved: changes apply from {present.long_day(first)} on.", "success")
                return redirect(url_for("pages.series_detail", series_id=target.id))
    return _render("sessions/series_form.html", form, series=series, edit_from=first, started=first != series.start_local.date(),
                   **_picker_context(), **_entry_context())


def series_end(series_id: str):
    """No occurrence on or after a chosen date (a series that has not started keeps at least its first)."""
    require_role(*PLANNERS)
    series = operations.get_series(series_id)
    # Tomorrow, or the day after the first occurrence for a series that has not started.
    first_day = max(present.local_today(series.timezone), series.start_local.date()) + timedelta(days=1)
    form = FormState({"on": first_day.isoformat()})
    if request.method == "POST":
        form = FormState.from_request(request.form)
        day = Reader(form).day("on")
        if not form.has_errors:
            ok, _ = _saved(form, lambda: operations.end_series(series, day))
            if ok:
                flash(f"Series ended: no occurrence on or after {present.long_day(day)}.", "success")
                return redirect(url_for("pages.series_detail", series_id=series_id))
    return _render("sessions/series_end.html", form, series=series, describe=rules.describe)


def series_delete(series_id: str):
    """Ask, then delete a series without recorded attendance; a refusal is said on the page."""
    require_role(*PLANNERS)
    series = operations.get_series(series_id)
    return delete_page("series", series.title, rules.describe(series.rrule, series.timezone),
                       lambda: operations.delete_series(series), done=f"Deleted: the series {series.title}.",
                       back=url_for("pages.series_detail", series_id=series_id), then=url_for("pages.series_list"))


def delete_page(what: str, title: str, when: str, delete: Callable[[], object], done: str, back: str, then: str,
                cancelled: bool = False):
    """The "Delete this ...?" page of a session or a series: GET asks; POST runs ``delete()`` and goes to
    ``then`` saying ``done``, or, refused (started, counted), rolls back and says why on the page with the
    problem's status."""
    refusal = None
    if request.method == "POST":
        try:
            delete()
            db.session.commit()
        except Problem as exc:
            db.session.rollback()
            refusal = exc
        else:
            flash(done, "success")
            return redirect(then)
    return render_template("sessions/delete.html", what=what, title=title, when=when, back=back, refusal=refusal,
                           cancelled=cancelled), refusal.status if refusal else 200
