"""Outreach test helpers: staff of each outreach role, signed in through the app's ``STAFF_LOOKUP``,
a roster with its mentor pool, the program's mail as the test SMTP server receives it, the real
sessions and outreach apps served side by side for the one sign-in, and every row of the database
(what is left of a person after the program forgot them).

The suite's sign-in is asked who is calling; in these tests the ``X-Test-Staff`` header names
them and :data:`ROLES_BY_EMAIL` gives their outreach role (any other address: a mentor).
"""

from __future__ import annotations

import re
from contextlib import contextmanager

import requests
from sqlalchemy import MetaData, select

from docbox_outreach.access import Staff
from docbox_outreach.models import Member, db, mail
from docbox_outreach.oneonone import operations as ops
from docbox_outreach.roster import import_roster
from support.apps import EVENT_SECRET, running_app
from support.clock import clock_config
from support.staff_pages import PASSWORD

BASE = "https://docbox.test/outreach"   # the app's PUBLIC_URL in tests that read its links

ROLES_BY_EMAIL = {
    "coordinator@example.org": "coordinator",
    "viewer@example.org": "viewer",
    "organizer@example.org": None,   # a sessions organizer: no outreach role
}


def staff_lookup(req):
    email = req.headers.get("X-Test-Staff")
    if not email:
        return None
    return Staff(email=email, name=email.split("@")[0].title(), outreach_role=ROLES_BY_EMAIL.get(email, "mentor"))


def as_staff(email: str) -> dict:
    return {"X-Test-Staff": email}


COORDINATOR = as_staff("coordinator@example.org")
VIEWER = as_staff("viewer@example.org")


def open_round(client, due_on: str, **form):
    """The coordinator's two steps on the pages: prepare the round (a draft, nothing sent), then open it
    (the mail goes). The answer of the step that was refused, else the opening's redirect."""
    prepared = client.post("/oneonone/rounds", data={"due_on": due_on, **form}, headers=COORDINATOR)
    if prepared.status_code != 302:
        return prepared
    return client.post(prepared.headers["Location"] + "/open", headers=COORDINATOR)


def two_mentors_and(fellows: int) -> str:
    """A roster CSV: Mentor 1 and 2 (m1@, m2@, Medicine) and ``fellows`` fellows (f0@..., Surgery), so that
    every pairing of a mentor and a fellow is allowed."""
    return "name,work email,division\n" + "\n".join(
        [f"Mentor {i},m{i}@example.org,Medicine" for i in (1, 2)]
        + [f"Fellow {i},f{i}@example.org,Surgery" for i in range(fellows)]) + "\n"


def load_roster(app, roster: str, mentors) -> dict[str, int]:
    """Import ``roster`` (CSV) and put the members with the emails ``mentors`` in the mentor pool, as the
    coordinator would; each member's email -> id."""
    with app.app_context():
        import_roster(roster.encode())
        ids = dict(db.session.execute(select(Member.email, Member.id)).all())
        for email in mentors:
            ops.add_mentor(ids[email])
    return ids


def mailing(smtp) -> dict:
    """The settings that send the app's mail into the test SMTP server ``smtp``, its links under BASE."""
    return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": smtp.port, "PUBLIC_URL": BASE}


def send_mail(app) -> None:
    """One pass of the mail worker: what is queued reaches the SMTP server."""
    with app.app_context():
        mail.run_pass()


def link_of(smtp, address: str) -> str:
    """The mentee link (its token) in the last mail ``address`` received."""
    return re.findall(rf"{re.escape(BASE)}/oneonone/link/([A-Za-z0-9_-]+)", smtp.to(address)[-1].text)[0]


@contextmanager
def one_sign_in(make_database_url, clock, serve, staff, secret_key: str, seed=lambda app: None):
    """The real sessions and outreach apps, each served on a port of 127.0.0.1, outreach signing staff in on
    sessions' page. ``staff``: (email, role in group sessions, outreach role or None), each added with the
    sessions CLI and :data:`PASSWORD`; ``seed(app)`` writes what outreach holds before it serves. Yields
    ``{"sessions_url", "outreach_url"}``."""
    with running_app("sessions", {"SQLALCHEMY_DATABASE_URI": make_database_url("sessions"),
                                  **clock_config("sessions", clock), "EVENT_SUBSCRIBERS": [],
                                  "EVENT_SECRETS": [EVENT_SECRET], "SECRET_KEY": secret_key}) as sessions:
        runner = sessions.test_cli_runner()
        for email, role, outreach in staff:
            assert runner.invoke(args=["staff", "add", email, "--role", role,
                                       "--outreach-role", outreach or "none"]).exit_code == 0
            assert runner.invoke(args=["staff", "set-password", email, "--password-stdin"],
                                 input=PASSWORD + "\n").exit_code == 0
        sessions_url = serve(sessions)
        with running_app("outreach", {"SQLALCHEMY_DATABASE_URI": make_database_url("outreach"),
                                      "CLOCK": clock, "SESSIONS_URL": sessions_url,
                                      "STAFF_LOGIN_URL": sessions_url + "/login"}) as outreach_app:
            seed(outreach_app)
            outreach_url = serve(outreach_app)
            sessions.config["OUTREACH_URL"] = outreach_url  # where the sign-in page may send people back to
            yield {"sessions_url": sessions_url, "outreach_url": outreach_url}


def browser() -> requests.Session:
    """A browser of its own (no proxy from the environment), signed in nowhere yet."""
    http = requests.Session()
    http.trust_env = False
    return http


def sign_in(http, suite, email: str, next_url: str = ""):
    """``http`` signs in as ``email`` on the sessions sign-in page; its answer (a redirect to ``next_url``)."""
    login = suite["sessions_url"] + "/login"
    page = http.get(login, params={"next": next_url})
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    answer = http.post(login, data={"email": email, "password": PASSWORD, "csrf_token": token, "next": next_url},
                       allow_redirects=False)
    assert answer.status_code == 302, answer.text
    return answer


def everything(app) -> dict[str, list[tuple]]:
    """Every row of every table of the outreach database, as the database holds it."""
    with app.app_context():
        meta = MetaData()
        meta.reflect(db.engine)
        with db.engine.connect() as connection:
            return {table.name: [tuple(row) for row in connection.execute(table.select())]
                    for table in meta.sorted_tables}


def traces(app, person) -> list[str]:
    """Where ``person`` (id, name, email) is still found: a cell holding their name or email, or a column
    that refers to the roster holding their id."""
    with app.app_context():
        meta = MetaData()
        meta.reflect(db.engine)
        to_members = {(t.name, c.name) for t in meta.tables.values() for c in t.columns
                      for fk in c.foreign_keys if fk.column.table.name == "members"}
        columns = {t.name: [c.name for c in t.columns] for t in meta.tables.values()}
    found = []
    for table, rows in everything(app).items():
        for row in rows:
            for column, value in zip(columns[table], row):
                text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
                if person["name"] in text or person["email"] in text.lower():
                    found.append(f"{table}.{column}: {text[:80]}")
                if (table, column) in to_members and value == person["id"]:
                    found.append(f"{table}.{column} = their id")
                if table == "members" and column == "id" and value == person["id"]:
                    found.append("members.id = their id")
    return found
