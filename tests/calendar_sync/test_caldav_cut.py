"""The network between the CalDAV worker and the server drops mid-request (a proxy cuts the connection;
tests/support/cut.py), not a stopped server: in the middle of a PUT's body (the server stores nothing),
just after the server stored a PUT and before its answer reached the worker, or before the
PROPFIND answer listing the calendar's ETags arrived. The next passes, same worker,
no restart, leave the server holding exactly Doc Box's calendar, and the admin's target page reports no
conflict: nobody but Doc Box touched the calendar, and "someone else changed it" would send them looking
for an intruder.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from support.cut import CuttingProxy

from .test_caldav_push import build, holds_exactly_doc_box, register, status, work

UTC = timezone.utc


class Through:
    """``server`` as the worker sees it: every URL through the proxy."""

    def __init__(self, server, proxy):
        self.name, self.username, self.password = server.name, server.username, server.password
        real, via = server.base, server.base.replace(f":{server.port}", f":{proxy.port}")
        self.base, self.calendar_url = via, server.calendar_url.replace(real, via)


@pytest.fixture
def proxy(caldav_server):
    cutter = CuttingProxy("127.0.0.1", caldav_server.port)
    yield cutter
    cutter.close()


CUTS = {
    "mid-PUT body, first push": (dict(pattern=b"BEGIN:VEVENT", keep=5, nth=2), "first"),
    "created, answer lost": (dict(pattern=b" 201 ", from_server=True, nth=2), "first"),
    "changed, answer lost": (dict(pattern=b" 204 ", from_server=True), "change"),
    "ETag listing, answer lost": (dict(pattern=b" 207 ", from_server=True), "first"),
}


@pytest.mark.parametrize("cut, when", CUTS.values(), ids=CUTS.keys())
def test_a_connection_cut_mid_write_is_repaired_by_the_next_pass_with_no_conflict(client, runner, sessions,
                                                                                  caldav_server, proxy, clock, cut,
                                                                                  when):
    program, series, one_off = build(sessions)
    target = register(client, Through(caldav_server, proxy), [program])
    if when == "change":
        assert work(runner)["failed"] == 0
        sessions.exception(series, date(2026, 3, 10), start=datetime(2026, 3, 11, 17, tzinfo=UTC),
                           end=datetime(2026, 3, 11, 18, tzinfo=UTC))
    proxy.cut_when(**cut)
    work(runner)
    assert proxy.cuts == 1
    for _ in range(3):
        clock.advance(hours=2)
        work(runner)
    assert holds_exactly_doc_box(caldav_server, sessions)
    shown = status(client, target)
    assert shown["pending_changes"] == 0
    assert shown["conflicts"] == 0, shown["recent_conflicts"]


def test_a_connection_cut_mid_batch_loses_nothing_and_the_next_pass_sends_only_what_is_missing(
        client, runner, sessions, caldav_server, proxy, clock):
    # The worker commits its outcomes together (push.COMMIT_SECONDS): every write the server
    # took before the cut must still be recorded, or the next pass would write it again.
    program = sessions.program(name="Peer support")
    for i in range(12):
        start = datetime(2026, 3, 2, 8, tzinfo=UTC) + timedelta(days=i)
        sessions.session(program, f"Grand rounds {i}", start, start + timedelta(hours=1))
    target = register(client, Through(caldav_server, proxy), [program])
    proxy.cut_when(pattern=b"PUT ", nth=6)  # the sixth write never reaches the server
    first = work(runner)
    assert proxy.cuts == 1 and first["failed"] == 1 and first["conflicts"] == 0
    assert 5 <= first["pushed"] < 12  # the five before it, and any already in flight beside it
    assert len(caldav_server.objects()) == first["pushed"]
    assert status(client, target)["pending_changes"] == 12 - first["pushed"]
    clock.advance(hours=2)
    # Only the missing writes, and the hourly reconciliation's PROPFIND, due again after two hours.
    missing = 12 - first["pushed"]
    assert work(runner) == {"pushed": missing, "failed": 0, "conflicts": 0, "requests": missing + 1}
    assert holds_exactly_doc_box(caldav_server, sessions)
    assert status(client, target)["pending_changes"] == 0
