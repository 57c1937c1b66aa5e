"""The network between the mail worker and the SMTP server drops mid-message (a proxy cuts the connection;
tests/support/cut.py), not a stopped process: in the middle of a letter's DATA (the server never got its
final "."), or just after the server took it and before its "250" reached the worker. Every letter still
arrives, later passes of the same worker send the rest without a restart, and only the one in flight may
arrive twice, then with the same Message-ID (the queue's promise).
"""

from __future__ import annotations

import collections
from datetime import datetime, timedelta, timezone

import pytest
from shared.test_mail import enqueue, letters_service, mailbox  # noqa: F401 - the real SMTP server fixture
from sqlalchemy import select

from support.cut import CuttingProxy

COUNT = 6


@pytest.fixture
def proxy(mailbox):  # noqa: F811
    cutter = CuttingProxy("127.0.0.1", mailbox.port)
    yield cutter
    cutter.close()


@pytest.mark.parametrize("cut, may_repeat", [
    (dict(pattern=b"To: mentor2@", keep=6), False),                                        # mid-DATA
    (dict(pattern=b"250 Message accepted", from_server=True, nth=3), True),    # taken, its answer lost
])
def test_a_connection_cut_mid_message_loses_nothing_and_repeats_at_most_that_one(make_database_url, mailbox,  # noqa: F811
                                                                                  proxy, cut, may_repeat):
    clock = [datetime(2027, 1, 15, 12, 0, tzinfo=timezone.utc)]
    with letters_service(make_database_url("mail"), proxy.port, lease_seconds=300, batch=10) as service:
        service.queue.now = lambda: clock[0]
        enqueue(service, COUNT)
        proxy.cut_when(**cut)
        with service.app.app_context():
            first = service.queue.run_pass()
            assert proxy.cuts == 1 and first == {"sent": COUNT - 1, "pending": 1}, first
            for _ in range(5):   # the worker's later passes, as its loop runs them: no restart
                clock[0] += timedelta(hours=1)
                if not service.queue.run_pass():
                    break
            rows = service.db.session.scalars(select(service.Letter)).all()
            assert [row.status for row in rows] == ["sent"] * COUNT
            ids = {row.recipient: row.message_id for row in rows}
    received = collections.Counter((m["To"], m["Message-ID"]) for m in mailbox.received())
    assert set(received) == {(f"mentor{i}@hospital.example", ids[f"mentor{i}@hospital.example"]) for i in range(COUNT)}
    repeated = [to for (to, _), n in received.items() if n > 1]
    assert repeated == (["mentor2@hospital.example"] if may_repeat else []), received
