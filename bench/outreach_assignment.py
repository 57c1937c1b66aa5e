"""Benchmark: how opening a round of the outreach network (the assignment) grows with the faculty.

For 100, 2,000 and 20,000 faculty (a department tree: division chiefs, section
heads, faculty; one in ten a mentor, so loads of about ten) it times
:func:`docbox_outreach.domain.assignment.assign` for a first round and for a
next round that keeps last round's pairs, and, as the peer measured in the
same run, sorting as many random keys with ``sorted`` (an n log n operation
done in C). It prints the median time, the ratio to the peer and the growth
from one size to the next beside n log n's, with the load average before and
after. The goal: the ratio to the peer does not grow with n (growth no worse
than n log n). It prints; it asserts nothing (the rules are tested in
``tests/outreach/test_assignment.py``). The coordinator's round page joins
this benchmark when the web layer exists.

    .venv/bin/python bench/outreach_assignment.py [--sizes 100,2000,20000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import math
import os
import random
import statistics
import time

from docbox_outreach.domain.assignment import assign, choose_mentors


def department(size: int, seed: int = 7) -> tuple[list[str], dict[str, str]]:
    """``size`` faculty: a division chief per 200 (two at least), each over sections of about twelve."""
    rng = random.Random(seed)
    people = [f"f{i}" for i in range(size)]
    chiefs = people[:max(2, size // 200)]
    heads = people[len(chiefs):len(chiefs) + max(1, size // 12)]
    reports_to = {h: rng.choice(chiefs) for h in heads}
    for person in people[len(chiefs) + len(heads):]:
        reports_to[person] = rng.choice(heads)
    return people, reports_to


def median_time(run, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100,2000,20000")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    print(f"{'faculty':>8} {'first round':>12} {'next round':>11} {'peer sort':>10} "
          f"{'first/peer':>10} {'next/peer':>9} {'growth':>7} {'n log n':>8}")
    previous = None
    for size in sizes:
        people, reports_to = department(size)
        pool = [p for p in people if p not in set(reports_to.values())][::10] or people[-2:]
        mentors = choose_mentors(pool, people, {}, seed=1, load=10) if len(pool) * 10 >= size else pool
        first = assign(people, mentors, reports_to, seed=1)
        keys = [random.random() for _ in range(size)]
        t_first = median_time(lambda: assign(people, mentors, reports_to, seed=1), args.repeat)  # noqa: B023
        t_next = median_time(lambda: assign(people, mentors, reports_to, previous=first.mentor_of, seed=2),  # noqa: B023
                             args.repeat)
        t_peer = median_time(lambda: sorted(keys), args.repeat)  # noqa: B023 (each lambda runs before the loop moves on)
        growth = nlogn = ""
        if previous:
            growth = f"{t_first / previous[1]:.1f}x"
            nlogn = f"{size * math.log(size) / (previous[0] * math.log(previous[0])):.1f}x"
        print(f"{size:>8} {t_first * 1000:>10.1f}ms {t_next * 1000:>9.1f}ms {t_peer * 1000:>8.2f}ms "
              f"{t_first / t_peer:>10.0f} {t_next / t_peer:>9.0f} {growth:>7} {nlogn:>8}"
              f"   ({len(mentors)} mentors, balanced: {first.balanced})")
        previous = (size, t_first)
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
