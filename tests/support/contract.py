"""Schemathesis contract tests of a service's own OpenAPI document.

For every operation, schemathesis generates requests from the document (valid
and invalid ones) and checks: no 5xx, responses match the document (status,
content type, body schema), and every error is an RFC 9457 problem+json body.
The number of examples per operation is bounded so CI stays fast. Apps run
in-process, each on a SQLite database built by its migrations; they are made
when the test module is collected, because the schema is loaded then.
"""

from __future__ import annotations

import importlib
import tempfile
import threading
import uuid
from pathlib import Path

import flask_migrate
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance
from werkzeug.serving import make_server

EXAMPLES = 20
FOLDER = Path(tempfile.mkdtemp(prefix="docbox-contract-"))


def migrated(service: str, **config):
    module = importlib.import_module(f"docbox_{service}")
    app = module.create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{FOLDER}/{service}-{uuid.uuid4().hex[:8]}.sqlite",
                             "EVENT_SECRETS": ["contract-secret"], **config})
    with app.app_context():
        flask_migrate.upgrade(directory=str(Path(module.__file__).parent / "migrations"))
    return app


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
