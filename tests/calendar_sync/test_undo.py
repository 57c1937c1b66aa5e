"""Undo as calendars see it: a cancellation's reason in the feed entry and the faculty page, and a deleted
entry that stays in feeds as cancelled (a newer SEQUENCE) while CalDAV calendars lose it."""

from __future__ import annotations

from datetime import date, datetime, timezone

from .test_caldav_push import build, register, work
from .test_feeds import events_of, new_feed, path_of
from .test_pages import text_of

UTC = timezone.utc


def by_uid(client, feed) -> dict:
    result = {}
    for event in events_of(client.get(path_of(feed["url"])).data):
        result.setdefault(str(event["UID"]), []).append(event)
    return result


def test_the_reason_of_a_cancellation_is_in_the_feed_entry_and_on_the_faculty_page(client, sessions):
    program = sessions.program(name="Evening", slug="evening")
    one_off = sessions.session(program, "Grand rounds", datetime(2026, 3, 5, 17, tzinfo=UTC),
                               datetime(2026, 3, 5, 18, tzinfo=UTC), description="Bring questions")
    series = sessions.series(program, "Evening circle", datetime(2026, 3, 3, 19, 0), "FREQ=WEEKLY;COUNT=3")
    sessions.change("session", one_off, status="cancelled", cancel_reason="Room unavailable")
    series = sessions.change("series", series, exceptions=[{
        "date": date(2026, 3, 10), "status": "cancelled", "cancel_reason": "Facilitator unwell",
        "updated_at": sessions.clock()}])
    feed = new_feed(client, [program])
    events = by_uid(client, feed)
    [session_event] = events[f"docbox-session-{one_off['id']}"]
    assert str(session_event["STATUS"]) == "CANCELLED"
    assert str(session_event["DESCRIPTION"]) == "Cancelled: Room unavailable\n\nBring questions"
    master, override = events[f"docbox-series-{series['id']}"]
    assert "DESCRIPTION" not in master
    assert str(override["DESCRIPTION"]) == "Cancelled: Facilitator unwell"

    page = text_of(client.get(f"/programs/evening/sessions/{series['id']}_20260310"))
    assert "This session is cancelled. Reason: Facilitator unwell" in page
    assert "Reason" not in text_of(client.get(f"/programs/evening/sessions/{series['id']}_20260317"))


def test_a_deleted_entry_stays_in_the_feed_as_cancelled_with_a_newer_sequence(client, sessions):
    program = sessions.program(name="Evening", slug="evening")
    one_off = sessions.session(program, "Grand rounds", datetime(2026, 3, 5, 17, tzinfo=UTC),
                               datetime(2026, 3, 5, 18, tzinfo=UTC))
    series = sessions.series(program, "Evening circle", datetime(2026, 3, 3, 19, 0), "FREQ=WEEKLY;COUNT=3")
    feed = new_feed(client, [program])
    hiding = new_feed(client, [program], hide_cancelled=True)
    before = by_uid(client, feed)
    sessions.change("session", one_off, deleted=True)
    sessions.change("series", series, deleted=True)

    after = by_uid(client, feed)
    assert set(after) == set(before), "nothing a calendar holds leaves the feed silently"
    for uid, events in after.items():
        assert [str(e["STATUS"]) for e in events] == ["CANCELLED"]
        assert int(events[0]["SEQUENCE"]) == int(before[uid][0]["SEQUENCE"]) + 1
        assert str(events[0]["SUMMARY"]).startswith("Cancelled: ")
    assert by_uid(client, hiding) == {}, "a feed that leaves cancelled sessions out leaves these out"
    page = text_of(client.get("/programs/evening"))
    assert "Cancelled" in page


def test_a_deleted_entry_is_deleted_from_caldav_targets(client, runner, sessions, caldav_server):
    program, series, one_off = build(sessions)
    register(client, caldav_server, [program])
    work(runner)
    assert len(caldav_server.objects()) == 2
    sessions.change("session", one_off, deleted=True)
    report = work(runner)
    assert (report["requests"], report["failed"]) == (1, 0)
    assert list(caldav_server.objects()) == [f"docbox-series-{series['id']}.ics"]
    sessions.change("series", series, deleted=True)
    work(runner)
    assert caldav_server.objects() == {}
