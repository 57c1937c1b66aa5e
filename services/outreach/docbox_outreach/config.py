"""Settings of the outreach service, read once from the environment.

Every setting is declared once here (name, default, help); the README lists
the same table. So far these are the programs' own rules (the first-contact
window, business days, training validity); the database, URL, secret and mail
settings join when the app is built on the kit's frame.
"""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from docbox_shared.settings import COMMON, Setting, as_bool, as_list

from .domain.vocabulary import DEFAULT_FIRST_CONTACT_HOURS, FIRST_CONTACT_HOURS


def as_zone(value: str) -> ZoneInfo:
    try:
        return ZoneInfo(value.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{value!r} is not an IANA time zone (e.g. America/New_York)") from None


def as_window(value: str) -> int:
    hours = int(value)
    if hours not in FIRST_CONTACT_HOURS:
        raise ValueError(f"must be one of {', '.join(map(str, FIRST_CONTACT_HOURS))} hours, not {hours}")
    return hours


def as_dates(value: str) -> frozenset[date]:
    return frozenset(date.fromisoformat(item) for item in as_list(value))


def as_days(value: str) -> int:
    days = int(value)
    if days < 1:
        raise ValueError("must be at least 1 day")
    return days


SETTINGS = COMMON + [
    Setting("DOCBOX_OUTREACH_TIMEZONE", "OUTREACH_TIMEZONE", ZoneInfo("America/New_York"),
            "The department's IANA time zone: business days of the first-contact window and the quarters "
            "of the case reports.", as_zone),
    Setting("DOCBOX_OUTREACH_FIRST_CONTACT_HOURS", "FIRST_CONTACT_HOURS", DEFAULT_FIRST_CONTACT_HOURS,
            "Hours from matching a supporter to the first contact's due time: 24, 48 or 72.", as_window),
    Setting("DOCBOX_OUTREACH_BUSINESS_HOURS", "FIRST_CONTACT_BUSINESS_HOURS", False,
            "Count the first-contact window on weekdays only (Saturdays, Sundays and the holidays below pause it).",
            as_bool),
    Setting("DOCBOX_OUTREACH_HOLIDAYS", "OUTREACH_HOLIDAYS", frozenset(),
            "Comma-separated dates (YYYY-MM-DD) that pause a business-hours window like a weekend.", as_dates),
    Setting("DOCBOX_OUTREACH_TRAINING_VALID_DAYS", "TRAINING_VALID_DAYS", 365,
            "Days a supporter's latest training or refresher stays current.", as_days),
]
