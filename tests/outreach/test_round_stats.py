"""Round reports: the coordinator's exact numbers, and what a viewer can and cannot work out."""

from __future__ import annotations

import itertools
import random
from datetime import date, timedelta

import numpy as np
import pytest
from scipy.optimize import linprog

from docbox_outreach.domain.round_stats import Attempt, RoundFacts, round_report, viewer_release
from docbox_outreach.domain.vocabulary import AttemptOutcome as O
from docbox_outreach.domain.vocabulary import Channel

K = 5
OPEN = date(2026, 3, 2)


def attempt(mentee, mentor, day, outcome):
    return Attempt(mentee, mentor, OPEN + timedelta(days=day), Channel.CALL, outcome)


def test_coordinator_sees_reach_coverage_median_loads_and_the_daily_chart():
    pairs = {"a": "m1", "b": "m1", "c": "m1", "d": "m2", "e": "m2", "m2": "m1", "m1": "m2"}
    attempts = [attempt("a", "m1", 0, O.ATTEMPTED), attempt("a", "m1", 2, O.REACHED),
                attempt("b", "m1", 1, O.DECLINED), attempt("c", "m1", 4, O.REACHED),
                attempt("c", "m1", 5, O.REACHED), attempt("d", "m2", 4, O.FOLLOW_UP_REQUESTED),
                attempt("m1", "m2", 6, O.REACHED), attempt("zz", "m2", 1, O.REACHED)]  # zz: not in the round
    report = round_report(RoundFacts(OPEN, OPEN + timedelta(days=7), pairs, attempts, opted_out={"e", "m1"}))
    assert (report.assigned, report.opted_out, report.attempted, report.reached) == (7, 2, 5, 3)
    assert (report.declined, report.follow_up, report.reached_without_opt_outs) == (1, 1, 2)
    assert report.reach_rate == 3 / 7 and report.reach_rate_without_opt_outs == 2 / 5
    assert report.coverage == 5 / 7
    assert report.median_days_to_reach == 4  # days 2, 4 and 6 (c's second reach does not count)
    assert report.reached_by_day == (0, 0, 1, 1, 2, 2, 3, 3)
    rows = {r.mentor: (r.load, r.attempted, r.reached, r.completion) for r in report.mentors}
    assert rows == {"m1": (4, 3, 2, 0.5), "m2": (3, 2, 1, 1 / 3)}


def test_empty_round_has_no_rates_rather_than_a_division_by_zero():
    report = round_report(RoundFacts(OPEN, OPEN, {}, []))
    assert report.reach_rate is None and report.median_days_to_reach is None and report.reached_by_day == (0,)


def random_round(seed: int, size: int) -> RoundFacts:
    rng = random.Random(seed)
    pairs = {f"f{i}": f"m{i % 4}" for i in range(size)}
    attempts = []
    for mentee, mentor in pairs.items():
        for _ in range(rng.choice((0, 0, 1, 1, 2, 3))):
            attempts.append(attempt(mentee, mentor, rng.randrange(0, 28), rng.choice(list(O))))
    return RoundFacts(OPEN, OPEN + timedelta(days=27), pairs, attempts,
                      {m for m in pairs if rng.random() < 0.08})


# The attacker's own picture of a mentee, written apart from the module: every combination of
# what the published numbers tell apart that the program's logic allows.
def attacker_cells(weeks):
    for out, tried, reached, declined, follow in itertools.product((0, 1), repeat=5):
        if (reached or declined or follow) and not tried:
            continue
        for week in (range(weeks) if reached else [None]):
            yield dict(out=out, tried=tried, reached=reached, declined=declined, follow=follow, week=week)


def meaning(key, c) -> bool:
    """What each published number counts, as the page explains it to a viewer."""
    name = key[0]
    plain = {"assigned": True, "opted_out": c["out"], "attempted": c["tried"], "reached": c["reached"],
             "declined": c["declined"], "follow_up": c["follow"]}
    if key[1:] == ("without opt-outs",):
        return not c["out"] and (name == "assigned" or (c["reached"] if name == "reached" else not c["reached"]))
    if name == "reached in week":
        return c["week"] == key[1]
    if name == "reached by week":
        return c["week"] is not None and c["week"] <= key[1]
    if name.startswith("not "):
        return not plain[name[4:]]
    return bool(plain[name])


def attack(release) -> dict:
    """The lowest and highest value of each withheld number given every published one."""
    cells = list(attacker_cells(release.weeks))
    rows = {key: np.array([meaning(key, c) for c in cells], dtype=float) for key in release.numbers}
    shown = [k for k, v in release.numbers.items() if v is not None]
    hidden = [k for k, v in release.numbers.items() if v is None]
    bounds = {}
    for key in hidden:
        ends = []
        for sign in (1, -1):
            result = linprog(sign * rows[key], bounds=(0, None), method="highs",
                             A_eq=np.array([rows[k] for k in shown]), b_eq=[release.numbers[k] for k in shown],
                             A_ub=np.array([-rows[k] for k in hidden]), b_ub=[-1.0] * len(hidden))
            ends.append(float("inf") if result.status == 3 else sign * result.fun)
        bounds[key] = tuple(ends)
    return bounds


@pytest.mark.parametrize("seed, size", [(1, 12), (2, 30), (3, 45), (4, 80), (5, 23)])
def test_no_withheld_number_can_be_narrowed_below_k_from_everything_a_viewer_sees(seed, size):
    facts = random_round(seed, size)
    release = viewer_release(facts, K)
    exact = round_report(facts)
    # The attacker knows the round's size from the headcount (never shown, never withheld in the model).
    assert release[("assigned",)] == exact.assigned
    visible = [v for v in release.numbers.values() if v is not None]
    assert not any(1 <= v < K for v in visible) and len(visible) < len(release.numbers)
    for key, (low, high) in attack(release).items():
        assert high - low >= K - 1 - 1e-6, (key, low, high)


def test_one_mentee_not_reached_cannot_be_read_from_the_headcount_and_the_reached():
    pairs = {f"f{i}": "m" for i in range(40)}
    attempts = [attempt(f"f{i}", "m", 3, O.REACHED) for i in range(39)]
    release = viewer_release(RoundFacts(OPEN, OPEN + timedelta(days=13), pairs, attempts), K)
    assert release[("not reached",)] is None
    # Viewers are never shown the round's size, but they know it from the headcount (in a first round
    # exactly): withholding the size instead of the reached count would not do.
    assert release[("reached",)] is None
    assert release[("declined",)] == 0  # zeros are shown: "nobody" names nobody


def test_large_round_shows_its_numbers_chart_and_median():
    pairs = {f"f{i}": f"m{i % 5}" for i in range(100)}
    attempts = [attempt(f"f{i}", "m", (i % 20) + 1, O.REACHED) for i in range(0, 100, 2)]
    attempts += [attempt(f"f{i}", "m", 1, O.ATTEMPTED) for i in range(1, 100, 2)]
    release = viewer_release(RoundFacts(OPEN, OPEN + timedelta(days=20), pairs, attempts), K)
    assert (release[("reached",)], release[("attempted",)]) == (50, 100)
    assert release.reached_by_week == (15, 35, 50)
    assert release.median_days_to_reach == 10  # days 1, 3, ..., 19, five mentees each
