"""The test databases a PostgreSQL run hands out are as fresh as a copy of the template, whatever the test
before left in them (``support.databases`` recycles a service's database when its schema is unchanged).

A test that left a view, a type, a sequence changed, a column default or a setting of the database behind
must not hand it to the next test: its database is dropped and the next test gets a new copy.
"""

from __future__ import annotations

import os

import psycopg
import pytest

from support.databases import Databases, take_at_head

pytestmark = pytest.mark.skipif(
    not os.environ.get("DOCBOX_TEST_DATABASE_URL", "").startswith("postgresql"),
    reason="the recycling of PostgreSQL test databases; runs with the PostgreSQL suite")

SERVICE = "notifications"
LEFTOVERS = {
    "nothing": [],   # the control: a database left as it was is reused
    "a view": ["CREATE VIEW leftover AS SELECT 1 AS one"],
    "an enum type": ["CREATE TYPE leftover AS ENUM ('calm')"],
    "a value added to an enum": ["CREATE TYPE leftover AS ENUM ('calm')", "ALTER TYPE leftover ADD VALUE 'busy'"],
    "a sequence": ["CREATE SEQUENCE leftover"],
    "a sequence's step": ["ALTER SEQUENCE {sequence} INCREMENT BY 10"],
    "a column default": ["ALTER TABLE alembic_version ALTER COLUMN version_num SET DEFAULT 'x'"],
    "a schema": ["CREATE SCHEMA leftover"],
    "a database setting": ["ALTER DATABASE \"{database}\" SET statement_timeout = '1s'"],
    "a role's setting in the database": ["ALTER ROLE CURRENT_USER IN DATABASE \"{database}\" SET work_mem = '1MB'"],
}


def _connect(url: str):
    return psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)


def _database(url: str) -> str:
    return url.rsplit("/", 1)[1]


@pytest.mark.parametrize("leftover", LEFTOVERS)
def test_a_database_a_test_changed_is_dropped_and_the_next_test_gets_a_fresh_copy(tmp_path, leftover):
    first = Databases(tmp_path)
    url = first.make(SERVICE)
    with _connect(url) as conn:
        sequence = conn.execute("SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'").fetchone()[0]
        for statement in LEFTOVERS[leftover]:
            conn.execute(statement.format(sequence=sequence, database=_database(url)))
    first.drop_all()

    again = Databases(tmp_path).make(SERVICE)   # the next test's database
    take_at_head(again)
    with _connect(os.environ["DOCBOX_TEST_DATABASE_URL"]) as admin:
        still_there = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (_database(url),)).fetchone()
        for name in {_database(url), _database(again)}:   # dropped here, whatever happened: no later test gets them
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    if leftover == "nothing":
        assert again == url                    # reused: the recycling this guards is on
    else:
        assert again != url and still_there is None
