"""Recurring series: create, edit (splitting at the next occurrence once one has started), end, find."""

from __future__ import annotations

import re
from datetime import date, datetime

from sqlalchemy import inspect

from docbox_shared import recurrence
from docbox_shared.clock import now
from docbox_shared.problems import Conflict, ValidationProblem
from docbox_shared.recurrence import RuleError

from ..models import Series, SeriesException, db
from .checks import (
    _apply_defaults,
    _check_header_text,
    _check_place,
    _check_zone,
    _edited,
    _facilitators,
    _lookup,
    _place_value,
    _program_for,
)
from .states import _publish, series_state


def _local_start(start: datetime, tz_name: str) -> datetime:
    """The local wall time of a start given with offset (or as local wall time)."""
    tz = recurrence.zone(tz_name)
    return start.astimezone(tz).replace(tzinfo=None, microsecond=0) if start.tzinfo else start.replace(microsecond=0)


def _normalized_rule(rule: str, start_local: datetime, tz_name: str) -> str:
    try:
        return recurrence.normalize_rule(rule, start_local, tz_name)
    except RuleError as exc:
        raise ValidationProblem(f"The recurrence rule is not accepted: {exc}.", errors={"rrule": [str(exc)]})


def create_series(data: dict) -> Series:
    _check_header_text(data)
    program = _program_for(data)
    _apply_defaults(data, program)
    _check_zone(data["timezone"])
    _check_place(data["format"], data.get("location"), data.get("video_url"))
    start_local = _local_start(data["start"], data["timezone"])
    rule = _normalized_rule(data["rrule"], start_local, data["timezone"])
    facilitators = _facilitators(data.pop("facilitator_ids", []))
    series = Series(program_id=program.id, title=data["title"], description=data.get("description", ""),
                    format=data["format"], location=_place_value(data, "location"),
                    video_url=_place_value(data, "video_url"), timezone=data["timezone"],
                    capacity=data.get("capacity"), start_local=start_local,
                    duration_minutes=data["duration_minutes"], rrule=rule, facilitators=facilitators)
    db.session.add(series)
    _publish("series", series, new=True)
    return series


def get_series(series_id: str) -> Series:
    return _lookup(Series, series_id, "series")


def _next_rule_start(series: Series, moment: datetime) -> datetime | None:
    """Local start of the first occurrence (by the rule) that has not started at ``moment``."""
    tz = recurrence.zone(series.timezone)
    for local in recurrence.rule_dates(series_state(series)):
        if recurrence.localize(local, tz) > moment:
            return local
    return None


_SERIES_FIELDS = ("title", "description", "format", "location", "video_url", "capacity", "duration_minutes")


def update_series(series: Series, data: dict) -> Series:
    """Edit a series; the change applies to occurrences that have not started.

    A series none of whose occurrences has started is edited in place. Otherwise
    it is split, as calendar clients do for "this and following events": the
    series ends before the next occurrence, and a new series (with
    ``continues_series_id`` pointing back) carries the edit from there on.
    Past occurrences keep their ids, attendance and details; the returned
    series is the one holding the future.
    """
    _check_header_text(data)
    moment = now()
    tz_name = data.get("timezone", series.timezone)
    _check_zone(tz_name)
    started = recurrence.localize(series.start_local, recurrence.zone(series.timezone)) <= moment
    next_local = _next_rule_start(series, moment) if started else series.start_local
    if next_local is None:
        raise Conflict("Every occurrence of this series has started; there is nothing left to edit.")
    facilitators = _facilitators(data["facilitator_ids"]) if "facilitator_ids" in data else list(series.facilitators)
    values = _edited(series, data, _SERIES_FIELDS)
    if "start" in data:
        start_local = _local_start(data["start"], tz_name)
        if recurrence.localize(start_local, recurrence.zone(tz_name)) <= moment and started:
            raise ValidationProblem("The edited series must start in the future.", errors={"start": ["Must be in the future."]})
    else:
        start_local = datetime.combine(next_local.date(), series.start_local.time())
    split_day = next_local.date()
    rule_text = data.get("rrule") or (_remaining_rule(series, split_day) if started else series.rrule)
    rule = _normalized_rule(rule_text, start_local, tz_name)
    kept_exceptions = [x for x in series.exceptions if x.date >= split_day]

    if not started:
        target = series
    else:
        target = Series(program_id=series.program_id, continues_series_id=series.id)
        try:
            series.rrule = recurrence.end_rule_before(series.rrule, series.start_local, series.timezone, split_day)
        except RuleError as exc:
            raise ValidationProblem(str(exc))
        for x in kept_exceptions:
            series.exceptions.remove(x)
        db.session.add(target)
    for field, value in values.items():
        setattr(target, field, value)
    target.timezone, target.start_local, target.rrule, target.facilitators = tz_name, start_local, rule, facilitators
    valid_days = {d.date() for d in recurrence.rule_dates(series_state(target))} if kept_exceptions else set()
    if target is series:
        for x in list(series.exceptions):
            if x.date not in valid_days:
                series.exceptions.remove(x)
    else:
        for x in kept_exceptions:
            if x.date in valid_days:
                target.exceptions.append(_copy_exception(x, moment))
        _publish("series", series)
    _publish("series", target, new=target is not series)
    return target


def _copy_exception(exception: SeriesException, moment: datetime) -> SeriesException:
    """The exception for the series that continues: every mapped column but its series, so a column
    added to exceptions later comes along without anyone remembering to name it here."""
    values = {c.key: getattr(exception, c.key) for c in inspect(SeriesException).column_attrs if c.key != "series_id"}
    return SeriesException(**values | {"updated_at": moment})


def _remaining_rule(series: Series, split_day: date) -> str:
    """The series' rule for the part from ``split_day`` on (COUNT reduced by what came before)."""
    match = re.search(r"COUNT=(\d+)", series.rrule)
    if not match:
        return series.rrule
    before = sum(1 for d in recurrence.rule_dates(series_state(series)) if d.date() < split_day)
    return series.rrule.replace(match.group(0), f"COUNT={int(match.group(1)) - before}")


def end_series(series: Series, day: date) -> Series:
    """No occurrence on or after local ``day``: the rule gets an UNTIL."""
    if day <= series.start_local.date():
        raise ValidationProblem("The series would have no occurrence left; cancel its occurrences instead.",
                                errors={"on": ["Must be after the first occurrence."]})
    rule = recurrence.end_rule_before(series.rrule, series.start_local, series.timezone, day)
    if rule == series.rrule:
        return series
    series.rrule = rule
    for x in [x for x in series.exceptions if x.date >= day]:
        series.exceptions.remove(x)
    _publish("series", series)
    return series
