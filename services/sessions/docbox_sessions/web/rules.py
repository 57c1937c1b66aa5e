"""The recurrence picker: words a person chooses, turned into an RRULE (and back).

The picker offers three *patterns*, each ending *on a date* or *after N
occurrences*:

- ``weekly``: every week / every other week / every N weeks, on a weekday;
- ``monthly_weekday``: monthly on the first, second, third, fourth or last
  weekday (``BYDAY=3WE``, ``BYDAY=-1FR``);
- ``monthly_day``: monthly on day N (months without that day are skipped).

The first date must itself match the pattern (RFC 5545 counts DTSTART as the
first occurrence; calendar clients disagree when it does not), so a mismatch is
reported on the first-date field in words. Pure functions: no Flask, no database.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timezone

from docbox_shared.inputs import parse_day
from docbox_shared.recurrence import zone

WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
ORDINALS = (("1", "first"), ("2", "second"), ("3", "third"), ("4", "fourth"), ("-1", "last"))
PATTERNS = ("weekly", "monthly_weekday", "monthly_day")
ENDS = ("until", "count")
MAX_INTERVAL = 12
MAX_COUNT = 1000

# form field name -> what it means; views use these names in their templates
FIELDS = ("repeat", "weekly_interval", "weekly_day", "monthly_ordinal", "monthly_weekday", "monthly_day",
          "ends", "until", "count")


def interval_options() -> list[tuple[str, str]]:
    names = {1: "Every week", 2: "Every other week"}
    return [(str(n), names.get(n, f"Every {n} weeks")) for n in range(1, MAX_INTERVAL + 1)]


def weekday_options() -> list[tuple[str, str]]:
    return list(zip(WEEKDAYS, WEEKDAY_NAMES))


def _ordinal_of(day: date) -> tuple[str, bool]:
    """Which weekday of its month ``day`` is ("3"), and whether it is also the last."""
    nth = (day.day - 1) // 7 + 1
    return str(nth), day.day + 7 > _month_length(day)


def _month_length(day: date) -> int:
    following = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return (following - date(day.year, day.month, 1)).days


def defaults_for(first: date | None) -> dict[str, str]:
    """Picker values that fit a first date: "every week on its weekday, 10 times"."""
    values = {"repeat": "weekly", "weekly_interval": "1", "ends": "count", "count": "10"}
    if first is not None:
        nth, _last = _ordinal_of(first)
        values.update(weekly_day=WEEKDAYS[first.weekday()], monthly_weekday=WEEKDAYS[first.weekday()],
                      monthly_ordinal=nth if nth != "5" else "-1", monthly_day=str(first.day))
    return values


def build_rule(values: dict, first: date | None) -> tuple[str | None, dict[str, list[str]]]:
    """``(rule, errors)`` from the picker's values; ``first`` is the first date (None if unreadable)."""
    errors: dict[str, list[str]] = {}
    pattern = values.get("repeat") or ""
    parts: list[str] = []
    if pattern not in PATTERNS:
        return None, {"repeat": ["Choose how the series repeats."]}
    if pattern == "weekly":
        interval = _whole(values.get("weekly_interval"), 1, MAX_INTERVAL)
        day = values.get("weekly_day") or ""
        if interval is None:
            errors["weekly_interval"] = [f"Choose every 1 to {MAX_INTERVAL} weeks."]
        if day not in WEEKDAYS:
            errors["weekly_day"] = ["Choose a day of the week."]
        elif first is not None and WEEKDAYS[first.weekday()] != day:
            errors["first_date"] = [f"{_long(first)} is a {WEEKDAY_NAMES[first.weekday()]}; the series meets on "
                                    f"{WEEKDAY_NAMES[WEEKDAYS.index(day)]}s. Choose a first date that is a "
                                    f"{WEEKDAY_NAMES[WEEKDAYS.index(day)]}."]
        parts = ["FREQ=WEEKLY", f"INTERVAL={interval or 1}", f"BYDAY={day}"]
    elif pattern == "monthly_weekday":
        ordinal = values.get("monthly_ordinal") or ""
        day = values.get("monthly_weekday") or ""
        if ordinal not in dict(ORDINALS):
            errors["monthly_ordinal"] = ["Choose first, second, third, fourth or last."]
        if day not in WEEKDAYS:
            errors["monthly_weekday"] = ["Choose a day of the week."]
        if not errors and first is not None and not _is_nth_weekday(first, ordinal, day):
            errors["first_date"] = [f"{_long(first)} is not the {dict(ORDINALS)[ordinal]} "
                                    f"{WEEKDAY_NAMES[WEEKDAYS.index(day)]} of its month."]
        parts = ["FREQ=MONTHLY", f"BYDAY={ordinal}{day}"]
    else:
        day_number = _whole(values.get("monthly_day"), 1, 31)
        if day_number is None:
            errors["monthly_day"] = ["Enter a day of the month from 1 to 31."]
        elif first is not None and first.day != day_number:
            errors["first_date"] = [f"{_long(first)} is not day {day_number} of its month."]
        parts = ["FREQ=MONTHLY", f"BYMONTHDAY={day_number or 1}"]

    ends = values.get("ends") or ""
    if ends == "count":
        count = _whole(values.get("count"), 1, MAX_COUNT)
        if count is None:
            errors["count"] = [f"Enter a number of occurrences from 1 to {MAX_COUNT}."]
        parts.append(f"COUNT={count or 1}")
    elif ends == "until":
        until = _date(values.get("until"))
        if until is None:
            errors["until"] = ["Enter the last date as a date, e.g. 2027-06-30."]
        elif first is not None and until < first:
            errors["until"] = ["The last date must be on or after the first date."]
        else:
            parts.append(f"UNTIL={until:%Y%m%d}")
    else:
        errors["ends"] = ["Choose when the series ends."]
    return (None if errors else ";".join(parts)), errors


def fields_from_rule(rule: str, first: date, tz_name: str) -> dict[str, str]:
    """Picker values for a stored rule (UNTIL shown as a local date in ``tz_name``)."""
    parts = dict(p.split("=", 1) for p in rule.split(";") if "=" in p)
    values = defaults_for(first)
    byday = parts.get("BYDAY", "")
    if parts.get("FREQ") == "WEEKLY":
        values.update(repeat="weekly", weekly_interval=parts.get("INTERVAL", "1"),
                      weekly_day=byday.split(",")[0] if byday else WEEKDAYS[first.weekday()])
    elif parts.get("FREQ") == "MONTHLY" and byday:
        match = re.fullmatch(r"([+-]?\d)?([A-Z]{2})", byday)
        if match:
            values.update(repeat="monthly_weekday", monthly_ordinal=(match.group(1) or "1").lstrip("+"),
                          monthly_weekday=match.group(2))
    elif parts.get("FREQ") == "MONTHLY":
        values.update(repeat="monthly_day", monthly_day=parts.get("BYMONTHDAY", str(first.day)))
    if "COUNT" in parts:
        values.update(ends="count", count=parts["COUNT"])
    elif "UNTIL" in parts:
        values.update(ends="until", until=_until_day(parts["UNTIL"], tz_name).isoformat())
    return values


def describe(rule: str, tz_name: str) -> str:
    """The rule in words: "Every other week on Tuesday, 10 times"."""
    parts = dict(p.split("=", 1) for p in rule.split(";") if "=" in p)
    freq, byday = parts.get("FREQ"), parts.get("BYDAY", "")
    interval = int(parts.get("INTERVAL", "1") or 1)
    if freq == "WEEKLY":
        days = ", ".join(WEEKDAY_NAMES[WEEKDAYS.index(d)] for d in byday.split(",") if d in WEEKDAYS)
        every = {1: "Every week", 2: "Every other week"}.get(interval, f"Every {interval} weeks")
        text = f"{every} on {days}" if days else every
    elif freq == "MONTHLY" and byday:
        match = re.fullmatch(r"([+-]?\d)?([A-Z]{2})", byday)
        if match:
            ordinal = dict(ORDINALS).get((match.group(1) or "1").lstrip("+"), match.group(1))
            text = f"Monthly on the {ordinal} {WEEKDAY_NAMES[WEEKDAYS.index(match.group(2))]}"
        else:
            text = f"Monthly ({byday})"
    elif freq == "MONTHLY":
        text = f"Monthly on day {parts.get('BYMONTHDAY', '?')}"
    elif freq == "DAILY":
        text = "Every day" if interval == 1 else f"Every {interval} days"
    else:
        text = freq.title() if freq else "Repeats"
    if freq == "MONTHLY" and interval > 1:
        text += f", every {interval} months"
    if "COUNT" in parts:
        text += f", {parts['COUNT']} times"
    elif "UNTIL" in parts:
        day = _until_day(parts["UNTIL"], tz_name)
        text += f", until {day.day} {day:%B %Y}"
    return text


def _is_nth_weekday(day: date, ordinal: str, weekday: str) -> bool:
    if WEEKDAYS[day.weekday()] != weekday:
        return False
    nth, last = _ordinal_of(day)
    return last if ordinal == "-1" else nth == ordinal


def _whole(value, lo: int, hi: int) -> int | None:
    text = str(value or "").strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 12):  # int() refuses "²" and 5,000 digits
        return None
    number = int(text)
    return number if lo <= number <= hi else None


def _date(value) -> date | None:
    return parse_day(str(value or ""))


def _long(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _until_day(value: str, tz_name: str) -> date:
    """The local date of the last possible occurrence; UNTIL is stored as UTC ``...T...Z``."""
    if len(value) == 8:
        return datetime.strptime(value, "%Y%m%d").date()
    instant = datetime.strptime(value.rstrip("Z"), "%Y%m%dT%H%M%S")
    if value.endswith("Z"):
        return instant.replace(tzinfo=timezone.utc).astimezone(zone(tz_name)).date()
    return instant.date()
