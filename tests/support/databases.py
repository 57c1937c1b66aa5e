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

On PostgreSQL a service's database is then *recycled* rather than dropped: when
its test ends, the connections left to it are closed, every table is emptied
(and its sequences restarted) and the next test asking for that service
gets it, as empty as a fresh copy. Creating a database from a template costs
a checkpoint's worth of writes (about a second on a loaded machine) and
dropping one a third of that; emptying a few dozen small tables a small part of that.
A database that is no longer the template but for its rows (a test ran a
migration, altered a table, added a view, a type or a trigger, or changed a
setting of the database) is dropped instead, so a test never inherits
another's schema or settings either.
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
# PostgreSQL: service -> its template's schema (see _schema), and its emptied databases ready for reuse.
_schemas: dict[str, tuple] = {}
_recycled: dict[str, list[str]] = {}
# A digest of all a test could leave in a database besides rows (the catalogs, not information_schema, which
# is much slower): every relation (tables, views, indexes, sequences) with its columns and their defaults, each
# view's query, each sequence's settings, every constraint, trigger (and whether it fires; a test's
# fault-injecting trigger must not outlive it), function (and its body), type (and an enum's values) and
# schema, the settings of the database (ALTER DATABASE ... SET, also for one role), and the migration it is at.
_SCHEMA_SQL = """
SELECT md5(string_agg(line, ';' ORDER BY line)) FROM (
  SELECT concat_ws(',', c.relname, c.relkind, a.attname, a.atttypid, a.atttypmod, a.attnotnull,
                   pg_get_expr(d.adbin, d.adrelid)) AS line
    FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
    LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
   WHERE c.relnamespace = 'public'::regnamespace AND a.attnum > 0 AND NOT a.attisdropped
  UNION ALL SELECT concat_ws(',', 'view', relname, pg_get_viewdef(oid)) FROM pg_class
   WHERE relnamespace = 'public'::regnamespace AND relkind IN ('v', 'm')
  UNION ALL SELECT concat_ws(',', 'sequence', seqrelid::regclass::text, seqtypid, seqstart, seqincrement, seqmax,
                             seqmin, seqcache, seqcycle) FROM pg_sequence
  UNION ALL SELECT concat_ws(',', conrelid::regclass::text, conname, contype, conkey::text, confrelid)
    FROM pg_constraint WHERE connamespace = 'public'::regnamespace
  UNION ALL SELECT concat_ws(',', 'trigger', tgrelid::regclass::text, tgname, tgenabled) FROM pg_trigger
   WHERE NOT tgisinternal
  UNION ALL SELECT concat_ws(',', 'function', oid::regprocedure::text, md5(prosrc)) FROM pg_proc
   WHERE pronamespace = 'public'::regnamespace
  UNION ALL SELECT concat_ws(',', 'type', typname, typtype, (SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder)
                                                           FROM pg_enum WHERE enumtypid = pg_type.oid)) FROM pg_type
   WHERE typnamespace = 'public'::regnamespace
  UNION ALL SELECT 'schema ' || nspname FROM pg_namespace WHERE nspname !~ '^pg_' AND nspname <> 'information_schema'
  UNION ALL SELECT concat_ws(',', 'setting', setrole, setconfig::text) FROM pg_db_role_setting
   WHERE setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())
  UNION ALL SELECT 'at ' || version_num FROM alembic_version) AS schema
"""
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
            if template is not None and _recycled.get(name):
                db_name = _recycled[name].pop()
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
            service = db_name.removeprefix("docbox_test_").rsplit("_", 1)[0]
            if service in _schemas and _emptied(db_name, _schemas[service]):
                _recycled.setdefault(service, []).append(db_name)
                continue
            with _pg_admin() as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
        self.created = []


def _schema(conn) -> tuple:
    return tuple(conn.execute(_SCHEMA_SQL).fetchall())


def _emptied(db_name: str, schema: tuple) -> bool:
    """Empty ``db_name`` for the next test of its service; False (untouched) when its schema changed."""
    try:
        with _pg_admin() as admin:
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE datname = %s AND pid <> pg_backend_pid()", (db_name,))
        with _pg_admin(_pg_url(db_name)) as conn:
            conn.execute("SET lock_timeout = '5s'")   # a connection that came back and holds a lock: drop it
            if _schema(conn) != schema:
                return False
            tables = [row[0] for row in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'")]
            # DELETE, not TRUNCATE: on tables this small TRUNCATE's new files and their fsyncs cost far more.
            # Foreign keys are not checked meanwhile (every table is emptied); sequences start again.
            with conn.transaction():
                conn.execute("SET LOCAL session_replication_role = replica")
                for table in tables:
                    conn.execute(f'DELETE FROM "{table}"')
                conn.execute("SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, start_value, false) "
                             "FROM pg_sequences WHERE schemaname = 'public'")
    except Exception:  # noqa: BLE001 - anything odd: drop it, as before
        return False
    return True


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
    if PG_URL.startswith("postgresql"):
        with _pg_admin(url) as conn:
            tables = [row[0] for row in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'")]
            if not any(conn.execute(f'SELECT 1 FROM "{t}" LIMIT 1').fetchone() for t in tables):
                _schemas[service] = _schema(conn)   # only a template without rows can be stood in for by emptying
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
                for db_name in [template, *_recycled.pop(service, [])]:
                    conn.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
        _schemas.pop(service, None)
        del _templates[service]
    if _template_folder is not None:
        shutil.rmtree(_template_folder, ignore_errors=True)
