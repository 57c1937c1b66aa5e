"""Health check of a Doc Box relay or worker container: ``python /app/healthcheck.py``.

Relays and workers answer no HTTP, so this says what ``pg_isready`` says about
their database (``DOCBOX_<SERVICE>_DATABASE_URL``, the service from
``DOCBOX_SERVICE``): a PostgreSQL server answers at its host and port (it
replies to an SSLRequest, as to any client's first message). The process itself
is checked by the container: it is the container's only process under tini, so
when it exits the container stops and ``restart`` brings it back.

Standard library only and no login: it runs every 30 seconds in every worker
container, and importing SQLAlchemy and a driver would take seconds of CPU on a
busy host. Exit 0 healthy, 1 not; the output names the host, never a password.
"""

from __future__ import annotations

import os
import socket
import struct
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

SSL_REQUEST = struct.pack("!ii", 8, 80877103)


def check(url: str, timeout: float = 5.0) -> str:
    """An error message, or "" when the database at ``url`` answers."""
    parts = urlsplit(url)
    if parts.scheme.startswith("sqlite"):
        path = unquote(parts.path)[1:]   # sqlite:///relative or sqlite:////absolute
        return "" if not path or Path(path).parent.is_dir() else f"no folder for {path}"
    if not parts.scheme.startswith("postgresql"):
        return f"cannot check a {parts.scheme} database"
    host, port = parts.hostname or "localhost", parts.port or 5432
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.settimeout(timeout)
            sock.sendall(SSL_REQUEST)
            answer = sock.recv(1)
    except OSError as error:
        return f"{host}:{port} does not answer ({type(error).__name__})"
    return "" if answer in (b"S", b"N") else f"{host}:{port} is not a PostgreSQL server"


def main() -> int:
    service = os.environ.get("DOCBOX_SERVICE", "")
    url = os.environ.get(f"DOCBOX_{service.upper()}_DATABASE_URL", "")
    if not service or not url:
        print(f"healthcheck: no database URL for service {service!r}", file=sys.stderr)
        return 1
    problem = check(url)
    if problem:
        print(f"healthcheck: the {service} database does not answer: {problem}", file=sys.stderr)
        return 1
    print(f"healthcheck: the {service} database answers")
    return 0


if __name__ == "__main__":
    sys.exit(main())
