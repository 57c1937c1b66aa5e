"""Benchmark: opening a round of the outreach network and the coordinator's round page, 100 to 20,000 faculty.

For each size (the department tree of ``bench/outreach_assignment.py``: one in
ten faculty a mentor) on a fresh database built by the migrations (SQLite, and
PostgreSQL with ``--postgres URL``), through the real app:

- *open*: ``start_round`` as the coordinator's form calls it: the assignment,
  one row per mentee, a capability link per mentee, and the mail of every
  mentor and mentee queued, in one transaction; its wall time, this process's
  CPU time, and the SQL statements it ran;
- *next*: the same for the next round, after the first closed with one mentee
  in twenty asking for another mentor (last round's pairs are read and kept);
- *page*: ``GET /oneonone/rounds/<id>`` as a coordinator, with half the
  mentees reached, and the number of SQL statements that request ran;

and, as the peer measured in the same run, ``sorted`` of as many random keys
(n log n, in C). It prints the median time of ``--repeat`` runs with their
range, the ratio to the peer, the growth from one size to the next beside n
log n's (and the growth of the ratio: 1.0x means exactly n log n), and the
load average before and after. The goals: a few seconds at most at 20,000,
the ratios do not grow with n (growth no worse than n log n), and opening and
the page run the same number of statements at every size (no query per row).
It prints; it asserts nothing.

    .venv/bin/python bench/outreach_round.py [--sizes 100,2000,20000] [--repeat 3]
        [--postgres postgresql://postgres@127.0.0.1:5432/postgres] [--no-sqlite]
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timezone
from pathlib import Path

import flask_migrate
from sqlalchemy import delete, event, insert, select, update

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))
from outreach_assignment import department  # noqa: E402

from _common import fresh_postgres, load_average  # noqa: E402
from docbox_outreach import MIGRATIONS, create_app  # noqa: E402
from docbox_outreach.models import Member, OutgoingMail, ReadAudit, db  # noqa: E402
from docbox_outreach.oneonone import operations as ops  # noqa: E402
from docbox_outreach.oneonone.models import Assignment, Attempt, MenteeLink, Mentor, Round  # noqa: E402
from support.outreach import COORDINATOR, staff_lookup  # noqa: E402

NOW = datetime(2026, 3, 2, 14, 0, tzinfo=timezone.utc)


class Timed:
    """Wall and CPU times of runs, and the SQL statements of the last one."""

    def __init__(self, engine):
        self.walls, self.cpus, self.statements = [], [], 0
        self.engine = engine

    def _count(self, *args, **kwargs):
        self.statements += 1

    def run(self, work, repeat: int, before=lambda: None) -> Timed:
        for _ in range(repeat):
            before()
            self.statements = 0
            event.listen(self.engine, "before_cursor_execute", self._count)
            wall, cpu = time.perf_counter(), time.process_time()
            work()
            self.walls.append(time.perf_counter() - wall)
            self.cpus.append(time.process_time() - cpu)
            event.remove(self.engine, "before_cursor_execute", self._count)
        return self

    @property
    def wall(self) -> float:
        return statistics.median(self.walls)

    @property
    def cpu(self) -> float:
        return statistics.median(self.cpus)

    def spread(self) -> str:
        return f"{min(self.walls):.2f}-{max(self.walls):.2f}"


def build(size: int, url: str):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url,
                      "CLOCK": lambda: NOW, "STAFF_LOOKUP": staff_lookup, "LOG_LEVEL": "WARNING"})
    people, reports_to = department(size)
    with app.app_context():
        flask_migrate.upgrade(directory=MIGRATIONS)
        db.session.execute(insert(Member), [
            {"email": f"{p}@example.org", "name": f"Faculty {p}", "division": "Medicine", "leadership": False,
             "active": True, "reports_to": f"{reports_to[p]}@example.org" if p in reports_to else None,
             "created_at": NOW} for p in people])
        ids = dict(db.session.execute(select(Member.email, Member.id)).all())
        bosses = set(reports_to.values())
        pool = [p for p in people if p not in bosses][::10]
        db.session.execute(insert(Mentor), [{"member_id": ids[f"{p}@example.org"], "added_at": NOW} for p in pool])
        db.session.commit()
    return app, len(pool)


def reset(app) -> None:
    with app.app_context():
        for model in (Attempt, MenteeLink, Assignment, Round, OutgoingMail, ReadAudit):
            db.session.execute(delete(model))
        db.session.commit()


def open_round(app) -> None:
    with app.app_context():
        ops.start_round(date(2026, 3, 20), seed=1)  # the whole pool: loads of about ten


def first_closed(app) -> None:
    """Round 1 opened and closed, one mentee in twenty having asked for another mentor."""
    reset(app)
    open_round(app)
    with app.app_context():
        round_ = ops.open_round()
        ops.close(round_)
        db.session.execute(update(Assignment).where(Assignment.round_id == round_.id, Assignment.mentee_id % 20 == 0)
                           .values(change_requested=True))
        db.session.commit()


def half_reached(app) -> int:
    with app.app_context():
        round_ = ops.open_round()
        rows = db.session.execute(select(Assignment.id, Assignment.mentor_id)
                                  .where(Assignment.round_id == round_.id)).all()
        db.session.execute(insert(Attempt), [
            {"assignment_id": a, "mentor_id": m, "day": date(2026, 3, 2), "channel": "call", "outcome": "reached",
             "logged_at": NOW} for a, m in rows[::2]])
        db.session.commit()
        return round_.id


def measure(label: str, database, sizes: list[int], repeat: int) -> None:
    print(f"\n{label}: seconds, median of {repeat} (range); cpu = this process's CPU seconds; st = SQL statements; "
          "x peer = ratio to sorting as many keys")
    print(f"{'faculty':>8} | {'open s (range)':>17} {'cpu':>5} {'st':>3} {'x peer':>7} | {'next s':>7} {'st':>3} | "
          f"{'page s':>7} {'st':>3} {'x peer':>7} | {'peer ms':>7} | {'open, page growth':>17} {'n log n':>7} "
          f"{'ratio growth':>12}")
    previous = None
    for size in sizes:
        url, drop = database(size)
        try:
            app, mentors = build(size, url)
            with app.app_context():
                engine = db.engine
            opened = Timed(engine).run(lambda: open_round(app), repeat, lambda: reset(app))  # noqa: B023
            following = Timed(engine).run(lambda: open_round(app), repeat, lambda: first_closed(app))  # noqa: B023
            reset(app)
            open_round(app)
            round_id = half_reached(app)
            client = app.test_client()
            client.get(f"/oneonone/rounds/{round_id}", headers=COORDINATOR)  # warm

            def page():
                answer = client.get(f"/oneonone/rounds/{round_id}", headers=COORDINATOR)  # noqa: B023
                assert answer.status_code == 200, answer.status_code
            paged = Timed(engine).run(page, repeat)
            keys = [random.random() for _ in range(size)]
            peer = Timed(engine).run(lambda: sorted(keys), max(repeat, 5))  # noqa: B023
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
        finally:
            drop()
        growth = nlogn = ratio_growth = ""
        if previous:
            growth = f"{opened.wall / previous[1]:.1f}x, {paged.wall / previous[2]:.1f}x"
            nlogn_x = size * math.log(size) / (previous[0] * math.log(previous[0]))
            nlogn = f"{nlogn_x:.1f}x"
            ratio_growth = f"{opened.wall / previous[1] / nlogn_x:.2f}x"
        print(f"{size:>8} | {opened.wall:>6.2f} ({opened.spread():>9}) {opened.cpu:>5.2f} {opened.statements:>3} "
              f"{opened.wall / peer.wall:>7.0f} | {following.wall:>7.2f} {following.statements:>3} | "
              f"{paged.wall:>7.3f} {paged.statements:>3} {paged.wall / peer.wall:>7.0f} | {peer.wall * 1000:>7.2f} | "
              f"{growth:>17} {nlogn:>7} {ratio_growth:>12}   ({mentors} mentors in the pool)")
        previous = (size, opened.wall, paged.wall)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100,2000,20000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--postgres", help="a PostgreSQL server URL: measure there too, on fresh databases")
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"load average before: {load_average()}")
    with tempfile.TemporaryDirectory() as folder:
        if not args.no_sqlite:
            measure("SQLite", lambda size: (f"sqlite:///{folder}/bench-{size}.sqlite", lambda: None), sizes,
                    args.repeat)
        if args.postgres:
            measure("PostgreSQL", lambda size: fresh_postgres(args.postgres), sizes, args.repeat)
    print(f"load average after: {load_average()}")


if __name__ == "__main__":
    main()
