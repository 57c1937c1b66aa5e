"""The audit of reads is for the suite's admins, through the real one sign-in: the real sessions and outreach
apps each on a port. A coordinator's read is in it; the coordinator cannot read it."""

from __future__ import annotations

import re

import pytest
import requests
from sqlalchemy import select

from support.apps import running_app
from support.clock import clock_config

PASSWORD = "a long passphrase for tests"


@pytest.fixture
def suite(make_database_url, clock, serve):
    with running_app("sessions", {"SQLALCHEMY_DATABASE_URI": make_database_url("sessions"),
                                  **clock_config("sessions", clock), "EVENT_SUBSCRIBERS": [],
                                  "EVENT_SECRETS": ["test-secret"], "SECRET_KEY": "audit-test-key"}) as sessions:
        from docbox_sessions.models import Staff, db
        from docbox_sessions.staff_admin import set_roles

        runner = sessions.test_cli_runner()
        for email, role, outreach in (("coord@example.org", "viewer", "coordinator"),
                                      ("admin@example.org", "admin", None)):
            assert runner.invoke(args=["staff", "add", email, "--role", role]).exit_code == 0
            assert runner.invoke(args=["staff", "set-password", email, "--password-stdin"],
                                 input=PASSWORD + "\n").exit_code == 0
            with sessions.app_context():
                set_roles(db.session.scalar(select(Staff).where(Staff.email == email)), outreach_role=outreach)
                db.session.commit()
        sessions_url = serve(sessions)
        with running_app("outreach", {"SQLALCHEMY_DATABASE_URI": make_database_url("outreach"),
                                      "CLOCK": clock, "SESSIONS_URL": sessions_url,
                                      "STAFF_LOGIN_URL": sessions_url + "/login"}) as outreach_app:
            from docbox_outreach.cases import referrals
            from docbox_outreach.models import Member
            from docbox_outreach.models import db as outreach_db
            with outreach_app.app_context():
                outreach_db.session.add(Member(name="Cy Patel", email="cy@example.org", division="Cardiology"))
                outreach_db.session.flush()
                referrals.refer(1, "litigation", clock().date(), clock().date())
                outreach_db.session.commit()
            outreach_url = serve(outreach_app)
            sessions.config["OUTREACH_URL"] = outreach_url
            yield {"sessions_url": sessions_url, "outreach_url": outreach_url}


def signed_in(suite, email):
    http = requests.Session()
    http.trust_env = False
    login = suite["sessions_url"] + "/login"
    token = re.search(r'name="csrf_token" value="([^"]+)"', http.get(login).text).group(1)
    http.post(login, data={"email": email, "password": PASSWORD, "csrf_token": token}, allow_redirects=False)
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
