"""Benchmark: a test's PostgreSQL database, recycled (emptied for the next test) against made afresh.

Nearly every test gets a service's schema on a database of its own
(``tests/support/databases.py``). This times one test's worth of database
work for the sessions service, three ways in one run: the peer, a fresh copy
of the migrated template (``CREATE DATABASE ... TEMPLATE``) dropped afterwards
as before; the recycled database as the tests now get it (a few rows written,
then the connections closed and every table emptied for the next test); and
the drop alone. It prints the median of each, the ratio recycled/fresh and the
load average before and after. It asserts nothing: that a recycled database
holds no row and the template's schema is tested by the tests that use it.

    DOCBOX_TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python bench/test_databases.py [--repeat 15]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from support import databases  # noqa: E402


def one_test(dbs: databases.Databases) -> None:
    """What a test does to its database: make it, write a row, let go of it."""
    engine = sa.create_engine(dbs.make("sessions"))
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO released_months (month, released_dt, min_cell) "
                             "VALUES ('2027-01-01', now(), 5)"))
    engine.dispose()
    dbs.drop_all()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    if not databases.PG_URL.startswith("postgresql"):
        sys.exit("set DOCBOX_TEST_DATABASE_URL to a PostgreSQL server")
    print("load before", os.getloadavg())
    dbs = databases.Databases(Path("/tmp"))
    one_test(dbs)   # builds the template
    fresh, recycled = [], []
    schema = databases._schemas.pop("sessions")
    for _ in range(args.repeat):   # as before: no schema known, so every database is dropped and made again
        started = time.perf_counter()
        one_test(dbs)
        fresh.append(time.perf_counter() - started)
    databases._schemas["sessions"] = schema
    one_test(dbs)                  # the first one to recycle
    for _ in range(args.repeat):
        started = time.perf_counter()
        one_test(dbs)
        recycled.append(time.perf_counter() - started)
    databases.drop_templates()
    f, r = statistics.median(fresh), statistics.median(recycled)
    print(f"fresh copy + drop (peer): {f * 1000:7.1f} ms   recycled: {r * 1000:7.1f} ms   ratio {r / f:.2f}")
    print("load after", os.getloadavg())


if __name__ == "__main__":
    main()
