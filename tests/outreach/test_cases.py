"""What survives a closed pairing, and the shape of every row the programs record."""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Hashable
from datetime import date, datetime, timedelta, timezone
from enum import Enum
from zoneinfo import ZoneInfo

import pytest

from docbox_outreach.domain import assignment, cases, round_stats, vocabulary
from docbox_outreach.domain.cases import CaseSummary, Contact, may_reoffer, summarize
from docbox_outreach.domain.vocabulary import Channel, ClosingReason, ContactOutcome, Trigger

NEW_YORK = ZoneInfo("America/New_York")
REFERRED = datetime(2026, 12, 31, 23, 30, tzinfo=NEW_YORK)  # already 2027 in UTC


def contact(hours, outcome):
    return Contact(REFERRED + timedelta(hours=hours), Channel.CALL, outcome)


def test_closed_pairing_keeps_trigger_quarter_hours_contacts_outcome_and_reason_only():
    log = [contact(30.9, ContactOutcome.NO_ANSWER), contact(50, ContactOutcome.ACCEPTED),
           contact(200, ContactOutcome.NO_ANSWER)]
    row = summarize(Trigger.LITIGATION, REFERRED, log, ClosingReason.SUPPORT_GIVEN, NEW_YORK)
    assert REFERRED.astimezone(timezone.utc).year == 2027  # the quarter is the program's local one
    assert row == CaseSummary(Trigger.LITIGATION, "2026-Q4", 30, 3, ContactOutcome.ACCEPTED,
                              ClosingReason.SUPPORT_GIVEN)


def test_pairing_never_contacted_keeps_no_hours_and_no_outcome():
    row = summarize("quality_review", REFERRED, [], "no_response", NEW_YORK)
    assert (row.trigger, row.hours_to_first_contact, row.contacts, row.outcome) == (
        Trigger.QUALITY_REVIEW, None, 0, None)
    with pytest.raises(ValueError):
        summarize("a narrative about the case", REFERRED, [], "no_response", NEW_YORK)


@pytest.mark.parametrize("outcomes, expected", [
    ((ContactOutcome.NO_ANSWER, ContactOutcome.DEFERRED, ContactOutcome.REACHED), ContactOutcome.DEFERRED),
    ((ContactOutcome.DECLINED, ContactOutcome.ACCEPTED), ContactOutcome.ACCEPTED),
    ((ContactOutcome.FOLLOW_UP_PLANNED, ContactOutcome.NO_ANSWER), ContactOutcome.FOLLOW_UP_PLANNED),
])
def test_pairing_outcome_is_the_weightiest_contact_outcome(outcomes, expected):
    log = [contact(i, o) for i, o in enumerate(outcomes)]
    assert summarize(Trigger.OTHER, REFERRED, log, ClosingReason.MOVED_ON, NEW_YORK).outcome == expected


def test_reoffer_date_only_after_a_decline_or_deferral_and_in_the_future():
    now = REFERRED + timedelta(days=30)
    later = now + timedelta(days=180)
    assert may_reoffer([contact(1, ContactOutcome.DEFERRED)], later, now)
    assert may_reoffer([contact(1, ContactOutcome.REACHED), contact(2, ContactOutcome.DECLINED)], later, now)
    assert not may_reoffer([contact(1, ContactOutcome.DECLINED), contact(2, ContactOutcome.ACCEPTED)], later, now)
    assert not may_reoffer([contact(1, ContactOutcome.DECLINED)], now - timedelta(days=1), now)
    assert not may_reoffer([], later, now)


# What a field of a recorded row may be: an id, a number, a date or instant, a fixed code.
SAFE = (int, bool, float, date, datetime, Hashable)
RECORDED = [cases.Contact, cases.CaseSummary, round_stats.Attempt, assignment.OptOut]


@pytest.mark.parametrize("row", RECORDED, ids=lambda r: r.__name__)
def test_recorded_rows_have_no_field_that_could_hold_free_text(row):
    """No note, reason, narrative or identifier of a case: only ids, numbers, instants and codes.

    ``quarter`` is the one string, and it is made by the code ("2026-Q4"), never typed in.
    """
    hints = typing.get_type_hints(row)
    for field in dataclasses.fields(row):
        kinds = typing.get_args(hints[field.name]) or (hints[field.name],)
        for kind in kinds:
            if kind is str:
                assert (row, field.name) == (cases.CaseSummary, "quarter"), f"{row.__name__}.{field.name} is text"
            else:
                assert kind is type(None) or issubclass(kind, Enum) or kind in SAFE, (row.__name__, field.name, kind)


def test_every_enumeration_is_a_closed_list_of_lowercase_codes():
    enums = [v for v in vars(vocabulary).values() if isinstance(v, type) and issubclass(v, Enum)
             and v.__module__ == vocabulary.__name__ and v is not vocabulary.Labelled]
    assert len(enums) == 7
    for enum in enums:
        assert all(m.value.isascii() and m.value == m.value.lower() and " " not in m.value for m in enum)
    assert Channel.IN_PERSON.label == "in person"
    assert ContactOutcome("no_answer") is ContactOutcome.NO_ANSWER
