"""Fixtures of the case-based program's tests: the outreach app on a fake clock, a roster, staff actors."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from support.apps import dispose, migrated_app
from support.clock import Clock, clock_config

START = datetime(2026, 3, 2, 14, 0, tzinfo=timezone.utc)  # a Monday, 9:00 in New York


def staff_lookup(req):
    """Who calls, in these tests: ``X-Test-Staff`` (email) with ``X-Test-Role`` (outreach role)."""
    from docbox_outreach.access import Staff
    email = req.headers.get("X-Test-Staff")
    if not email:
        return None
    return Staff(email=email, name=email.split("@")[0].title(), outreach_role=req.headers.get("X-Test-Role") or None)


def as_staff(email: str, role: str | None) -> dict:
    return {"X-Test-Staff": email, "X-Test-Role": role or ""}


@pytest.fixture
def clock():
    return Clock(START)


@pytest.fixture
def app(make_database_url, clock):
    """The migrated outreach app on a fake clock, K = 3 for viewers' numbers."""
    app = migrated_app("outreach", {"SQLALCHEMY_DATABASE_URI": make_database_url("outreach"),
                                    **clock_config("outreach", clock), "STAFF_LOOKUP": staff_lookup,
                                    "WTF_CSRF_ENABLED": False, "MIN_CELL": 3,
                                    "PUBLIC_URL": "https://docbox.test/outreach"})
    yield app
    dispose(app)


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield app


class Roster:
    """A small department: a chair, two division heads, physicians, and supporters with training."""

    def __init__(self, db):
        from docbox_outreach.cases.host import Member
        self.db, self.Member = db, Member
        self.chair = self.member("Ada Chair", "Medicine")
        self.head = self.member("Ben Head", "Cardiology", self.chair)
        self.phys = self.member("Cy Patel", "Cardiology", self.head)
        self.other = self.member("Di Okafor", "Nephrology", self.chair)
        self.peer1 = self.member("Eve Stone", "Nephrology", self.chair)
        self.peer2 = self.member("Fay Moss", "Cardiology", self.head)
        self.peer3 = self.member("Gus Lind", "Oncology", self.chair)
        db.session.commit()

    def member(self, name, division, boss=None):
        m = self.Member(name=name, email=f"{name.split()[0].lower()}@hospital.test", division=division,
                        reports_to=boss.email if boss else None)
        self.db.session.add(m)
        self.db.session.flush()
        return m


@pytest.fixture
def roster(ctx):
    from docbox_outreach.cases.host import db
    return Roster(db)


@pytest.fixture
def people(app):
    """The same department for tests that go through HTTP: plain values, no app context held open (each
    request must get its own, as in production)."""

    from docbox_outreach.cases.host import db
    return people_of(app, db)


def people_of(app, db):
    from types import SimpleNamespace
    with app.app_context():
        roster = Roster(db)
        return SimpleNamespace(**{name: SimpleNamespace(id=m.id, name=m.name, email=m.email, division=m.division)
                                  for name, m in vars(roster).items() if hasattr(m, "division")})


def actor(email, role):
    from docbox_outreach.cases.access import Actor
    return Actor(email=email, role=role)


@pytest.fixture
def coordinator():
    return actor("coord@hospital.test", "coordinator")
