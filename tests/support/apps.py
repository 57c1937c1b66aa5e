"""Each service's app as the tests use it: test config on top, the schema built by running its migrations.

A database from ``make_database_url(service)`` is already a copy of the service's
template, which its migrations built once per test run (``support.databases``): the
same schema, without a second of migrating per test.

``SERVICES`` lists every service under services/ (a new one is covered by the
parametrized checks as soon as it exists). ``running_app(service, config)``
yields the migrated app and closes its database connections afterwards, so a
PostgreSQL test database can be dropped.
"""

from __future__ import annotations

import importlib
from contextlib import contextmanager
from pathlib import Path

import flask_migrate

from support import databases

ROOT = Path(__file__).resolve().parents[2]
SERVICES = tuple(sorted(p.name for p in (ROOT / "services").iterdir() if (p / "pyproject.toml").exists()))
EVENT_SECRET = "test-secret"   # the services' shared event secret where a test runs more than one of them


def migrated_app(service: str, config: dict):
    """``docbox_<service>.create_app`` with ``TESTING`` and ``config``, its database upgraded to the head."""
    module = importlib.import_module(f"docbox_{service}")
    app = module.create_app({"TESTING": True, **config})
    if databases.take_at_head(config.get("SQLALCHEMY_DATABASE_URI")):
        return app  # a copy of the service's template: its migrations already ran
    with app.app_context():
        # Flask-Migrate's own folder of the app when the package names none.
        flask_migrate.upgrade(directory=getattr(module, "MIGRATIONS", None))
    return app


def dispose(app) -> None:
    """Closes the app's database connections (a PostgreSQL database in use cannot be dropped)."""
    with app.app_context():
        db = app.extensions["sqlalchemy"]
        db.session.remove()
        db.engine.dispose()


@contextmanager
def running_app(service: str, config: dict):
    app = migrated_app(service, config)
    try:
        yield app
    finally:
        dispose(app)
