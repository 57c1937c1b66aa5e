"""Test databases: empty ones per test (``Databases``), and migrated ones copied from a template.

By default a database is a SQLite file; with ``DOCBOX_TEST_DATABASE_URL`` set to a
PostgreSQL server URL each one is a fresh, uniquely named database on that server,
dropped afterwards, so runs never see each other's rows.

Running a service's migrations costs about a second each time (sessions, on a loaded
machine), and nearly every test wants exactly that schema on a new database. So a
database named after a service (``make_database_url("sessions")``) is a copy of a
template that the service's migrations built for real once per test run: SQLite's
backup API into the test's file, PostgreSQL's ``CREATE DATABASE ... TEMPLATE`` (as
cheap as the empty database it replaces). ``support.apps.migrated_app`` then skips
the upgrade for it. Each test still gets its own database, never one another test
wrote to; any other name gives an empty database, as before.
"""

from __future__ import annotations

import importlib
import os
import sqlite3
import uuid
from pathlib import Path
from tempfile import mkdtemp

PG_URL = os.environ.get("DOCBOX_TEST_DATABASE_URL", "")
ROOT = Path(__file__).resolve().parents[2]

# URLs of databases Databases.make built at a service's head that no app has migrated yet.
_at_head: set[str] = set()
# service -> template: a SQLite file's path, or a PostgreSQL database's name.
_templates: dict[str, str] = {}
_template_folder: Path | None = None


def _pg_admin(url: str = PG_URL):
    import psycopg

    conninfo = url.replace("postgresql+psycopg://", "postgresql://")
    return psycopg.connect(conninfo, autocommit=True)


def _pg_url(db_name: str) -> str:
    base = PG_URL.replace("postgresql://", "postgresql+psycopg://", 1).rsplit("/", 1)[0]
    return f"{base}/{db_name}"


def _service_module(name: str):
    """``docbox_<name>`` when ``name`` is a service with an app and migrations, else None."""
    if not (ROOT / "services" / name / "pyproject.toml").exists():
        return None
    module = importlib.import_module(f"docbox_{name}")
    return module if hasattr(module, "create_app") and hasattr(module, "MIGRATIONS") else None


class Databases:
    """Creates databases (SQLite files under ``folder``, or PostgreSQL) and drops them.

    ``make(name)`` gives an empty database, or, when ``name`` is a service's (``"sessions"``), a new
    database holding that service's schema at its migrations' head (a copy of the template).
    """

    def __init__(self, folder):
        self.folder, self.created = folder, []

    def make(self, name: str) -> str:
        module = _service_module(name)
        template = _template(name, module) if module is not None else None
        if not PG_URL.startswith("postgresql"):
            path = self.folder / (name + ".sqlite")
            url = f"sqlite:///{path}"
            if template is not None:
                _copy_sqlite(template, path)
        else:
            db_name = f"docbox_test_{name}_{uuid.uuid4().hex[:10]}"
            with _pg_admin() as conn:
                conn.execute(f'CREATE DATABASE "{db_name}"' + (f' TEMPLATE "{template}"' if template else ""))
            self.created.append(db_name)
            url = _pg_url(db_name)
        if template is not None:
            _at_head.add(url)
        return url

    def drop_all(self) -> None:
        for db_name in self.created:
            _at_head.discard(_pg_url(db_name))
            with _pg_admin() as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')


def take_at_head(url: str | None) -> bool:
    """True once for a database ``make`` built at its service's head (its app then needs no migrating)."""
    if url in _at_head:
        _at_head.discard(url)
        return True
    return False


def _template(service: str, module) -> str:
    """The service's template (built on first use by running its migrations): a file path or a database name."""
    global _template_folder
    if service in _templates:
        return _templates[service]
    import flask_migrate

    if PG_URL.startswith("postgresql"):
        template = f"docbox_test_template_{service}_{uuid.uuid4().hex[:10]}"
        with _pg_admin() as conn:
            conn.execute(f'CREATE DATABASE "{template}"')
        url = _pg_url(template)
    else:
        _template_folder = _template_folder or Path(mkdtemp(prefix="docbox-test-templates-"))
        template = str(_template_folder / f"{service}.sqlite")
        url = f"sqlite:///{template}"
    app = module.create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        flask_migrate.upgrade(directory=module.MIGRATIONS)
        db = app.extensions["sqlalchemy"]
        db.session.remove()
        db.engine.dispose()  # a template must have no connections when it is copied
    _templates[service] = template
    return template


def _copy_sqlite(template: str, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    source, target = sqlite3.connect(template), sqlite3.connect(path)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()


def drop_templates() -> None:
    import shutil

    for service, template in list(_templates.items()):
        if PG_URL.startswith("postgresql"):
            with _pg_admin() as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')
        del _templates[service]
    if _template_folder is not None:
        shutil.rmtree(_template_folder, ignore_errors=True)
