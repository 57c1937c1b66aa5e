"""Fixtures of the case-based program's tests: the outreach app on a fake clock, a roster, staff actors."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from support.clock import Clock, clock_config

START = datetime(2026, 3, 2, 14, 0, tzinfo=timezone.utc)  # a Monday, 9:00 in New York


def _make_app(config: dict):
    """The outreach app (stand-in until the service frame lands: the kit's frame over the program's tables)."""
    from zoneinfo import ZoneInfo

    from docbox_outreach.cases import models  # noqa: F401 (the tables)
    from docbox_outreach.cases.host import db
    from docbox_outreach.cases.settings import SETTINGS as CASE_SETTINGS
    from docbox_outreach.config import SETTINGS
    from docbox_shared.frame import service_app
    from docbox_shared.mail import SMTP_SETTINGS

    app = service_app("docbox_outreach", "outreach", SETTINGS + CASE_SETTINGS + SMTP_SETTINGS, db, "migrations",
                      {"OUTREACH_TIMEZONE": ZoneInfo("America/New_York"), "MIN_CELL": 3, **config})
    with app.app_context():
        db.create_all()
    return app


@pytest.fixture
def clock():
    return Clock(START)


@pytest.fixture
def app(make_database_url, clock):
    app = _make_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": make_database_url("outreach"),
                     **clock_config("outreach", clock)})
    yield app
    with app.app_context():
        db = app.extensions["sqlalchemy"]
        db.session.remove()
        db.engine.dispose()


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


def actor(email, role):
    from docbox_outreach.cases.access import Actor
    return Actor(email=email, role=role)


@pytest.fixture
def coordinator():
    return actor("coord@hospital.test", "coordinator")
