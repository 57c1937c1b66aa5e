"""Outreach test helpers: staff of each outreach role, signed in through the app's ``STAFF_LOOKUP``,
a roster with its mentor pool, and the program's mail as the test SMTP server receives it.

The suite's sign-in is asked who is calling; in these tests the ``X-Test-Staff`` header names
them and :data:`ROLES_BY_EMAIL` gives their outreach role (any other address: a mentor).
"""

from __future__ import annotations

import re

from sqlalchemy import select

from docbox_outreach.access import Staff
from docbox_outreach.models import Member, db, mail
from docbox_outreach.oneonone import operations as ops
from docbox_outreach.roster import import_roster

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
