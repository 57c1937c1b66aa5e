"""Outreach test helpers: staff of each outreach role, signed in through the app's ``STAFF_LOOKUP``.

The suite's sign-in is asked who is calling; in these tests the ``X-Test-Staff`` header names
them and :data:`ROLES_BY_EMAIL` gives their outreach role (any other address: a mentor).
"""

from __future__ import annotations

from sqlalchemy import MetaData

from docbox_outreach.access import Staff
from docbox_outreach.models import db

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
