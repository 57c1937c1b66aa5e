"""Every service's schema comes from its migrations, and the migrations build exactly what its models describe."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from support.apps import ROOT, SERVICES, running_app

# Services with a database of their own (every service has one now; the filter keeps a new one without tables out).
WITH_DATABASE = tuple(s for s in SERVICES if any((ROOT / "services" / s).glob("docbox_*/migrations")))


@pytest.mark.parametrize("service", WITH_DATABASE)
def test_migrations_build_exactly_the_models_schema(service, make_database_url):
    # An empty database (not the service's name, which gives a copy of the migrated template): migrated here.
    config = {"SQLALCHEMY_DATABASE_URI": make_database_url(f"{service}_empty"), "EVENT_SECRETS": ["test-secret"],
              "SECRET_KEY": "test-key"}
    with running_app(service, config) as app, app.app_context():
        db = app.extensions["sqlalchemy"]
        with db.engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), db.metadata)
    assert diff == [], f"run 'flask --app docbox_{service} db migrate': {diff}"
