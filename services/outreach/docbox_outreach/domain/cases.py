"""What is kept of a case-based pairing once it closes, and the rules of its contacts.

While a pairing is open its identifiable rows exist (who was referred, who
supports them, the logged contacts: time, channel, fixed outcome). A
configured time after closing (default 12 months) they are deleted and one
*de-identified row* remains for the program's reports: the trigger type, the
quarter of the referral, whole hours from referral to first contact, the
number of contacts, the pairing's outcome and the closing reason. No person,
supporter, division, date or time survives, and nothing in the row can hold
text: every field is a number, a quarter label or a member of a fixed
enumeration. Hours are whole and the date is a quarter so that the row
cannot be matched back to a referral by its timestamp.

Hours to first contact run from the referral (the physician's wait, which
the published programs report), while the supporter's due time runs from the
match (:mod:`.timing`): a slow match shows in the reports, not as a supporter
being late.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from .vocabulary import PAIRING_OUTCOME_ORDER, Channel, ClosingReason, ContactOutcome, Trigger

REOFFER_AFTER = (ContactOutcome.DECLINED, ContactOutcome.DEFERRED)


@dataclass(frozen=True)
class Contact:
    """One logged contact of a supporter: when, how, and a fixed outcome. No note exists."""

    at: datetime
    channel: Channel
    outcome: ContactOutcome


@dataclass(frozen=True)
class CaseSummary:
    """The de-identified row kept after a pairing's identifiable rows are deleted."""

    trigger: Trigger
    quarter: str  # "2026-Q3", the referral's quarter in the program's time zone
    hours_to_first_contact: int | None  # whole hours; None when no contact was ever logged
    contacts: int
    outcome: ContactOutcome | None  # the pairing's outcome (see PAIRING_OUTCOME_ORDER)
    closing_reason: ClosingReason


def quarter_of(moment: datetime, zone: ZoneInfo) -> str:
    local = moment.astimezone(zone)
    return f"{local.year}-Q{(local.month - 1) // 3 + 1}"


def pairing_outcome(contacts: Sequence[Contact]) -> ContactOutcome | None:
    """The outcome that sums up a pairing: the highest in PAIRING_OUTCOME_ORDER that occurred."""
    seen = {c.outcome for c in contacts}
    return next((o for o in PAIRING_OUTCOME_ORDER if o in seen), None)


def summarize(trigger: Trigger, referred_at: datetime, contacts: Sequence[Contact], closing_reason: ClosingReason,
              zone: ZoneInfo) -> CaseSummary:
    """The de-identified row of a closed pairing."""
    if referred_at.tzinfo is None or any(c.at.tzinfo is None for c in contacts):
        raise ValueError("instants must be aware datetimes")
    first = min((c.at for c in contacts), default=None)
    hours = None if first is None else max(0, int((first - referred_at).total_seconds() // 3600))
    return CaseSummary(Trigger(trigger), quarter_of(referred_at, zone), hours, len(contacts),
                       pairing_outcome(contacts), ClosingReason(closing_reason))


def idle_closes_at(activity: Sequence[datetime | None], idle: timedelta) -> datetime:
    """When an open pairing closes for no activity: ``idle`` after the latest of its moments that are people's
    doing (the referrals, the match, the attestation, the contacts, the re-offer date a supporter set). The
    program's own reminders and escalations are not activity: a case nobody acts on must not live on them."""
    return max(m for m in activity if m is not None) + idle


def may_reoffer(contacts: Sequence[Contact], reoffer_at: datetime, now: datetime) -> bool:
    """A re-offer date may be set only after the physician declined or deferred, and lies ahead."""
    if not contacts:
        return False
    latest = max(contacts, key=lambda c: c.at.astimezone(timezone.utc))
    return latest.outcome in REOFFER_AFTER and reoffer_at > now
