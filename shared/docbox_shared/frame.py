"""The app frame: what every Doc Box service's Flask app is built on.

:func:`service_app` makes a service's app in the order every service follows:
config defaults, then the environment (read once, :mod:`.settings`), then a
test's overrides; JSON logs; the database (:mod:`.database`) and its
migrations; the JSON API (:mod:`.api`) if the service has one; and
:func:`init_app`: problem+json errors, body limit, request ids, the access
log, trusted proxies, security headers, ``/healthz``, ``/readyz`` and
``/metrics``. The service then adds its blueprints, pages
(:func:`.pages.init_pages`: cookies, CSRF, the shared look), CLI commands and
gauges. ``docs/new-service.md`` shows a whole factory.

Log lines are JSON objects, one a line. The access line names the *route*
(``/feeds/<token>.ics``), never the raw path or query string, so capability
tokens and email addresses cannot reach a log. Every answer carries
:data:`SECURITY_HEADERS` (CSP without inline script, nosniff, no framing). A database error is logged with
its statement and type only: its parameters are hidden by the engine (see
:mod:`.database`) and its message, which the server may fill with the values
it refused (``Key (email)=(...) already exists``), is left out. The request id comes from an
incoming ``X-Request-Id`` (the relay forwards the one of the change that made
an event) or is made here, and is returned in the response.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import traceback
import uuid
from collections.abc import Iterable, Sequence

import click
from flask import Flask, Response, g, has_request_context, jsonify, request
from sqlalchemy import text
from sqlalchemy.exc import StatementError
from werkzeug.middleware.proxy_fix import ProxyFix

from . import database
from .api import Api, api_config
from .metrics import init_metrics
from .problems import problem_response, register_problem_handlers
from .settings import Setting, load

MAX_BODY = 1024 * 1024
# Every answer of every service. Pages run no inline script and no inline style (the one script, the copy
# button, is a file under /_docbox/static), load nothing from elsewhere, post forms only to Doc Box, and are
# never framed (clickjacking). Referrers leave only within Doc Box: capability links must not reach other sites.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if has_request_context() and "request_id" in g:
            line["request_id"] = g.request_id
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                line[key] = value
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)

    def formatException(self, exc_info) -> str:
        """The traceback, with every database error in its chain reduced to its type, SQLSTATE and statement."""
        formatted = traceback.TracebackException(*exc_info)
        shown, exc = formatted, exc_info[1]
        while shown is not None and exc is not None:
            if _database_error(exc):
                shown._str = _database_error_text(exc)
            if shown.__cause__ is not None:
                shown, exc = shown.__cause__, exc.__cause__
            else:
                shown, exc = shown.__context__, exc.__context__
        return "".join(formatted.format()).rstrip("\n")


def _database_error(exc: BaseException) -> bool:
    return isinstance(exc, StatementError) or type(exc).__module__.split(".")[0] in ("psycopg", "sqlite3")


def _database_error_text(exc: BaseException) -> str:
    driver_error = getattr(exc, "orig", None) or exc
    sqlstate = getattr(driver_error, "sqlstate", None)
    text = f"{type(driver_error).__name__}{f' (SQLSTATE {sqlstate})' if sqlstate else ''}: message not logged, " \
           "it may quote the values"
    statement = getattr(exc, "statement", None)
    return f"{text}\n[SQL: {statement}]" if statement else text


def configure_logging(level: str = "INFO") -> None:
    root = logging.getLogger()
    if not any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("werkzeug").setLevel("WARNING")


def new_request_id() -> str:
    return uuid.uuid4().hex


def init_app(app: Flask, db, service: str) -> None:
    """Problem errors, body limit, request ids, access log, health endpoints and metrics."""
    proxies = app.config.get("TRUSTED_PROXIES", 0)
    if proxies:
        # Only then may X-Forwarded-For name the client (rate limits per address rely on it). The
        # proxy sets (does not append) X-Forwarded-Proto and X-Forwarded-Prefix (the path it mounts
        # a service under, e.g. /calendar, so links include it): one value of each is trusted.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=1, x_prefix=1)
    if app.config.get("MAX_CONTENT_LENGTH") is None:  # Flask's default is None: no limit
        app.config["MAX_CONTENT_LENGTH"] = MAX_BODY
    access = logging.getLogger(f"docbox.{service}.access")

    @app.before_request
    def _start():
        incoming = request.headers.get("X-Request-Id", "")
        g.request_id = incoming if _REQUEST_ID.match(incoming) else new_request_id()
        g.started = time.perf_counter()

    register_problem_handlers(app)  # after _start, so refused requests have a request id too
    init_metrics(app, service)

    @app.after_request
    def _finish(response: Response):
        response.headers["X-Request-Id"] = g.get("request_id", "")
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        route = request.url_rule.rule if request.url_rule else "<unmatched>"
        access.info("request", extra={"method": request.method, "route": route, "status": response.status_code,
                                      "ms": round((time.perf_counter() - g.get("started", time.perf_counter())) * 1000, 1)})
        return response

    @app.get("/healthz")
    def healthz():
        return jsonify(status="ok", service=service)

    @app.get("/readyz")
    def readyz():
        try:
            db.session.execute(text("SELECT 1"))
        except Exception:  # noqa: BLE001 - any failure means not ready
            db.session.rollback()
            return problem_response(503, "Service Unavailable", detail="The database is not reachable.")
        return jsonify(status="ready", service=service)


class LazyMigrate:
    """Flask-Migrate's registration, made on first use.

    Flask-Migrate imports Alembic and Mako, about 11 MB resident, which a web
    worker never uses. Everything that migrates reaches the registration
    through ``app.extensions["migrate"]`` (:func:`flask_migrate.upgrade` in
    tests and ``docker/migrate.py``, ``migrations/env.py``) or runs ``flask
    db``: both stand-ins here register the real one (``render_as_batch``:
    SQLite alters tables by copying them) and hand over to it.
    """

    def __init__(self, app: Flask, db, directory: str) -> None:
        self._args = (app, db, directory)

    @classmethod
    def register(cls, app: Flask, db, directory: str) -> None:
        lazy = app.extensions["migrate"] = cls(app, db, directory)
        app.cli.add_command(_MigrationCommands(lazy, "db", help="Perform database migrations."))

    def real(self):
        app, db, directory = self._args
        if isinstance(app.extensions.get("migrate"), LazyMigrate):
            logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)  # import-time noise
            from flask_migrate import Migrate
            Migrate(app, db, directory=directory, render_as_batch=True)  # replaces this one and the commands
        return app.extensions["migrate"]

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.real(), name)


class _MigrationCommands(click.Group):
    """``flask db ...``: Flask-Migrate's command group, imported when it is invoked."""

    def __init__(self, lazy: LazyMigrate, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = lazy

    def _real(self) -> click.Group:
        self.lazy.real()
        from flask_migrate.cli import db
        return db

    def make_context(self, info_name, args, parent=None, **extra) -> click.Context:
        return self._real().make_context(info_name, args, parent=parent, **extra)

    def get_command(self, ctx, name):  # ``flask db upgrade`` looked up (help, completion, the deploy test)
        return self._real().get_command(ctx, name)

    def list_commands(self, ctx):
        return self._real().list_commands(ctx)


def service_app(import_name: str, service: str, settings: Sequence[Setting], db, migrations: str,
                test_config: dict | None = None, api_title: str | None = None,
                api_blueprints: Iterable = ()) -> Flask:
    """A service's app with everything but its own blueprints, pages, commands and gauges.

    ``settings`` are the service's declarations (``COMMON`` included),
    ``migrations`` its Alembic folder; with ``api_title`` the app serves a
    flask-smorest API (OpenAPI at ``/api/v1/openapi.json``) made of
    ``api_blueprints``, found afterwards in ``app.extensions["docbox_api"]``.
    """
    app = Flask(import_name)
    # Defaults, then the environment (read once), then overrides from tests.
    if api_title:
        app.config.update(api_config(api_title))
    app.config.update(load(settings))
    app.config.update(test_config or {})
    configure_logging(app.config["LOG_LEVEL"])
    # Extensions.
    database.configure(app)  # pooled connections checked before use, no parameters in errors
    db.init_app(app)
    LazyMigrate.register(app, db, migrations)
    init_app(app, db, service)
    if api_title:
        api = app.extensions["docbox_api"] = Api(app)
        for blueprint in api_blueprints:
            api.register_blueprint(blueprint)
    return app
