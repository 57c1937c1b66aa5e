"""Staff mail cut off mid-send by a dropped database connection (a failover, a restart, an idle timeout)
goes out on the relay's next pass, not after the five minutes of its lease.

PostgreSQL only: SQLite has no server connection to cut.
"""

from __future__ import annotations

import collections
import os
import threading

import psycopg
import pytest

from docbox_sessions.staff_mail import send_pass
from support.staff_pages import post
from support.suite import wait_until

pytestmark = pytest.mark.skipif(
    not os.environ.get("DOCBOX_TEST_DATABASE_URL", "").startswith("postgresql"),
    reason="needs PostgreSQL (DOCBOX_TEST_DATABASE_URL): SQLite has no server connections to terminate")

INVITED = 12


def terminate_backends(url: str) -> int:
    """Cut every connection to the database of ``url``; how many there were."""
    database = url.rsplit("/", 1)[1]
    server = url.replace("postgresql+psycopg://", "postgresql://").rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(server, autocommit=True) as conn:
        return len(conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                "WHERE datname = %s AND pid <> pg_backend_pid()", (database,)).fetchall())


def test_invitations_cut_off_mid_send_go_out_on_the_next_pass_at_most_one_twice(app, admin, smtp):
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp.port, MAIL_FROM="Doc Box <docbox@example.org>")
    assert app.config.get("LEASE_SECONDS", 300) >= 300   # the default: a wait for the lease would show
    for i in range(INVITED):
        post(admin, "/admin/staff/invite", {"email": f"dr{i}@example.org", "name": f"Dr {i}", "role": "viewer"},
             page="/admin/staff/invite")
    smtp.data_delay = 0.2   # each message acknowledged late: the batch takes seconds

    def first_pass():
        with app.app_context():
            try:
                send_pass()
            except Exception:  # noqa: BLE001 - the connection went away under it: what the relay loop survives
                pass

    worker = threading.Thread(target=first_pass)
    worker.start()
    assert wait_until(lambda: len(smtp.messages) >= 2, timeout=30)
    assert terminate_backends(app.config["SQLALCHEMY_DATABASE_URI"]) > 0
    worker.join(timeout=60)
    assert len(smtp.messages) < INVITED, "the cut came after the batch was sent"

    smtp.data_delay = 0
    with app.app_context():
        send_pass()   # the relay's next pass, a second later
    counts = collections.Counter(m["Message-ID"] for m in smtp.messages)
    assert sorted({m["To"].addresses[0].addr_spec for m in smtp.messages}) == sorted(
        f"dr{i}@example.org" for i in range(INVITED))
    assert sum(n - 1 for n in counts.values()) <= 1, "more than the one message in flight sent twice"
