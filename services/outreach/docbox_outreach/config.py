"""Settings of the outreach service, read once from the environment.

Every setting is declared once here (name, default, help); the README lists
the same table: the service's database, URL, keys and mail, how long
leavers and the audit of reads are kept, then the programs' own rules (the
one-on-one rounds' retention and reminders; the case-based first-contact
window, business days, training validity).
"""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from docbox_shared.mail import SMTP_SETTINGS
from docbox_shared.settings import COMMON, Setting, as_bool, as_list, at_least, var_database
from docbox_shared.staff import SETTINGS as STAFF_SETTINGS

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
    Setting("DOCBOX_OUTREACH_DATABASE_URL", "SQLALCHEMY_DATABASE_URI", var_database("outreach"),
            "SQLAlchemy URL of the outreach database (postgresql+psycopg://... in production)."),
    Setting("DOCBOX_OUTREACH_URL", "PUBLIC_URL", "http://127.0.0.1:5004",
            "Public base URL of this service, used in the links of its mail (https in production).", public_url=True),
    *STAFF_SETTINGS,
    Setting("DOCBOX_OUTREACH_SECRET_KEYS", "SECRET_KEYS", ["dev-outreach-key-not-for-production"],
            "Keys (newest first, comma-separated) deriving the outreach page cookie's key; an older key still "
            "opens forms signed with it, so a key can be rotated.", as_list, secret=True),
    *SMTP_SETTINGS,
    Setting("DOCBOX_MIN_CELL", "MIN_CELL", 5, "Small-cell threshold K: counts 1..K-1 are withheld from viewers.",
            at_least(2, "below 2 nothing would be withheld")),
    Setting("DOCBOX_OUTREACH_RETENTION_DAYS", "RETENTION_DAYS", 90,
            "Days after a round closes before its person-level rows (assignments, attempts) are deleted; the "
            "round's aggregate numbers are kept.", as_days),
    Setting("DOCBOX_OUTREACH_LEAVER_RETENTION_DAYS", "LEAVER_RETENTION_DAYS", 90,
            "Days after a member is marked as left before the roster forgets them (name, email, division, opt-outs, "
            "links), once no round or pairing whose rows are still kept refers to them.", as_days),
    Setting("DOCBOX_OUTREACH_AUDIT_RETENTION_DAYS", "AUDIT_RETENTION_DAYS", 365,
            "Days a line of the audit of reads (who read someone else's data, when, which round or pairing) is "
            "kept.", as_days),
    Setting("DOCBOX_OUTREACH_REMINDER_DAYS", "REMINDER_DAYS", 3,
            "Days before a round's due date when each mentor gets a reminder listing those not reached yet.", as_days),
    Setting("DOCBOX_OUTREACH_POLL_SECONDS", "POLL_SECONDS", 5.0,
            "Pause of the outreach worker (mail, reminders, purges) between passes when nothing was due.", float),
    Setting("DOCBOX_OUTREACH_LEASE_SECONDS", "LEASE_SECONDS", 300,
            "How long mail the outreach worker claimed counts as in flight: after a worker died mid-send (or its database "
            "stayed away when the pass ended), the rest of its batch goes out once this has passed; after a connection "
            "cut it goes out on the next pass.",
            at_least(1, "a lease of at least a second")),
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
    Setting("DOCBOX_OUTREACH_ESCALATE_AFTER_HOURS", "CASE_ESCALATE_AFTER_HOURS", 24,
            "Hours after a missed first-contact due time at which the pairing is escalated to the coordinators "
            "(the supporter is reminded at the due time).", at_least(1, "the escalation follows the reminder")),
    Setting("DOCBOX_OUTREACH_CASE_RETENTION_MONTHS", "CASE_RETENTION_MONTHS", 12,
            "Months after a case-based pairing closes before its identifiable rows are deleted; a de-identified "
            "row (trigger, quarter, hours to first contact, contacts, outcome, closing reason) is kept.",
            at_least(1, "a month at least")),
    Setting("DOCBOX_OUTREACH_CASE_IDLE_DAYS", "CASE_IDLE_DAYS", 180,
            "Days without activity (a referral, the match, the attestation, a contact, a re-offer date) after which "
            "the worker closes an open case-based pairing with the reason \"no activity\"; its rows are then "
            "forgotten like any closed pairing's. The coordinator's queue shows what closes within 30 days.",
            as_days),
    Setting("DOCBOX_OUTREACH_COORDINATOR_EMAILS", "CASE_COORDINATOR_EMAILS", [],
            "Comma-separated addresses that get the case-based program's escalations (an overdue first contact); "
            "the mail names no one.", as_list),
]
