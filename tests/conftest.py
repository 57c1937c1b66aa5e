"""Fixtures every test folder may use.

Databases: by default each test gets SQLite files under its tmp_path. With
``DOCBOX_TEST_DATABASE_URL`` set to a PostgreSQL server URL (for example
``postgresql://postgres@127.0.0.1:5432/postgres``), each request for a
database creates a fresh, uniquely named database on that server and drops it
afterwards, so runs never see each other's rows. A database named after a
service starts as a copy of a template its migrations built once per run
(``support.databases``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # makes tests/support importable as `support`

from support.databases import Databases, drop_templates  # noqa: E402
from support.ports import free_port  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def database_templates():
    """Drops the migrated templates ``support.databases`` copies services' databases from."""
    yield
    drop_templates()


@pytest.fixture
def make_database_url(tmp_path):
    """Factory: ``make_database_url("consumer")`` gives a SQLAlchemy URL of an empty database;
    ``make_database_url("sessions")`` (a service's name) one with that service's schema at its head."""
    databases = Databases(tmp_path)
    yield databases.make
    databases.drop_all()


@pytest.fixture(scope="module")
def module_databases(tmp_path_factory):
    """Like ``make_database_url``, for fixtures that live as long as a test module."""
    databases = Databases(tmp_path_factory.mktemp("databases"))
    yield databases.make
    databases.drop_all()


@pytest.fixture
def port():
    """A free TCP port on 127.0.0.1."""
    return free_port()


@pytest.fixture
def table_counts(app):
    """``table_counts()``: rows per table of the folder's ``app``; a request that writes nothing (or is
    refused) leaves it unchanged."""
    from support.bad_input import row_counts

    return row_counts(app, app.extensions["sqlalchemy"])


@pytest.fixture
def smtp(port):
    """A real SMTP server (``support.smtp.SmtpSink``) on a free port, keeping every message."""
    from support.smtp import SmtpSink

    sink = SmtpSink(port)
    sink.start()
    yield sink
    sink.stop()


def _caldav_process(cls, tmp_path_factory):
    server = cls(tmp_path_factory.mktemp(cls.name))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def radicale_process(tmp_path_factory):
    from support.caldav import Radicale

    yield from _caldav_process(Radicale, tmp_path_factory)


@pytest.fixture(scope="module")
def xandikos_process(tmp_path_factory):
    from support.caldav import Xandikos

    yield from _caldav_process(Xandikos, tmp_path_factory)


@pytest.fixture(scope="module")
def xandikos_auth_process(tmp_path_factory):
    from support.caldav import XandikosAuth

    yield from _caldav_process(XandikosAuth, tmp_path_factory)


@pytest.fixture
def xandikos_auth(xandikos_auth_process):
    """A real Xandikos with HTTP Basic over TLS (self-signed, ``support.caldav.XandikosAuth``), a new empty
    calendar."""
    xandikos_auth_process.fresh_calendar()
    return xandikos_auth_process


@pytest.fixture
def radicale(radicale_process):
    """A real Radicale CalDAV server (``support.caldav``, one per module) with a new empty calendar."""
    radicale_process.fresh_calendar()
    return radicale_process


@pytest.fixture
def xandikos(xandikos_process):
    """A real Xandikos CalDAV server (``support.caldav``, one per module, without authentication) with a
    new empty calendar."""
    xandikos_process.fresh_calendar()
    return xandikos_process


@pytest.fixture(params=["radicale", "xandikos"])
def caldav_server(request):
    """Each test twice: once against Radicale, once against Xandikos."""
    return request.getfixturevalue(request.param)


@pytest.fixture
def consumer(make_database_url):
    """A minimal real event consumer: Flask + the shared inbox blueprint over its own database.

    ``consumer.app`` serves the signed ``POST /api/v1/events``; ``consumer.entries()``
    gives ``{(kind, entry_id): version}`` of what it holds; ``consumer.refuse(n)``
    makes it answer the next n deliveries with 503; ``consumer.delay`` slows each
    delivery down (seconds); ``consumer.received`` counts deliveries that reached it.
    """
    import time
    from types import SimpleNamespace

    from flask import Flask
    from flask_sqlalchemy import SQLAlchemy
    from sqlalchemy.orm import DeclarativeBase

    from docbox_shared import frame
    from docbox_shared.inbox import ProcessedEventMixin, ReplicaEntryMixin, events_blueprint
    from docbox_shared.problems import problem_response

    class Base(DeclarativeBase):
        pass

    db = SQLAlchemy(model_class=Base)

    class Entry(ReplicaEntryMixin, db.Model):
        pass

    class Processed(ProcessedEventMixin, db.Model):
        pass

    app = Flask("consumer")
    app.config.update(SQLALCHEMY_DATABASE_URI=make_database_url("consumer"), EVENT_SECRETS=["test-secret"])
    db.init_app(app)
    frame.init_app(app, db, "consumer")
    state = SimpleNamespace(app=app, db=db, Entry=Entry, refusals=0, delay=0.0, received=0)

    @app.before_request
    def _refuse():
        state.received += 1
        if state.delay:
            time.sleep(state.delay)
        if state.refusals > 0:
            state.refusals -= 1
            return problem_response(503, "Service Unavailable", detail="refusing on purpose")
        return None

    app.register_blueprint(events_blueprint(db, Entry, Processed))
    with app.app_context():
        db.create_all()

    def entries():
        with app.app_context():
            return {(e.kind, e.entry_id): e.version for e in db.session.scalars(db.select(Entry))}

    def refuse(n):
        state.refusals = n

    state.entries, state.refuse = entries, refuse
    yield state
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def counting(make_database_url, serve):
    """calendar_sync and notifications served on ports of 127.0.0.1, as sessions asks them for subscriber
    counts (signed with ``EVENT_SECRET``): ``(calendar app, notifications app, {"feeds": URL, "reminders": URL})``.

    Each has answered once, as running services have: a first answer's start-up (imports, the first
    connection) can outlast the programs page's 2 s wait on a loaded machine, and the page says "unavailable".
    """
    from docbox_shared.counts import fetch_counts
    from support.apps import EVENT_SECRET, dispose, migrated_app

    calendar = migrated_app("calendar_sync", {
        "EVENT_SECRETS": [EVENT_SECRET], "PUBLIC_URL": "https://calendar.example.org",
        "SQLALCHEMY_DATABASE_URI": make_database_url("calendar_sync"), "SESSIONS_URL": "http://127.0.0.1:9"})
    notifications = migrated_app("notifications", {
        "EVENT_SECRETS": [EVENT_SECRET], "SQLALCHEMY_DATABASE_URI": make_database_url("notifications"),
        "PUBLIC_URL": "https://docbox.test", "SECRET_KEYS": ["test-key"], "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": free_port(), "ADMIN_TOKEN": "t"})
    urls = {"feeds": serve(calendar), "reminders": serve(notifications)}
    for url in urls.values():
        assert fetch_counts(url, EVENT_SECRET, timeout=60) is not None
    yield calendar, notifications, urls
    for app in (calendar, notifications):
        dispose(app)


@pytest.fixture
def serve():
    """``serve(app) -> base URL``: run a WSGI app on a free port in a thread for the test."""
    import threading

    from werkzeug.serving import make_server

    servers = []

    def start(app):
        server = make_server("127.0.0.1", free_port(), app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}"

    yield start
    for server in servers:
        server.shutdown()
