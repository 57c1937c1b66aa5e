"""Joint small-cell suppression of a system of linked tables, audited by linear programming.

A *number* is one published count (a key such as ``("2026-Q1", "*", "virtual",
"total")``); an *equation* says one number is the sum of others
(``(total, [parts])``). Together they describe every table a reader can see and
every sum that links them, so suppression is decided for all of them at once.

*Primary* suppression withholds every count from 1 to K-1; zeros are
published. *Complementary* suppression then withholds more numbers until the
*audit* passes: for every withheld number, the lowest and highest value
consistent with everything published (each equation, every number >= 0, every
withheld number >= 1 because zeros are shown) are computed by linear
programming (HiGHS, through scipy), and the two must lie at least K-1 apart.
Withholding one more number only relaxes the system (``= v`` becomes ``>= 1``
with ``v >= 1``), so a number that passed stays passed and one pass suffices.

*Frozen* numbers were published earlier and cannot change: they take part in
the audit but are never chosen as complements. Withholding every new number
always passes, because new withheld numbers can absorb any value, so the
search always ends safely. Everything is deterministic: numbers are visited
in key order and ties go to the smaller key.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import csr_array

Equation = tuple[Hashable, Sequence[Hashable]]


class System:
    """The equations over the numbers, as a sparse matrix ``A x = 0``."""

    def __init__(self, keys: Iterable[Hashable], equations: Sequence[Equation]):
        self.keys = sorted(keys)
        self.index = {k: i for i, k in enumerate(self.keys)}
        rows, cols, data = [], [], []
        for r, (total, parts) in enumerate(equations):
            for key, sign in [(total, 1.0), *((p, -1.0) for p in parts)]:
                rows.append(r), cols.append(self.index[key]), data.append(sign)
        self.matrix = csr_array((data, (rows, cols)), shape=(len(equations), len(self.keys)))
        self.equations = equations
        self.touching: dict[Hashable, list[int]] = {}
        for r, (total, parts) in enumerate(equations):
            for key in (total, *parts):
                self.touching.setdefault(key, []).append(r)

    def range_of(self, key, published: dict, hidden: set) -> tuple[float, float]:
        """Lowest and highest value of ``key`` consistent with the published numbers."""
        bounds = [(1, None) if k in hidden else (published[k], published[k]) for k in self.keys]
        cost = np.zeros(len(self.keys))
        cost[self.index[key]] = 1.0
        ends = []
        for sign in (1.0, -1.0):
            result = linprog(sign * cost, A_eq=self.matrix, b_eq=np.zeros(self.matrix.shape[0]),
                             bounds=bounds, method="highs")
            if result.status == 3:  # unbounded: no upper limit
                ends.append(float("inf"))
            elif result.status == 0:
                ends.append(sign * result.fun)
            else:
                raise RuntimeError(f"suppression audit: the linear program failed ({result.message})")
        return ends[0], ends[1]


def suppress(values: dict, equations: Sequence[Equation], k: int, frozen_hidden: Iterable = (),
             frozen: Iterable = ()) -> set:
    """The numbers to withhold.

    ``values`` holds every number's exact value; ``frozen`` names numbers
    published earlier (their fate cannot change) and ``frozen_hidden`` those of
    them that were withheld. Returns the withheld numbers, frozen ones included.
    """
    frozen = set(frozen) | set(frozen_hidden)
    system = System(values, equations)
    hidden = set(frozen_hidden) | {n for n in values if n not in frozen and 1 <= values[n] < k}
    queue = sorted(hidden)
    position = 0
    while position < len(queue):
        number = queue[position]
        while True:
            low, high = system.range_of(number, values, hidden)
            if high - low >= k - 1 - 1e-6:
                break
            complement = _complement(system, number, values, hidden, frozen)
            if complement is None:
                break  # nothing left that could help (only when frozen numbers already tell it)
            hidden.add(complement)
            queue.append(complement)
        position += 1
    return hidden


def _complement(system: System, number, values: dict, hidden: set, frozen: set):
    """The smallest publishable non-zero number nearest ``number`` through the equations.

    Nearest: in an equation with it, else in one with a withheld neighbour, and
    so on; else the smallest publishable number anywhere.
    """
    seen, layer, equations_seen = {number}, [number], set()
    while layer:
        candidates, next_layer = set(), []
        for key in layer:
            for r in system.touching.get(key, ()):
                if r in equations_seen:
                    continue
                equations_seen.add(r)
                total, parts = system.equations[r]
                for other in (total, *parts):
                    if other in seen:
                        continue
                    seen.add(other)
                    if other in hidden:
                        next_layer.append(other)  # the leak may run on through a withheld neighbour
                    elif other not in frozen and values[other] > 0:
                        candidates.add(other)
        if candidates:
            return min(candidates, key=lambda c: (values[c], c))
        layer = sorted(next_layer)
    rest = [k for k in system.keys if k not in hidden and k not in frozen and values[k] > 0]
    return min(rest, key=lambda c: (values[c], c)) if rest else None
