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
    assert "Tuesday 30 March 2027, 19:00–20:30 (Europe/Berlin)" in smtp.messages[-1].text
    # A series occurrence has no invitation of its own: the program's feed holds it, one entry per session.
    assert all(m.calendar_parts() == [] for m in smtp.messages)
    assert "https://calendar.docbox.test/subscribe?programs=prog-1" in smtp.messages[-1].text


def test_moved_occurrence_sends_a_notice_and_moves_its_reminders(calendar, subscribe, smtp, worker, clock):
    calendar.program()
    series = calendar.series("ser", TUE, rrule="FREQ=WEEKLY;COUNT=3")
    subscribe()
    smtp.clear()
    clock.set(datetime(2027, 3, 29, 17, 0, tzinfo=UTC))           # 24 h before 30 March
    worker()
    [reminder] = smtp.messages

    clock.set(datetime(2027, 3, 29, 18, 0, tzinfo=UTC))
    moved = {"date": date(2027, 3, 30), "status": "scheduled", "start": datetime(2027, 3, 31, 17, 0, tzinfo=UTC),
             "end": datetime(2027, 3, 31, 18, 30, tzinfo=UTC), "updated_at": clock(), "location": "Room 9"}
    calendar.update("series", series, exceptions=[moved])
    worker()
    [notice] = smtp.messages[1:]
    assert notice["Subject"] == "Changed: Balint group — Wednesday 31 March 2027"
    assert notice.calendar_parts() == []
    lines = notice.text.splitlines()
    assert lines[2:7] == ["New time: Wednesday 31 March 2027, 19:00–20:30 (Europe/Berlin)",
                          "Was: Tuesday 30 March 2027, 19:00–20:30 (Europe/Berlin)",
                          "Where: Room 9", "Was: none", "Video link: https://video.example/room"]

    # Old instants stay quiet; the new ones remind.
    before, at = step_to(clock, worker, smtp, datetime(2027, 3, 30, 17, 0, tzinfo=UTC))
    assert len(at) == 1 and "Wednesday 31 March 2027, 19:00–20:30" in at[0].text
    before, at = step_to(clock, worker, smtp, datetime(2027, 3, 31, 16, 0, tzinfo=UTC))
    assert before == [] and len(at) == 1
    clock.set(datetime(2027, 3, 31, 17, 30, tzinfo=UTC))
    worker()
    assert len(smtp.messages) == 4


def test_moved_one_off_session_updates_the_feeds_entry(calendar, subscribe, smtp, worker, clock):
    calendar.program()
    session = calendar.session("s1/ä", datetime(2027, 3, 25, 9, 0, tzinfo=UTC))
    subscribe()
    smtp.clear()
    clock.set(datetime(2027, 3, 24, 9, 0, tzinfo=UTC))
    worker()
    [reminder] = smtp.messages
    _, _, first = invitation(reminder)
    # The feed's UID and SEQUENCE (the entry's version): a calendar holding both shows it once.
    assert first["uid"] == "docbox-session-s1~2F~C3~A4" and int(first["sequence"]) == 1
    calendar.update("session", session, start=datetime(2027, 3, 25, 10, 0, tzinfo=UTC),
                    end=datetime(2027, 3, 25, 11, 0, tzinfo=UTC))
    worker()
    [notice] = smtp.messages[1:]
    part, cal, event = invitation(notice)
    assert cal["method"] == "REQUEST" and part.get_param("method") == "REQUEST"
    assert event["uid"] == first["uid"] and int(event["sequence"]) == 2
    assert event.decoded("dtstart") == datetime(2027, 3, 25, 10, 0, tzinfo=UTC)
    assert "New time: Thursday 25 March 2027, 11:00–12:00" in notice.text
    assert "Was: Thursday 25 March 2027, 10:00–11:00" in notice.text


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
    assert sorted(m["Subject"] for m in smtp.messages) == ["Cancelled: Balint group — Thursday 25 March 2027",
                                                          "Cancelled: Balint group — Tuesday 30 March 2027"]
    of_series, of_session = sorted(smtp.messages, key=lambda m: "Thursday" in m["Subject"])
    assert of_series.calendar_parts() == []   # the feed's override cancels it
    part, cal, event = invitation(of_session)
    assert cal["method"] == "CANCEL" and part.get_param("method") == "CANCEL"
    assert event["status"] == "CANCELLED" and int(event["sequence"]) == 2
    assert event["uid"] == "docbox-session-s1"
    smtp.clear()
    # Walk through the whole period: only the reminders of 23 March (not cancelled) arrive.
    for day, hour in ((22, 18), (23, 17), (24, 9), (25, 8), (29, 17), (30, 16)):
        clock.set(datetime(2027, 3, day, hour, 0, tzinfo=UTC))
        worker()
    assert [m.text.splitlines()[0] for m in smtp.messages] == ["Weekly circle", "Weekly circle"]
    assert all("23 March" in m["Subject"] for m in smtp.messages)


def test_restored_occurrence_is_announced_to_whoever_was_told_it_was_cancelled(calendar, subscribe, smtp,
                                                                               worker, clock):
    # Cancellations are told for anything within the reminder horizon (35 days), changes only within
    # 14 days: a session cancelled and restored three weeks ahead stayed "Cancelled" in every inbox.
    calendar.program()
    one_off = calendar.session("s1", datetime(2027, 4, 10, 9, 0, tzinfo=UTC))
    series = calendar.series("ser", TUE, rrule="FREQ=WEEKLY;COUNT=6")
    subscribe()
    smtp.clear()
    one_off = calendar.update("session", one_off, status="cancelled")
    series = calendar.update("series", series, exceptions=[{"date": date(2027, 4, 13), "status": "cancelled",
                                                            "updated_at": clock()}])
    worker()
    assert sorted(m["Subject"] for m in smtp.messages) == ["Cancelled: Balint group — Saturday 10 April 2027",
                                                          "Cancelled: Balint group — Tuesday 13 April 2027"]
    smtp.clear()
    clock.advance(hours=2)
    calendar.update("session", one_off, status="scheduled")
    calendar.update("series", series, exceptions=[])
    worker()
    assert sorted(m["Subject"] for m in smtp.messages) == [
        "Takes place after all: Balint group — Saturday 10 April 2027",
        "Takes place after all: Balint group — Tuesday 13 April 2027"]
    of_series, of_session = sorted(smtp.messages, key=lambda m: "Saturday" in m["Subject"])
    assert "Saturday 10 April 2027, 11:00–12:00" in of_session.text
    part, cal, event = invitation(of_session)
    assert cal["method"] == "REQUEST" and event["status"] == "CONFIRMED"
    assert "Tuesday 13 April 2027" in of_series.text


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
