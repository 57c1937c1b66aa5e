"""Small-cell suppression of attendance tables for people who may not see exact counts.

A *table* has rows (one per month, quarter, program or format) and the measures
``in_person``, ``virtual`` and ``total``, plus a totals row. Its *relations*
are the sums a reader can check: in each row ``in_person + virtual = total``,
and in each measure the rows add up to the totals row.

*Primary* suppression withholds every count from 1 to K-1. *Secondary*
suppression then withholds more cells until no withheld cell can be worked out
from what is published. The reader is assumed to know that withheld cells are
at least 1 (zeros are always published) and to use every relation at once;
we compute, for each withheld cell, the interval the published numbers allow
(repeating until nothing narrows further) and withhold one more cell
(the smallest published non-zero count in a relation that pins it) while any
withheld cell is pinned to one value.
"""

from __future__ import annotations

from collections.abc import Sequence

MEASURES = ("in_person", "virtual", "total")
INF = float("inf")
Cell = tuple[int, str]  # (row index, measure); the totals row has index -1


def relations(n_rows: int) -> list[tuple[list[Cell], Cell]]:
    """``(parts, total)`` pairs: the sums a reader can check."""
    rels: list[tuple[list[Cell], Cell]] = []
    for r in [*range(n_rows), -1]:
        rels.append(([(r, "in_person"), (r, "virtual")], (r, "total")))
    for m in MEASURES:
        rels.append(([(r, m) for r in range(n_rows)], (-1, m)))
    return rels


def bounds(values: dict[Cell, int], hidden: set[Cell], rels) -> dict[Cell, tuple[float, float]]:
    """For each hidden cell, the interval [lo, hi] the published cells allow."""
    lo = {c: (1 if c in hidden else values[c]) for c in values}
    hi = {c: (INF if c in hidden else values[c]) for c in values}
    changed = True
    rounds = 0
    while changed and rounds < 100:
        changed, rounds = False, rounds + 1
        for parts, total in rels:
            for x in parts:
                others = [p for p in parts if p != x]
                new_hi = hi[total] - sum(lo[p] for p in others)
                new_lo = lo[total] - sum(hi[p] for p in others)
                if new_hi < hi[x]:
                    hi[x], changed = new_hi, True
                if new_lo > lo[x]:
                    lo[x], changed = new_lo, True
            sum_lo, sum_hi = sum(lo[p] for p in parts), sum(hi[p] for p in parts)
            if sum_lo > lo[total]:
                lo[total], changed = sum_lo, True
            if sum_hi < hi[total]:
                hi[total], changed = sum_hi, True
    return {c: (lo[c], hi[c]) for c in hidden}


def suppress(rows: Sequence[dict], totals: dict, k: int) -> set[Cell]:
    """The cells to withhold from a table whose rows and totals hold the MEASURES."""
    values: dict[Cell, int] = {}
    for r, row in enumerate(rows):
        for m in MEASURES:
            values[(r, m)] = row[m]
    for m in MEASURES:
        values[(-1, m)] = totals[m]
    rels = relations(len(rows))
    hidden = {c for c, v in values.items() if 1 <= v < k}
    while hidden:
        pinned = [c for c, (lo, hi) in bounds(values, hidden, rels).items() if lo == hi]
        if not pinned:
            break
        added = False
        for cell in sorted(pinned):
            candidates = [c for parts, total in rels if cell in parts or cell == total
                          for c in [*parts, total] if c not in hidden and values[c] > 0]
            if candidates:
                hidden.add(min(candidates, key=lambda c: (values[c], c[1] == "total", c)))
                added = True
                break
        if not added:
            break  # every related cell is already hidden or zero: nothing more can help
    return hidden
