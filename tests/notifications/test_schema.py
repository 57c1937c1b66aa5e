"""Health and OpenAPI answer (tests/shared/test_migrations.py checks the schema)."""

from __future__ import annotations


def test_health_and_openapi(client):
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/subscribers" in spec["paths"]
