"""How many subscribe to each program, as the programs page shows it: feeds and reminder subscriptions.

The numbers live where the subscriptions do: calendar_sync counts live feeds,
notifications active reminder subscriptions. Both are asked at once, server to
server, signed (:mod:`docbox_shared.counts`); a service that does not answer in
time makes its column "unavailable", never the page. Only numbers by program
cross: no feed, address or anything else about a subscriber.

Only organizers and admins see them (the programs page, ``GET /api/v1/stats/subscribers``).
Withholding small numbers from other roles would not hold: anyone may follow an
open program without an account (and staff any program with their token), so
someone shown a withheld count could add feeds or subscriptions of their own
until the number shows, and subtract what they added. No threshold, band or
rounding survives that; not showing the numbers does.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from flask import current_app

from docbox_shared.counts import fetch_counts

KINDS = (("feeds", "CALENDAR_SYNC_INTERNAL_URL"), ("reminders", "NOTIFICATIONS_INTERNAL_URL"))


def subscriber_counts(program_ids: list[str]) -> dict[str, dict[str, int] | None]:
    """``{"feeds": {program id: number}, "reminders": {...}}``; a kind is None when its service could not
    be asked."""
    config = current_app.config
    secret = config["EVENT_SECRETS"][0]
    with ThreadPoolExecutor(max_workers=len(KINDS)) as pool:
        asked = {kind: pool.submit(fetch_counts, config.get(key, ""), secret) for kind, key in KINDS}
        answers = {kind: future.result() for kind, future in asked.items()}
    return {kind: None if answer is None else {pid: answer.get(pid, 0) for pid in program_ids}
            for kind, answer in answers.items()}


def subscriber_rows(programs) -> dict:
    """The API's answer: each program's numbers, ``null`` where the service did not answer (named in
    ``unavailable``)."""
    counts = subscriber_counts([p.id for p in programs]) if programs else {kind: {} for kind, _ in KINDS}
    rows = [{"program_id": program.id, "name": program.name,
             **{kind: None if counts[kind] is None else counts[kind][program.id] for kind, _ in KINDS}}
            for program in programs]
    return {"programs": rows, "unavailable": [kind for kind, _ in KINDS if counts[kind] is None]}
