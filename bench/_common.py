"""What the benchmarks share: a free port for a server they start, a fresh PostgreSQL database, the load.

Not a benchmark itself; each script imports it from its own folder (``python bench/x.py`` puts bench/
first on ``sys.path``).
"""

from __future__ import annotations

import os
import socket
import uuid

from sqlalchemy import create_engine, text


def free_port() -> int:
    """A port nothing listens on right now on 127.0.0.1 (the OS picks it; a server should bind it soon)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fresh_postgres(server_url: str) -> tuple[str, callable]:
    """A new, empty database on ``server_url``'s server, and the function that drops it."""
    name = f"docbox_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server_url.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    base = server_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    return f"{base}/{name}", drop


def load_average() -> str:
    """The load average over 1, 5 and 15 minutes, as the benchmarks print it before and after."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())
