"""What every service's database connection needs, in one place.

SQLite (the embedded default): the folder of the file is made on start, and
every connection gets WAL (a worker reads while the web process writes),
foreign keys (off by default in SQLite), a busy timeout (wait for a writer
instead of failing) and ``synchronous=NORMAL``, which in WAL mode still
survives a process crash (only a power cut can lose the last commits) and
makes each commit an order of magnitude cheaper. PostgreSQL needs nothing here.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine


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
