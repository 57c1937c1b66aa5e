"""Apply one Doc Box service's migrations before it serves: ``python /app/migrate.py``.

The service comes from ``DOCBOX_SERVICE`` (``sessions``, ``calendar_sync`` or
``notifications`` or ``outreach``; the image sets it). This is ``flask --app docbox_<service>
db upgrade`` with two additions a container needs:

- it waits for the database (up to ``DOCBOX_MIGRATE_WAIT`` seconds, default 60)
  instead of failing on the first refused connection after a host reboot, when
  PostgreSQL may still be replaying its log;
- on PostgreSQL it holds an advisory lock while upgrading, so several
  containers of one service started together (web replicas, the relay, the
  workers) migrate one after the other; the later ones find the schema at head
  and do nothing.

The settings are the service's own (its ``config.py``), so in production a
missing secret stops the container here already, with the message naming it.
"""

from __future__ import annotations

import importlib
import os
import sys
import time
import zlib

from flask_migrate import upgrade
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

SERVICES = ("sessions", "calendar_sync", "notifications", "outreach")


def main() -> int:
    service = os.environ.get("DOCBOX_SERVICE", "")
    if service not in SERVICES:
        print(f"migrate: DOCBOX_SERVICE must be one of {', '.join(SERVICES)}", file=sys.stderr)
        return 2
    app = importlib.import_module(f"docbox_{service}").create_app()
    with app.app_context():
        engine = app.extensions["sqlalchemy"].engine
        _wait_for(engine, float(os.environ.get("DOCBOX_MIGRATE_WAIT", "60")))
        if engine.dialect.name == "postgresql":
            key = zlib.crc32(f"docbox-migrate-{service}".encode())  # one lock per service database
            with engine.connect() as lock:
                lock.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
                try:
                    upgrade()
                finally:
                    lock.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
        else:
            upgrade()
    print(f"migrate: the {service} database is at the newest migration", file=sys.stderr)
    return 0


def _wait_for(engine, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            return
        except OperationalError:
            if time.monotonic() >= deadline:
                raise
            # The error text may hold the URL's host but never its password (SQLAlchemy hides it).
            print("migrate: database not reachable yet; retrying", file=sys.stderr)
            time.sleep(1)


if __name__ == "__main__":
    sys.exit(main())
