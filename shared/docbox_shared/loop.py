"""The loop every relay and worker runs: passes until SIGTERM, surviving any error.

A *pass* does what is due (deliver events, push to CalDAV, send mail) and
says whether it found work; an idle loop sleeps ``interval`` seconds between
passes. A pass that fails for any reason (the database restarted, a
connection was cut, a bug met one row) is logged, its transaction rolled back
and its session thrown away, so the next pass starts on a fresh connection:
one dropped connection delays work by a pause, it never stops the loop (a
session left in a failed transaction would refuse every later statement with
``PendingRollbackError``). Failed passes in a row wait longer, up to
``MAX_PAUSE`` seconds. SIGTERM (and Ctrl-C) let the current pass finish.
"""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import Callable

MAX_PAUSE = 30.0


def reset_session(db) -> None:
    """Roll back and drop the current session, whatever state its connection is in."""
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the connection may be gone; remove() discards it either way
        pass
    db.session.remove()


def run(one_pass: Callable[[Callable[[], bool]], bool], db, interval: float, log: logging.Logger, name: str,
        stop: Callable[[], bool] | None = None) -> None:
    """Call ``one_pass(stopped)`` until stopped; it returns True when it did work (then it runs again at once).

    ``stopped()`` tells a long pass to end early (between two messages, say).
    Without ``stop`` the loop installs its own SIGTERM and SIGINT handlers.
    """
    stopping: list[bool] = []
    if stop is None:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stopping.append(True))

    def stopped() -> bool:
        return bool(stopping) or (stop is not None and stop())

    failures = 0
    while not stopped():
        try:
            busy = one_pass(stopped)
            failures = 0
        except Exception:  # noqa: BLE001 - see the module docstring
            failures += 1
            log.exception(f"{name} pass failed; retrying", extra={"failures_in_a_row": failures})
            reset_session(db)
            busy = False
        if busy:
            continue
        pause = interval if failures == 0 else min(MAX_PAUSE, max(interval, 0.5) * 2 ** min(failures - 1, 6))
        deadline = time.monotonic() + pause
        while not stopped() and time.monotonic() < deadline:
            time.sleep(min(0.2, pause))
