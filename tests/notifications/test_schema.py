"""The migrations build exactly the schema the models describe; health and OpenAPI answer."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from docbox_notifications.models import db


def test_models_and_migrations_match(app):
    with app.app_context(), db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), db.metadata)
    assert diff == []


def test_health_and_openapi(client):
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/subscribers" in spec["paths"]
