"""What every service's database connection needs, in one place.

SQLite (the embedded default): the folder of the file is made on start, and
every connection gets WAL (a worker reads while the web process writes),
foreign keys (off by default in SQLite), a busy timeout (wait for a writer
instead of failing) and ``synchronous=NORMAL``, which in WAL mode still
survives a process crash (only a power cut can lose the last commits) and
makes each commit an order of magnitude cheaper.

Every engine (both databases) checks a pooled connection before lending it
(``pool_pre_ping``: a server restart, a failover or an idle timeout costs a
reconnect, never a failed request) and keeps statement parameters out of its
error messages (``hide_parameters``: an email address in a failing INSERT
never reaches a log). :func:`configure` sets both; call it before
``db.init_app``.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine


ENGINE_OPTIONS = {"pool_pre_ping": True, "hide_parameters": True}
# Constraint and index names a migration can name again on both databases (SQLite alters a table by copying
# it, and needs the name of a constraint to drop it). ``MetaData(naming_convention=NAMING_CONVENTION)``.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def configure(app) -> None:
    """Engine options every service shares, and the SQLite folder; before ``db.init_app(app)``."""
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {**ENGINE_OPTIONS, **app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {})}
    prepare_sqlite_folder(app.config["SQLALCHEMY_DATABASE_URI"])


def prepare_sqlite_folder(url: str) -> None:
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record):
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()
