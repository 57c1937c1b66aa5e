"""Benchmark: opening a round of the outreach network and the coordinator's round page, 100 to 20,000 faculty.

For each size (the department tree of ``bench/outreach_assignment.py``: one in
ten faculty a mentor) on a fresh SQLite database built by the migrations it
times, through the real app:

- *open*: ``start_round`` as the coordinator's form calls it: the assignment,
  one row per mentee, a capability link per mentee, and the mail of every
  mentor and mentee queued, in one transaction;
- *page*: ``GET /oneonone/rounds/<id>`` as a coordinator, with half the
  mentees reached, and the number of SQL statements that request ran;

and, as the peer measured in the same run, ``sorted`` of as many random keys
(n log n, in C). It prints the median time, the ratio to the peer, the growth
from one size to the next beside n log n's, and the load average before and
after. The goals: the ratios do not grow with n (growth no worse than n log
n), and the page runs the same number of statements at every size (no query
per row). It prints; it asserts nothing.

    .venv/bin/python bench/outreach_round.py [--sizes 100,2000,20000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import math
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timezone
from pathlib import Path

import flask_migrate
from sqlalchemy import delete, event, insert, select

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))
from outreach_assignment import department  # noqa: E402

from docbox_outreach import MIGRATIONS, create_app  # noqa: E402
from docbox_outreach.models import Member, OutgoingMail, db  # noqa: E402
from docbox_outreach.oneonone import operations as ops  # noqa: E402
from docbox_outreach.oneonone.models import Assignment, Attempt, MenteeLink, Mentor, Round  # noqa: E402
from support.outreach import COORDINATOR, staff_lookup  # noqa: E402

NOW = datetime(2026, 3, 2, 14, 0, tzinfo=timezone.utc)


def median_time(run, repeat: int, reset=lambda: None) -> float:
    times = []
    for _ in range(repeat):
        reset()
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def build(size: int, folder: str):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench-{size}.sqlite",
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
        for model in (Attempt, MenteeLink, Assignment, Round, OutgoingMail):
            db.session.execute(delete(model))
        db.session.commit()


def open_round(app) -> None:
    with app.app_context():
        ops.start_round(date(2026, 3, 20), seed=1)  # the whole pool: loads of about ten


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100,2000,20000")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    print(f"{'faculty':>8} {'open':>10} {'page':>9} {'queries':>7} {'peer sort':>10} {'open/peer':>9} "
          f"{'page/peer':>9} {'open growth':>11} {'page growth':>11} {'n log n':>8}")
    previous = None
    with tempfile.TemporaryDirectory() as folder:
        for size in sizes:
            app, mentors = build(size, folder)
            t_open = median_time(lambda: open_round(app), args.repeat, lambda: reset(app))  # noqa: B023
            round_id = half_reached(app)
            client = app.test_client()
            statements = []
            engine = None
            with app.app_context():
                engine = db.engine
            listener = lambda *a, **k: statements.append(1)  # noqa: E731, B023 (removed before the loop moves on)
            event.listen(engine, "before_cursor_execute", listener)
            client.get(f"/oneonone/rounds/{round_id}", headers=COORDINATOR)  # warm
            statements.clear()
            answer = client.get(f"/oneonone/rounds/{round_id}", headers=COORDINATOR)
            queries = len(statements)
            event.remove(engine, "before_cursor_execute", listener)
            assert answer.status_code == 200, answer.status_code
            t_page = median_time(lambda: client.get(f"/oneonone/rounds/{round_id}", headers=COORDINATOR),  # noqa: B023
                                 args.repeat)
            keys = [random.random() for _ in range(size)]
            t_peer = median_time(lambda: sorted(keys), max(args.repeat, 5))  # noqa: B023
            growth_open = growth_page = nlogn = ""
            if previous:
                growth_open = f"{t_open / previous[1]:.1f}x"
                growth_page = f"{t_page / previous[2]:.1f}x"
                nlogn = f"{size * math.log(size) / (previous[0] * math.log(previous[0])):.1f}x"
            print(f"{size:>8} {t_open * 1000:>8.0f}ms {t_page * 1000:>7.0f}ms {queries:>7} {t_peer * 1000:>8.2f}ms "
                  f"{t_open / t_peer:>9.0f} {t_page / t_peer:>9.0f} {growth_open:>11} {growth_page:>11} {nlogn:>8}"
                  f"   ({mentors} mentors in the pool)")
            previous = (size, t_open, t_page)
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
