"""The audit of reads is for the suite's admins, through the real one sign-in: the real sessions and outreach
apps each on a port. A coordinator's read is in it; the coordinator cannot read it."""

from __future__ import annotations

import re

import pytest

from docbox_outreach.cases import referrals
from docbox_outreach.models import Member, db
from support.outreach import browser, one_sign_in, sign_in


def _refer_cy(app, today):
    """Cy Patel, referred today: a pairing for the coordinator's queue."""
    with app.app_context():
        db.session.add(Member(name="Cy Patel", email="cy@example.org", division="Cardiology"))
        db.session.flush()
        referrals.refer(1, "litigation", today, today)
        db.session.commit()


@pytest.fixture
def suite(make_database_url, clock, serve):
    with one_sign_in(make_database_url, clock, serve, [("coord@example.org", "viewer", "coordinator"),
                                                      ("admin@example.org", "admin", None)],
                     secret_key="audit-test-key", seed=lambda app: _refer_cy(app, clock().date())) as urls:
        yield urls


def signed_in(suite, email):
    http = browser()
    sign_in(http, suite, email)
    return http


def test_admins_see_who_read_which_pairing_and_coordinators_do_not(suite):
    coordinator = signed_in(suite, "coord@example.org")
    queue = coordinator.get(suite["outreach_url"] + "/cases/queue")
    assert queue.status_code == 200 and "Cy Patel" in queue.text
    assert coordinator.get(suite["outreach_url"] + "/cases/audit").status_code == 403
    admin = signed_in(suite, "admin@example.org")
    audit = admin.get(suite["outreach_url"] + "/cases/audit")
    assert audit.status_code == 200
    assert re.search(r"coord@example.org</td><td>cases.queue</td><td class=\"num\">1</td>", audit.text)
    assert "Cy Patel" not in audit.text
    assert admin.get(suite["outreach_url"] + "/cases/queue").status_code == 403   # admins do not read pairings
