"""Reminders at the right instants, following moves and cancellations; digests; catch-up."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from icalendar import Calendar

from .conftest import UTC

TUE = datetime(2027, 3, 23, 19, 0)          # weekly at 19:00 Berlin; DST starts Sunday 28 March


def invitation(message):
    [part] = message.calendar_parts()
    cal = Calendar.from_ical(part.get_content())
    [event] = cal.walk("VEVENT")
    return part, cal, event


def step_to(clock, worker, smtp, instant):
    """Run the worker a minute before ``instant`` and at it; return (before, at) new messages."""
    seen = len(smtp.messages)
    clock.set(instant - timedelta(minutes=1))
    worker()
    before = smtp.messages[seen:]
    seen = len(smtp.messages)
    clock.set(instant)
    worker()
    return before, smtp.messages[seen:]


def test_reminders_fire_at_their_offsets_across_a_daylight_saving_change(calendar, subscribe, smtp, worker, clock):
    calendar.program()
    calendar.series("ser", TUE, rrule="FREQ=WEEKLY;COUNT=3")
    subscribe()
    smtp.clear()
    # 19:00 CET is 18:00 UTC before the change, 19:00 CEST is 17:00 UTC after it.
    expected = [datetime(2027, 3, 22, 18, 0, tzinfo=UTC), datetime(2027, 3, 23, 17, 0, tzinfo=UTC),
                datetime(2027, 3, 29, 17, 0, tzinfo=UTC), datetime(2027, 3, 30, 16, 0, tzinfo=UTC)]
    for instant in expected:
        before, at = step_to(clock, worker, smtp, instant)
        assert before == []
        assert len(at) == 1, instant
        assert at[0]["Subject"] == "Balint group — Tuesday " + ("23" if instant.day < 25 else "30") + " March 2027"
    _, _, event = invitation(smtp.messages[-1])
    assert event.decoded("dtstart") == datetime(2027, 3, 30, 17, 0, tzinfo=UTC)
    assert "19:00–20:30 (Europe/Berlin)" in smtp.messages[-1].text


def test_moved_occurrence_sends_a_notice_and_moves_its_reminders(calendar, subscribe, smtp, worker, clock):
    calendar.program()
    series = calendar.series("ser", TUE, rrule="FREQ=WEEKLY;COUNT=3")
    subscribe()
    smtp.clear()
    clock.set(datetime(2027, 3, 29, 17, 0, tzinfo=UTC))           # 24 h before 30 March
    worker()
    [reminder] = smtp.messages
    _, _, first = invitation(reminder)

    clock.set(datetime(2027, 3, 29, 18, 0, tzinfo=UTC))
    moved = {"date": date(2027, 3, 30), "status": "scheduled", "start": datetime(2027, 3, 31, 17, 0, tzinfo=UTC),
             "end": datetime(2027, 3, 31, 18, 30, tzinfo=UTC), "updated_at": clock()}
    calendar.update("series", series, exceptions=[moved])
    worker()
    [notice] = smtp.messages[1:]
    part, cal, event = invitation(notice)
    assert notice["Subject"].startswith("Changed: ")
    assert cal["method"] == "REQUEST" and part.get_param("method") == "REQUEST"
    assert event["uid"] == first["uid"]
    assert int(event["sequence"]) > int(first["sequence"])
    assert event.decoded("dtstart") == datetime(2027, 3, 31, 17, 0, tzinfo=UTC)
    assert "Wednesday 31 March 2027, 19:00–20:30" in notice.text

    # Old instants stay quiet; the new ones remind, with the same UID and the new sequence.
    before, at = step_to(clock, worker, smtp, datetime(2027, 3, 30, 17, 0, tzinfo=UTC))
    assert len(at) == 1 and invitation(at[0])[2]["uid"] == first["uid"]
    before, at = step_to(clock, worker, smtp, datetime(2027, 3, 31, 16, 0, tzinfo=UTC))
    assert before == [] and len(at) == 1
    assert int(invitation(at[0])[2]["sequence"]) == int(event["sequence"])
    clock.set(datetime(2027, 3, 31, 17, 30, tzinfo=UTC))
    worker()
    assert len(smtp.messages) == 4


def test_cancelled_occurrence_sends_cancel_and_drops_its_reminders(calendar, subscribe, smtp, worker, clock):
    calendar.program()
    series = calendar.series("ser", TUE, rrule="FREQ=WEEKLY;COUNT=3")
    one_off = calendar.session("s1", datetime(2027, 3, 25, 9, 0, tzinfo=UTC))
    subscribe()
    smtp.clear()
    calendar.update("series", series, exceptions=[{"date": date(2027, 3, 30), "status": "cancelled",
                                                   "updated_at": clock()}])
    calendar.update("session", one_off, status="cancelled")
    worker()
    assert len(smtp.messages) == 2
    for message in smtp.messages:
        part, cal, event = invitation(message)
        assert message["Subject"].startswith("Cancelled: ")
        assert cal["method"] == "CANCEL" and part.get_param("method") == "CANCEL"
        assert event["status"] == "CANCELLED" and int(event["sequence"]) == 1
    assert {str(invitation(m)[2]["uid"]) for m in smtp.messages} == {"ser_20270330@docbox", "s1@docbox"}
    smtp.clear()
    # Walk through the whole period: only the reminders of 23 March (not cancelled) arrive.
    clock.set(datetime(2027, 3, 22, 18, 0, tzinfo=UTC)); worker()
    clock.set(datetime(2027, 3, 23, 17, 0, tzinfo=UTC)); worker()
    clock.set(datetime(2027, 3, 24, 9, 0, tzinfo=UTC)); worker()
    clock.set(datetime(2027, 3, 25, 8, 0, tzinfo=UTC)); worker()
    clock.set(datetime(2027, 3, 29, 17, 0, tzinfo=UTC)); worker()
    clock.set(datetime(2027, 3, 30, 16, 0, tzinfo=UTC)); worker()
    assert [m.text.splitlines()[0] for m in smtp.messages] == ["Weekly circle", "Weekly circle"]
    assert all("23 March" in m["Subject"] for m in smtp.messages)


def test_worker_that_was_down_sends_what_is_still_useful(calendar, subscribe, smtp, worker, clock):
    calendar.program()
    calendar.session("soon", datetime(2027, 3, 23, 18, 0, tzinfo=UTC), title="Still ahead")
    calendar.session("started", datetime(2027, 3, 23, 17, 20, tzinfo=UTC), title="Already started")
    subscribe()
    smtp.clear()
    clock.set(datetime(2027, 3, 23, 17, 30, tzinfo=UTC))           # down since Saturday
    worker()
    assert [m.text.splitlines()[0] for m in smtp.messages] == ["Still ahead"]   # one reminder, not two
    clock.advance(hours=3)
    worker()
    assert len(smtp.messages) == 1


def test_late_subscriber_and_last_minute_session_get_only_future_reminders(calendar, subscribe, smtp, worker, clock):
    calendar.program()
    subscribe()
    smtp.clear()
    clock.set(datetime(2027, 3, 23, 12, 0, tzinfo=UTC))
    calendar.session("late", datetime(2027, 3, 23, 18, 0, tzinfo=UTC))   # 24 h reminder already past
    worker()
    assert smtp.messages == []
    before, at = step_to(clock, worker, smtp, datetime(2027, 3, 23, 17, 0, tzinfo=UTC))
    assert before == [] and len(at) == 1


def test_weekly_digest_replaces_reminders(calendar, subscribe, smtp, worker, clock):
    calendar.program(email_subject="Peer meeting {date}")
    calendar.series("ser", TUE, rrule="FREQ=WEEKLY;COUNT=3")
    calendar.session("s1", datetime(2027, 3, 25, 9, 0, tzinfo=UTC), title="Thursday talk")
    subscribe(digest=True)
    smtp.clear()
    for hour in (datetime(2027, 3, 22, 5, 59, tzinfo=UTC), datetime(2027, 3, 22, 18, 0, tzinfo=UTC),
                 datetime(2027, 3, 23, 17, 0, tzinfo=UTC)):
        clock.set(hour)
        worker()
        if hour.hour == 5:
            assert smtp.messages == []
            clock.set(datetime(2027, 3, 22, 6, 0, tzinfo=UTC))     # Monday 07:00 Berlin
            worker()
    [digest] = smtp.messages
    assert digest["Subject"] == "Sessions this week — Monday 22 March 2027"
    assert "Weekly circle" in digest.text and "Thursday talk" in digest.text
    assert "Tuesday 23 March 2027, 19:00–20:30 (Europe/Berlin)" in digest.text
    assert digest.calendar_parts() == []
    clock.set(datetime(2027, 3, 29, 5, 0, tzinfo=UTC))            # 07:00 CEST is 05:00 UTC
    worker()
    assert len(smtp.messages) == 2 and "Tuesday 30 March 2027" in smtp.messages[-1].text
