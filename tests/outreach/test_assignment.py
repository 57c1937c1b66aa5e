"""Round assignment: who mentors whom, checked by properties over random rosters.

The balance oracle is an independent maximum flow (scipy's): loads within one
of each other are required exactly when that flow says some assignment
achieves them.
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse import csr_array
from scipy.sparse.csgraph import maximum_flow

from docbox_outreach.domain.assignment import (
    AssignmentInfeasible,
    OptOut,
    SwapRefused,
    assign,
    choose_mentors,
    opted_out,
    swap,
)
from docbox_outreach.domain.vocabulary import OptOutScope


def line_of(person, reports_to) -> set:
    """Everyone above ``person`` (written apart from the module's own walk)."""
    above = set()
    while reports_to.get(person) is not None:
        person = reports_to[person]
        above.add(person)
    return above


def allowed(mentee, mentor, reports_to, avoid=None) -> bool:
    return (mentee != mentor and mentor not in line_of(mentee, reports_to)
            and mentee not in line_of(mentor, reports_to) and mentor != avoid)


def balanced_possible(mentees, mentors, reports_to, avoid) -> bool:
    """Max flow: source → mentee (1) → allowed mentor (1) → sink (floor), plus at most ``extra``
    mentors one more (mentor → X (1) → sink (extra))."""
    n, m = len(mentees), len(mentors)
    floor, extra = divmod(n, m)
    source, x, sink = 0, 1 + n + m, 2 + n + m
    graph = np.zeros((sink + 1, sink + 1), dtype=np.int32)
    for i, mentee in enumerate(mentees, 1):
        graph[source, i] = 1
        for j, mentor in enumerate(mentors, 1 + n):
            graph[i, j] = allowed(mentee, mentor, reports_to, avoid.get(mentee))
    for j in range(1 + n, 1 + n + m):
        graph[j, sink], graph[j, x] = floor, 1
    graph[x, sink] = extra
    return maximum_flow(csr_array(graph), source, sink).flow_value == n


@st.composite
def rounds(draw):
    """A random roster forest, its mentors, opt-outs, last round's pairs and change requests."""
    size = draw(st.integers(1, 24))
    people = list(range(size))
    reports_to = {p: draw(st.one_of(st.none(), st.integers(0, p - 1))) if p else None for p in people}
    mentors = draw(st.lists(st.sampled_from(people), min_size=1, max_size=size, unique=True))
    out = set(draw(st.lists(st.sampled_from(people), max_size=size // 3)))
    mentees = [p for p in people if p not in out]
    previous = {p: draw(st.sampled_from(people)) for p in draw(st.lists(st.sampled_from(people), unique=True))}
    changes = set(draw(st.lists(st.sampled_from(people), max_size=3)))
    return mentees, mentors, reports_to, previous, changes, draw(st.integers(0, 3))


@settings(max_examples=200, deadline=None)
@given(rounds())
def test_every_mentee_gets_one_allowed_mentor_balanced_whenever_possible(case):
    mentees, mentors, reports_to, previous, changes, seed = case
    avoid = {x: previous.get(x) for x in changes}
    try:
        result = assign(mentees, mentors, reports_to, previous=previous, change_requested=changes, seed=seed)
    except AssignmentInfeasible as error:
        stuck = [x for x in mentees if not any(allowed(x, p, reports_to, avoid.get(x)) for p in mentors)]
        assert stuck and sorted(error.people) == stuck
        return
    assert set(result.mentor_of) == set(mentees)
    for mentee, mentor in result.mentor_of.items():
        assert mentor in mentors and allowed(mentee, mentor, reports_to, avoid.get(mentee))
    loads = result.loads()
    assert sum(loads.values()) == len(mentees)
    assert result.balanced == (max(loads.values()) - min(loads.values()) <= 1)
    assert result.balanced == balanced_possible(mentees, mentors, reports_to, avoid)
    if result.balanced:  # no move nor exchange would give a mentee back last round's mentor
        floor, extra = divmod(len(mentees), len(mentors))
        for mentee, mentor in previous.items():
            keepable = mentee in result.mentor_of and mentor in mentors and mentee not in changes \
                and allowed(mentee, mentor, reports_to)
            now = result.mentor_of.get(mentee)
            if keepable and now != mentor:
                assert mentee not in result.kept
                assert not (loads[mentor] < floor + (extra > 0) and loads[now] > floor)
                assert not any(result.mentor_of[y] == mentor and previous.get(y) != mentor
                               and allowed(y, now, reports_to, avoid.get(y)) for y in result.mentor_of)
    again = assign(mentees, mentors, reports_to, previous=previous, change_requested=changes, seed=seed)
    assert again == result


@settings(max_examples=60, deadline=None)
@given(rounds())
def test_next_round_with_nothing_changed_keeps_every_pair(case):
    mentees, mentors, reports_to, _, _, seed = case
    try:
        first = assign(mentees, mentors, reports_to, seed=seed)
    except AssignmentInfeasible:
        return
    if first.balanced:
        second = assign(mentees, mentors, reports_to, previous=first.mentor_of, seed=seed + 7)
        assert second.mentor_of == first.mentor_of and second.kept == set(mentees)


def test_one_mentor_and_their_own_reports_is_refused_naming_them():
    with pytest.raises(AssignmentInfeasible, match="3 of the mentees have no possible mentor") as caught:
        assign(["boss", "a", "b"], ["boss"], {"a": "boss", "b": "boss"})
    assert sorted(caught.value.people) == ["a", "b", "boss"]


def test_chair_above_every_mentor_cannot_get_a_mentor():
    reports_to = {"chief1": "chair", "chief2": "chair", "f1": "chief1", "f2": "chief2"}
    with pytest.raises(AssignmentInfeasible) as caught:
        assign(["chair", "chief1", "chief2", "f1", "f2"], ["chief1", "chief2"], reports_to)
    assert caught.value.people == ("chair",)


def test_mentors_and_leaders_get_a_mentor_outside_their_line():
    reports_to = {"chief1": "chair", "chief2": "chair", "f1": "chief1", "f2": "chief2"}
    result = assign(["chief1", "chief2", "f1", "f2"], ["chief1", "chief2", "outside"], reports_to)
    assert result.mentor_of["chief1"] in {"chief2", "outside"} and result.mentor_of["f1"] in {"chief2", "outside"}
    assert result.mentor_of["chief2"] in {"chief1", "outside"}


def test_change_request_gives_another_mentor_and_others_keep_theirs():
    mentees = [f"f{i}" for i in range(12)]
    first = assign(mentees, ["m1", "m2", "m3"], {}, seed=4)
    asked = "f5"
    second = assign(mentees, ["m1", "m2", "m3"], {}, previous=first.mentor_of, change_requested=[asked], seed=4)
    assert second.mentor_of[asked] != first.mentor_of[asked]
    # loads stay 4/4/4: the new mentor hands one mentee to the old one, everyone else stays
    assert second.balanced and len(second.kept) == 10 and asked not in second.kept


def test_mentor_who_stopped_mentoring_hands_mentees_to_others_evenly():
    mentees = [f"f{i}" for i in range(30)]
    first = assign(mentees, ["m1", "m2", "m3"], {})
    second = assign(mentees, ["m1", "m2"], {}, previous=first.mentor_of)
    assert second.loads() == {"m1": 15, "m2": 15}
    assert {x for x, p in first.mentor_of.items() if p != "m3"} == set(second.kept)


def test_same_seed_same_pairs_in_another_process():
    code = ("from docbox_outreach.domain.assignment import assign;"
            "print(sorted(assign([f'f{i}' for i in range(1, 200)], [f'f{i}' for i in range(1, 200, 9)],"
            "{f'f{i}': f'f{i // 5}' for i in range(1, 200)}, seed=3).mentor_of.items()))")
    outputs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                              env={**os.environ, "PYTHONHASHSEED": hash_seed}).stdout for hash_seed in ("1", "2")}
    assert len(outputs) == 1


def test_swap_keeps_loads_and_refuses_a_reporting_line():
    reports_to = {"a": "m1"}
    pairs = {"a": "m2", "b": "m1", "m1": "m2", "m2": "m1"}
    with pytest.raises(SwapRefused, match="own mentor"):
        swap(pairs, "b", "m1", reports_to)
    with pytest.raises(SwapRefused, match="reporting line"):
        swap(pairs, "a", "b", reports_to)
    assert swap(pairs, "b", "m2", reports_to) == {"a": "m2", "b": "m1", "m1": "m2", "m2": "m1"}
    assert swap({"a": "m2", "c": "m3", "b": "m1"}, "a", "c", reports_to) == {"a": "m3", "c": "m2", "b": "m1"}


def test_coordinator_sets_the_load_or_the_number_of_mentors_previous_mentors_first():
    mentees = [f"f{i}" for i in range(95)]
    pool = [f"m{i}" for i in range(20)]
    assert len(choose_mentors(pool, mentees, {}, seed=1, load=10)) == 10
    chosen = choose_mentors(pool, mentees, {"f1": "m19", "f2": "m19", "f3": "m18"}, seed=1, mentor_count=2)
    assert chosen == ("m19", "m18")
    with pytest.raises(AssignmentInfeasible, match="21 mentors are needed but 20 are mentoring"):
        choose_mentors(pool, mentees, {}, seed=1, mentor_count=21)
    with pytest.raises(AssignmentInfeasible):
        choose_mentors(pool, mentees, {}, seed=1, load=4)


def test_opt_outs_for_this_round_or_for_good_until_withdrawn():
    outs = [OptOut("a", OptOutScope.THIS_ROUND, 3), OptOut("b", OptOutScope.FOR_GOOD, 3),
            OptOut("c", OptOutScope.FOR_GOOD, 2, withdrawn=True)]
    assert opted_out(outs, 2) == set()
    assert opted_out(outs, 3) == {"a", "b"}
    assert opted_out(outs, 4) == {"b"}
