"""The current time, replaceable in tests (``app.config["CLOCK"]``).

Every instant that crosses a function boundary is an aware UTC datetime;
:func:`aware` repairs the naive values SQLite hands back.
"""

from __future__ import annotations

from datetime import datetime, timezone

from flask import current_app, has_app_context

UTC = timezone.utc


def now() -> datetime:
    if has_app_context() and current_app.config.get("CLOCK"):
        return current_app.config["CLOCK"]()
    return datetime.now(UTC)


def aware(value: datetime | None) -> datetime | None:
    """A stored instant as aware UTC (SQLite drops the offset; the value is UTC)."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
