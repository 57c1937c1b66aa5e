"""Joint small-cell suppression of linked tables, audited by linear programming.

A *number* is one count a table would publish, with its exact *value* and its
*scope*: the unknowns it is the sum of (for attendance, the in-person and the
virtual count of each month, program and format). Numbers of every table, and
every sum between them, are decided at once: the scopes say how they are linked.

*Primary* suppression withholds every count from 1 to K-1; zeros are
published. The *audit* then computes, for every withheld number, the lowest
and highest value consistent with everything published (each published number
fixes its sum, every withheld one is at least 1 because zeros are shown, every
unknown is at least 0) by linear programming (HiGHS, through scipy); the two
must lie at least K-1 apart. While one does not, *complementary* suppression
withholds one more number: the smallest published one whose constraint binds
the failing bound (a non-zero dual value). Withholding only relaxes the system
(``= v`` becomes ``>= 1`` with ``v >= 1``), so a number that passed stays
passed and one pass suffices.

Numbers with the same scope are one number (a month with one program shows
the same count in several tables) and share their fate. *Frozen* numbers were
published earlier and cannot change: they take part in the audit but are never
chosen as complements. Withholding every new number always passes, so the
search always ends safely. Numbers are visited in key order and ties go to the
smaller key: the result is deterministic.

Every service that shows statistics to viewers uses this one function
(sessions' attendance release, outreach's round and case reports); it needs
the ``stats`` extra (scipy), which only those services install.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable


def suppress(numbers: dict[Hashable, tuple[int, frozenset]], k: int, frozen_hidden: Iterable = (),
             frozen: Iterable = ()) -> set:
    """The keys of the numbers to withhold (frozen withheld ones included).

    ``numbers`` maps each key to ``(value, scope)``; ``frozen`` names numbers
    published earlier (their fate cannot change) and ``frozen_hidden`` those of
    them that were withheld.
    """
    frozen_hidden = set(frozen_hidden)
    frozen = set(frozen) | frozen_hidden
    groups: dict[frozenset, list] = {}
    for key in sorted(numbers):
        groups.setdefault(numbers[key][1], []).append(key)
    scopes = sorted((s for s in groups if s), key=lambda s: groups[s][0])
    value = {s: numbers[groups[s][0]][0] for s in scopes}
    fixed_shown = {s for s in scopes if any(key in frozen and key not in frozen_hidden for key in groups[s])}
    hidden = {s for s in scopes if s not in fixed_shown and (any(key in frozen_hidden for key in groups[s])
                                                              or 1 <= value[s] < k)}
    audit = _Audit(scopes, k)
    queue = sorted(hidden, key=lambda s: groups[s][0])
    position = 0
    while position < len(queue):
        scope = queue[position]
        while True:
            low, high, binding = audit.range_of(scope, value, hidden)
            if high - low >= k - 1 - 1e-6:
                break
            free = [s for s in scopes if s not in hidden and s not in fixed_shown and value[s] > 0]
            complement = (min((s for s in free if s in binding), key=lambda s: (value[s], groups[s][0]), default=None)
                          or min((s for s in free if s & scope), key=lambda s: (value[s], groups[s][0]), default=None)
                          or min(free, key=lambda s: (value[s], groups[s][0]), default=None))
            if complement is None:
                break  # nothing left that could help (only when frozen numbers already tell it)
            hidden.add(complement)
            queue.append(complement)
        position += 1
    return {key for s in hidden for key in groups[s]}


class _Audit:
    """The linear programs over the unknowns: one row per distinct number."""

    def __init__(self, scopes: list[frozenset], k: int):
        # numpy and scipy are imported here, not with the module: they are half of a web worker's
        # memory (50 MB), and the sessions web workers read a release the relay computed ahead.
        import numpy as np

        self.scopes, self.k, self.points, self.cached = scopes, k, [], (-1, [], {})
        unknowns = sorted({u for s in scopes for u in s})
        index = {u: i for i, u in enumerate(unknowns)}
        self.rows = {}
        for s in scopes:
            row = np.zeros(len(unknowns))
            row[[index[u] for u in s]] = 1.0
            self.rows[s] = row

    def range_of(self, scope: frozenset, value: dict, hidden: set) -> tuple[float, float, set]:
        """Lowest and highest value of ``scope``, and the published numbers that bind either.

        Solutions found earlier stay feasible as more is withheld, so when two
        of them already lie K-1 apart in ``scope`` (``self.k``) no program is run.
        """
        import numpy as np
        from scipy.optimize import linprog
        from scipy.sparse import csr_array

        row = self.rows[scope]
        seen = [float(row @ x) for x in self.points]
        if seen and max(seen) - min(seen) >= self.k - 1:
            return min(seen), max(seen), set()
        if self.cached[0] != len(hidden):  # hidden only grows: its size names it
            shown = [s for s in self.scopes if s not in hidden]
            withheld = [s for s in self.scopes if s in hidden]
            self.cached = (len(hidden), shown, dict(
                A_eq=csr_array(np.array([self.rows[s] for s in shown])) if shown else None,
                b_eq=[value[s] for s in shown] if shown else None,
                A_ub=csr_array(np.array([-self.rows[s] for s in withheld])) if withheld else None,
                b_ub=[-1.0] * len(withheld) if withheld else None))
        _, shown, matrices = self.cached
        ends, binding = [], set()
        for sign in (1.0, -1.0):
            result = linprog(sign * row, bounds=(0, None), method="highs", **matrices)
            if result.status == 3:  # unbounded: no upper limit
                ends.append(float("inf"))
                continue
            if result.status != 0:
                raise RuntimeError(f"suppression audit: the linear program failed ({result.message})")
            ends.append(sign * result.fun)
            self.points.append(result.x)
            if shown:
                binding |= {s for s, dual in zip(shown, result.eqlin.marginals) if abs(dual) > 1e-9}
        return ends[0], ends[1], binding
