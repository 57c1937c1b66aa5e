"""Health check of a Doc Box relay or worker container: ``python /app/healthcheck.py``.

Relays and workers answer no HTTP, so this says what ``/readyz`` says for a web
process: the service's database (``DOCBOX_<SERVICE>_DATABASE_URL``, the
service from ``DOCBOX_SERVICE``) answers ``SELECT 1`` within a few seconds.
The process itself is checked by the container: it is the container's only
process under tini, so when it exits the container stops and ``restart``
brings it back. Exit 0 healthy, 1 not; the one output line names no password
(SQLAlchemy hides it in URLs and errors).
"""

from __future__ import annotations

import os
import sys

from sqlalchemy import create_engine, text


def main() -> int:
    service = os.environ.get("DOCBOX_SERVICE", "")
    url = os.environ.get(f"DOCBOX_{service.upper()}_DATABASE_URL", "")
    if not service or not url:
        print(f"healthcheck: no database URL for service {service!r}", file=sys.stderr)
        return 1
    connect_args = {"connect_timeout": 5} if url.startswith("postgresql") else {}
    engine = create_engine(url, connect_args=connect_args)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:  # any failure is "unhealthy"; the reason goes to `docker inspect`
        print(f"healthcheck: the {service} database does not answer: {type(error).__name__}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    print(f"healthcheck: the {service} database answers")
    return 0


if __name__ == "__main__":
    sys.exit(main())
