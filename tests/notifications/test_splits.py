"""A split series, as the sessions service publishes it: what the follower's mailbox gets.

The old series gets an UNTIL and names its continuation; the continuation
names the series it continues. Each test publishes the two states the way
the sessions service does (see its ``update_series``).
"""

from __future__ import annotations

from datetime import datetime

from .conftest import UTC

TUE = datetime(2027, 3, 23, 19, 0)          # weekly at 19:00 Berlin (18:00 UTC, 17:00 UTC from 28 March)


def split(calendar, series, continuation_id, *, until, **continuation):
    """Publish the old series' end, then its continuation."""
    old = calendar.update("series", series, rrule=f"FREQ=WEEKLY;UNTIL={until}",
                          continued_by_series_id=continuation_id)
    new = {**series, "id": continuation_id, "continues_series_id": series["id"], "continued_by_series_id": None,
           "exceptions": [], **continuation, "created_at": calendar.clock(), "updated_at": calendar.clock()}
    calendar.publish("series", new)
    return old, new


def test_changing_the_weekday_changes_each_occurrence_and_cancels_none(calendar, subscribe, smtp, worker, clock):
    calendar.program()
    series = calendar.series("ser", TUE, rrule="FREQ=WEEKLY;COUNT=6")
    subscribe()
    smtp.clear()
    clock.set(datetime(2027, 3, 24, 12, 0, tzinfo=UTC))     # the first one took place
    split(calendar, series, "ser2", until="20270329T215959Z",
          start_local=datetime(2027, 3, 31, 19, 0), rrule="FREQ=WEEKLY;COUNT=5")
    worker()
    # Within the notice window only 30 March (now 31 March); 6 April -> 7 April is beyond it.
    assert [m["Subject"] for m in smtp.messages] == ["Changed: Balint group — Wednesday 31 March 2027"]
    assert "New time: Wednesday 31 March 2027, 19:00–20:30" in smtp.messages[0].text
    assert "Was: Tuesday 30 March 2027, 19:00–20:30" in smtp.messages[0].text
    smtp.clear()
    for day in (30, 31):    # 24 hours and 1 hour before 31 March, 19:00 CEST
        clock.set(datetime(2027, 3, day, 17 if day == 30 else 16, 0, tzinfo=UTC))
        worker()
    assert [m["Subject"] for m in smtp.messages] == ["Balint group — Wednesday 31 March 2027"] * 2


def test_reminder_waits_for_a_continuation_that_arrives_late_and_is_sent_once(calendar, subscribe, smtp, worker,
                                                                              clock):
    calendar.program()
    series = calendar.series("ser", TUE, rrule="FREQ=WEEKLY;COUNT=4")
    subscribe()
    smtp.clear()
    clock.set(datetime(2027, 3, 29, 12, 0, tzinfo=UTC))
    # Only the old series' event arrives (the relay retries the other one later).
    calendar.update("series", series, rrule="FREQ=WEEKLY;UNTIL=20270329T215959Z", continued_by_series_id="ser2")
    clock.set(datetime(2027, 3, 29, 17, 0, tzinfo=UTC))     # 24 h before 30 March
    worker()
    assert smtp.messages == [], "no cancellation, and no reminder while it is not known where it went"
    clock.set(datetime(2027, 3, 29, 18, 0, tzinfo=UTC))
    calendar.publish("series", {**series, "id": "ser2", "continues_series_id": "ser", "exceptions": [],
                                "start_local": datetime(2027, 3, 30, 19, 0), "rrule": "FREQ=WEEKLY;COUNT=3",
                                "description": "Bring a friend.", "created_at": clock(), "updated_at": clock()})
    worker()
    assert [m["Subject"] for m in smtp.messages] == ["Balint group — Tuesday 30 March 2027"]
    clock.set(datetime(2027, 3, 30, 16, 0, tzinfo=UTC))
    worker()
    assert [m["Subject"] for m in smtp.messages] == ["Balint group — Tuesday 30 March 2027"] * 2
    assert "Bring a friend." in smtp.messages[-1].text


def test_continuation_before_the_series_it_continues_waits_for_it(calendar, subscribe, smtp, worker, clock):
    calendar.program()
    series = calendar.series("ser", TUE, rrule="FREQ=WEEKLY;COUNT=4")
    subscribe()
    smtp.clear()
    clock.set(datetime(2027, 3, 24, 12, 0, tzinfo=UTC))
    continuation = {**series, "id": "ser3", "continues_series_id": "ser2", "exceptions": [],
                    "start_local": datetime(2027, 4, 6, 19, 0), "rrule": "FREQ=WEEKLY;COUNT=2",
                    "location": "Room 7", "created_at": clock(), "updated_at": clock()}
    calendar.publish("series", continuation)           # ser2 (between the two) is not known yet
    worker()
    assert smtp.messages == []
    middle = {**series, "id": "ser2", "continues_series_id": "ser", "continued_by_series_id": "ser3",
              "exceptions": [], "start_local": datetime(2027, 3, 30, 19, 0), "rrule": "FREQ=WEEKLY;COUNT=1",
              "updated_at": clock()}
    calendar.publish("series", middle)
    calendar.update("series", series, rrule="FREQ=WEEKLY;UNTIL=20270329T215959Z", continued_by_series_id="ser2")
    worker()
    # 30 March unchanged (in ser2), 6 April in Room 7 (ser3): one notice, no cancellation.
    assert [m["Subject"] for m in smtp.messages] == ["Changed: Balint group — Tuesday 6 April 2027"]
    assert "Where: Room 7" in smtp.messages[0].text and "Was: none" in smtp.messages[0].text
