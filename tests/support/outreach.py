"""Outreach test helpers: staff of each outreach role, signed in through the app's ``STAFF_LOOKUP``.

The suite's sign-in is asked who is calling; in these tests the ``X-Test-Staff`` header names
them and :data:`ROLES_BY_EMAIL` gives their outreach role (any other address: a mentor).
"""

from __future__ import annotations

from docbox_outreach.access import Staff

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
