"""The test clock: a fixed instant the services read instead of the system time; tests move it.

``clock_config(service, clock)`` is the one place that knows which config key
a service reads its clock from: the kit's ``CLOCK`` for every service.
"""

from __future__ import annotations

from datetime import datetime, timedelta

CLOCK_KEY = "CLOCK"


def clock_config(service: str, clock) -> dict:
    """The app config entry that makes ``service`` read ``clock`` (None: the system clock)."""
    return {CLOCK_KEY: clock}


class Clock:
    """Callable like the services' clocks: returns ``moment`` until a test moves it."""

    def __init__(self, moment: datetime):
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment

    def advance(self, **delta) -> datetime:
        self.moment += timedelta(**delta)
        return self.moment

    def set(self, moment: datetime) -> None:
        self.moment = moment
