"""Undo, as subscribers see it: a cancellation's reason, a restore ("takes place after all") told to those
who heard of the cancellation, and a deleted entry told as a cancellation to those who heard of it.

Each message is read as the SMTP server got it (raw bytes), not only as a parsed object."""

from __future__ import annotations

import re
from datetime import date, datetime
from email.header import decode_header, make_header

from .conftest import UTC
from .test_reminders import TUE, invitation


def raw_lines(message) -> list[bytes]:
    return message.raw.replace(b"\r\n", b"\n").split(b"\n")


def raw_subject(message) -> str:
    """The Subject as written in the bytes (folded lines joined, encoded words decoded)."""
    head = message.raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    value = re.search(r"^Subject: ([^\r\n]*(?:\r\n[ \t][^\r\n]*)*)", head, re.M).group(1)
    return str(make_header(decode_header(value.replace("\r\n", ""))))


def test_a_cancellation_notice_gives_the_reason_in_its_text_and_its_invitation(calendar, subscribe, smtp, worker,
                                                                               clock):
    calendar.program()
    session = calendar.session("s1", datetime(2027, 3, 25, 9, 0, tzinfo=UTC))
    series = calendar.series("ser", TUE, rrule="FREQ=WEEKLY;COUNT=3")
    subscribe()
    smtp.clear()
    calendar.update("session", session, status="cancelled", cancel_reason="Room unavailable")
    calendar.update("series", series, exceptions=[{"date": date(2027, 3, 30), "status": "cancelled",
                                                   "cancel_reason": "Facilitator unwell", "updated_at": clock()}])
    worker()
    of_series, of_session = sorted(smtp.messages, key=lambda m: "Thursday" in m["Subject"])
    assert raw_subject(of_session) == "Cancelled: Balint group — Thursday 25 March 2027"
    assert b"Reason: Room unavailable" in raw_lines(of_session)
    assert b"Reason: Facilitator unwell" in raw_lines(of_series)
    _, cal, event = invitation(of_session)
    assert cal["method"] == "CANCEL" and str(event["description"]).startswith("Cancelled: Room unavailable")


def test_a_restore_tells_those_told_of_the_cancellation_that_it_takes_place_after_all(
        calendar, subscribe, smtp, worker, clock):
    calendar.program()
    session = calendar.session("s1", datetime(2027, 3, 25, 9, 0, tzinfo=UTC))
    subscribe("ada@example.org")
    smtp.clear()
    cancelled = calendar.update("session", session, status="cancelled", cancel_reason="Room unavailable")
    worker()
    assert [m["Subject"] for m in smtp.messages] == ["Cancelled: Balint group — Thursday 25 March 2027"]
    subscribe("ben@example.org")  # follows after the cancellation went out: was never told of it
    smtp.clear()

    calendar.update("session", cancelled, status="scheduled", cancel_reason=None)
    worker()
    [notice] = smtp.messages
    assert notice.rcpt_tos == ["ada@example.org"]
    assert raw_subject(notice) == "Takes place after all: Balint group — Thursday 25 March 2027"
    lines = raw_lines(notice)
    assert b"Takes place after all: Peer support session" in lines
    assert b"We told you this session was cancelled. It takes place after all:" in lines
    assert b"When: Thursday 25 March 2027, 10:00=E2=80=9311:00 (Europe/Berlin)" in lines  # quoted-printable
    assert b"Changed:" not in notice.raw
    _, cal, event = invitation(notice)
    assert cal["method"] == "REQUEST" and event["status"] == "CONFIRMED" and int(event["sequence"]) == 3

    # Both get the reminder again, as for any session.
    clock.set(datetime(2027, 3, 24, 9, 0, tzinfo=UTC))
    smtp.clear()
    worker()
    assert sorted(r for m in smtp.messages for r in m.rcpt_tos) == ["ada@example.org", "ben@example.org"]


def test_a_restore_before_the_cancellation_went_out_sends_nothing_but_the_reminders(calendar, subscribe, smtp,
                                                                                    worker, clock):
    calendar.program()
    session = calendar.session("s1", datetime(2027, 3, 25, 9, 0, tzinfo=UTC))
    subscribe()
    smtp.clear()
    cancelled = calendar.update("session", session, status="cancelled")
    calendar.update("session", cancelled, status="scheduled")
    worker()
    assert smtp.messages == []


def test_a_deleted_session_is_a_cancellation_for_those_reminded_of_it_and_silence_for_the_rest(
        calendar, subscribe, smtp, worker, clock):
    calendar.program()
    told = calendar.session("s1", datetime(2027, 3, 25, 9, 0, tzinfo=UTC))
    untold = calendar.session("s2", datetime(2027, 3, 26, 9, 0, tzinfo=UTC))
    subscribe()
    smtp.clear()
    clock.set(datetime(2027, 3, 24, 9, 0, tzinfo=UTC))  # the day-before reminder of s1 goes out
    worker()
    [reminder] = smtp.messages
    assert "Thursday 25 March" in reminder["Subject"]
    smtp.clear()

    calendar.update("session", told, deleted=True)
    calendar.update("session", untold, deleted=True)
    worker()
    [notice] = smtp.messages
    assert raw_subject(notice) == "Cancelled: Balint group — Thursday 25 March 2027"
    assert "This session will not take place: Thursday 25 March 2027, 10:00–11:00 (Europe/Berlin)." in notice.text
    part, cal, event = invitation(notice)
    assert cal["method"] == "CANCEL" and event["status"] == "CANCELLED" and int(event["sequence"]) == 2
    # s2's reminder was planned but never sent: it is dropped, nothing more.
    clock.set(datetime(2027, 3, 25, 9, 30, tzinfo=UTC))
    worker()
    assert len(smtp.messages) == 1


def test_a_deleted_series_cancels_only_occurrences_someone_was_reminded_of(calendar, subscribe, smtp, worker, clock):
    calendar.program()
    series = calendar.series("ser", TUE, rrule="FREQ=WEEKLY;COUNT=3")
    subscribe()
    smtp.clear()
    clock.set(datetime(2027, 3, 22, 18, 0, tzinfo=UTC))  # the day-before reminder of 23 March
    worker()
    assert len(smtp.messages) == 1
    smtp.clear()
    calendar.update("series", series, deleted=True)
    worker()
    [notice] = smtp.messages
    assert notice["Subject"] == "Cancelled: Balint group — Tuesday 23 March 2027"
    for day, hour in ((23, 17), (29, 17), (30, 16), (31, 12)):
        clock.set(datetime(2027, 3, day, hour, 0, tzinfo=UTC))
        worker()
    assert len(smtp.messages) == 1, "no reminder of a deleted series"
