"""Fixtures of the outreach service: the migrated app on a fresh database, a test clock, a client.

Staff sign in through :mod:`support.outreach` (``headers=COORDINATOR`` and the like). A module that needs
more settings (mail into the test SMTP server) overrides ``app_config``; one that needs a roster overrides
``app`` with the same app after ``load_roster``.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from support.apps import dispose, migrated_app
from support.clock import Clock
from support.outreach import staff_lookup


@pytest.fixture
def clock():
    return Clock(datetime(2026, 3, 2, 14, 0, tzinfo=timezone.utc))  # a Monday, 9:00 in New York


@pytest.fixture
def app_config():
    """Settings a test module adds to the app's (it overrides this fixture, e.g. with ``mailing(smtp)``)."""
    return {}


@pytest.fixture
def app(make_database_url, clock, app_config):
    app = migrated_app("outreach", {"SQLALCHEMY_DATABASE_URI": make_database_url("outreach"), "CLOCK": clock,
                                    "STAFF_LOOKUP": staff_lookup, "WTF_CSRF_ENABLED": False, **app_config})
    yield app
    dispose(app)


@pytest.fixture
def client(app):
    return app.test_client()
