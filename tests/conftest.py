"""Fixtures every test folder may use.

Databases: by default each test gets SQLite files under its tmp_path. With
``DOCBOX_TEST_DATABASE_URL`` set to a PostgreSQL server URL (for example
``postgresql://postgres@127.0.0.1:5432/postgres``), each request for a
database creates a fresh, uniquely named database on that server and drops it
afterwards, so runs never see each other's rows.
"""

from __future__ import annotations

import os
import socket
import uuid

import pytest

PG_URL = os.environ.get("DOCBOX_TEST_DATABASE_URL", "")


def _pg_admin(url: str):
    import psycopg

    conninfo = url.replace("postgresql+psycopg://", "postgresql://")
    return psycopg.connect(conninfo, autocommit=True)


@pytest.fixture
def make_database_url(tmp_path):
    """Factory: ``make_database_url("sessions")`` gives a SQLAlchemy URL of an empty database."""
    created: list[str] = []

    def make(name: str) -> str:
        if not PG_URL.startswith("postgresql"):
            return f"sqlite:///{tmp_path / (name + '.sqlite')}"
        db_name = f"docbox_test_{name}_{uuid.uuid4().hex[:10]}"
        with _pg_admin(PG_URL) as conn:
            conn.execute(f'CREATE DATABASE "{db_name}"')
        created.append(db_name)
        base = PG_URL.replace("postgresql://", "postgresql+psycopg://", 1).rsplit("/", 1)[0]
        return f"{base}/{db_name}"

    yield make
    for db_name in created:
        with _pg_admin(PG_URL) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def port():
    """A free TCP port on 127.0.0.1."""
    return free_port()
