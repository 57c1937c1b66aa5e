"""Schemathesis contract tests of a service's own OpenAPI document.

For every operation, schemathesis generates requests from the document (valid
and invalid ones) and checks: no 5xx, responses match the document (status,
content type, body schema), and every error is an RFC 9457 problem+json body.
The number of examples per operation is bounded so CI stays fast. Apps run
in-process, each on a database built by its migrations (SQLite, or a fresh
PostgreSQL database when ``DOCBOX_TEST_DATABASE_URL`` is set, dropped at exit);
they are made when the test module is collected, because the schema is loaded
then.

Besides generated cases, every operation gets explicit ones with the inputs
that once answered 500 (issue 10 item 5): a NUL in each path and query
parameter, and for each body a lone surrogate, a NUL, a number beyond 2**63,
a 5,000-digit number and deeply nested JSON. Each must be a 4xx problem that
matches the document.
"""

from __future__ import annotations

import atexit
import os
import tempfile
import threading
import uuid
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance
from werkzeug.serving import make_server

from support.apps import migrated_app

EXAMPLES = 20
FOLDER = Path(tempfile.mkdtemp(prefix="docbox-contract-"))
PG_URL = os.environ.get("DOCBOX_TEST_DATABASE_URL", "")


def _database(service: str) -> str:
    if not PG_URL.startswith("postgresql"):
        return f"sqlite:///{FOLDER}/{service}-{uuid.uuid4().hex[:8]}.sqlite"
    import psycopg

    name = f"docbox_contract_{service}_{uuid.uuid4().hex[:10]}"
    admin = PG_URL.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop():
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    atexit.register(drop)
    return PG_URL.replace("postgresql://", "postgresql+psycopg://", 1).rsplit("/", 1)[0] + f"/{name}"


def migrated(service: str, **config):
    return migrated_app(service, {"SQLALCHEMY_DATABASE_URI": _database(service),
                                  "EVENT_SECRETS": ["contract-secret"], **config})


def served(app) -> str:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}"


def staff_token(sessions_app, role: str = "admin") -> str:
    out = sessions_app.test_cli_runner().invoke(args=["staff", "add", f"{role}@contract.example", "--role", role])
    return out.output.strip().splitlines()[-1]


@schemathesis.check
def errors_are_problem_json(ctx, response, case):
    if response.status_code >= 400:
        content_type = response.headers.get("Content-Type") or response.headers.get("content-type")
        value = content_type[0] if isinstance(content_type, list) else content_type
        assert value and value.startswith("application/problem+json"), f"{response.status_code} answered as {value}"
        body = response.json()
        assert body["status"] == response.status_code and body["title"] and body["type"]


NUL = "a\x00b"
POISON_BODIES = {
    "lone surrogate": b'{"title": "\\ud800", "name": "\\udfff"}',
    "NUL": b'{"title": "a\\u0000b", "name": "a\\u0000b", "email": "a\\u0000@example.org"}',
    "number beyond 2**63": b'{"facilitator_ids": [9223372036854775808], "capacity": 9223372036854775808}',
    "5000-digit number": b'{"capacity": ' + b"9" * 5000 + b"}",
    "deeply nested JSON": b"[" * 100000 + b"]" * 100000,
}


def _poisoned_cases(schema):
    """(id, case, raw body or None) for every operation: each parameter and body made poisonous in turn."""
    for result in schema.get_all_operations():
        operation = result.ok()
        path = {p.name: "x" for p in operation.path_parameters}
        label = f"{operation.method.upper()} {operation.path}"
        for name in path:
            yield f"{label} NUL in {name}", operation.Case(path_parameters={**path, name: NUL}), None
        for parameter in operation.query:
            yield (f"{label} NUL in ?{parameter.name}",
                   operation.Case(path_parameters=path, query={parameter.name: NUL}), None)
        if operation.body:
            for what, raw in POISON_BODIES.items():
                yield (f"{label} {what}",
                       operation.Case(path_parameters=path, body={}, media_type="application/json"), raw)


def contract_test(app, token: str):
    """A pytest test function running schemathesis over every operation of ``app``."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)

    @schema.parametrize()
    @settings(max_examples=EXAMPLES, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])
    def test(case):
        # Semantic rules (a real IANA zone, an end after the start ...) are not expressible in
        # the document, so schema-valid input may rightly get a 422: that one check is left out.
        case.call_and_validate(headers={"Authorization": f"Bearer {token}"},
                               excluded_checks=[positive_data_acceptance])

    return test


def poison_test(app, token: str):
    """A pytest test sending every operation of ``app`` the inputs that once answered 500: 4xx problems only."""
    import pytest

    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    cases = list(_poisoned_cases(schema))

    @pytest.mark.parametrize("label, case, raw", cases, ids=[c[0] for c in cases])
    def test(label, case, raw):
        kwargs = {"data": raw} if raw is not None else {}
        response = case.call_and_validate(headers={"Authorization": f"Bearer {token}"},
                                          excluded_checks=[positive_data_acceptance], **kwargs)
        assert 400 <= response.status_code < 500, f"{label}: {response.status_code} {response.text[:200]}"

    return test
