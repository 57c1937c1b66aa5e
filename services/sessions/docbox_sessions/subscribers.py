"""How many subscribe to each program, as the programs page shows it: feeds and reminder subscriptions.

The numbers live where the subscriptions do: calendar_sync counts live feeds,
notifications active reminder subscriptions. Both are asked at once, server to
server, signed (:mod:`docbox_shared.counts`); a service that does not answer in
time makes its column "unavailable", never the page. Only numbers by program
cross: no feed, address or anything else about a subscriber.

Planners see the numbers as they are. Everyone else sees them as every number
of Doc Box is shown to them: counts from 1 to K-1 withheld by the kit's
suppression (:func:`docbox_shared.suppression.suppress`). The page shows no
total, so a withheld number cannot be worked out by subtraction (a feed of two
programs counts in both, so no sum would be a number of feeds anyway).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from flask import current_app

from docbox_shared.counts import fetch_counts
from docbox_shared.suppression import suppress

KINDS = (("feeds", "CALENDAR_SYNC_INTERNAL_URL"), ("reminders", "NOTIFICATIONS_INTERNAL_URL"))
WITHHELD = "withheld"


def subscriber_counts(program_ids: list[str], exact: bool) -> dict[str, dict[str, int | str] | None]:
    """``{"feeds": {program id: number or "withheld"}, "reminders": {...}}``; a kind is None when its
    service could not be asked."""
    config = current_app.config
    secret = config["EVENT_SECRETS"][0]
    with ThreadPoolExecutor(max_workers=len(KINDS)) as pool:
        asked = {kind: pool.submit(fetch_counts, config.get(key, ""), secret) for kind, key in KINDS}
        answers = {kind: future.result() for kind, future in asked.items()}
    result: dict[str, dict[str, int | str] | None] = {}
    for kind, answer in answers.items():
        if answer is None:
            result[kind] = None
            continue
        numbers = {pid: answer.get(pid, 0) for pid in program_ids}
        if not exact:
            hidden = suppress({pid: (n, frozenset({pid})) for pid, n in numbers.items()}, config["MIN_CELL"])
            numbers = {pid: WITHHELD if pid in hidden else n for pid, n in numbers.items()}
        result[kind] = numbers
    return result


def subscriber_rows(programs, exact: bool) -> dict:
    """The API's answer: each program's numbers, ``null`` where withheld (named in ``withheld``) or
    where the service did not answer (named in ``unavailable``)."""
    counts = subscriber_counts([p.id for p in programs], exact) if programs else {kind: {} for kind, _ in KINDS}
    rows = []
    for program in programs:
        row = {"program_id": program.id, "name": program.name, "withheld": []}
        for kind, _ in KINDS:
            value = None if counts[kind] is None else counts[kind][program.id]
            if value == WITHHELD:
                row["withheld"].append(kind)
                value = None
            row[kind] = value
        rows.append(row)
    return {"exact": exact, "min_cell": current_app.config["MIN_CELL"], "programs": rows,
            "unavailable": [kind for kind, _ in KINDS if counts[kind] is None]}
