"""The one clock of every service, and how instants are stored.

- :func:`now` is the current time as an aware UTC datetime. Tests replace it
  with ``app.config["CLOCK"]`` (a callable returning an aware datetime; None
  or unset means the real time). Every service reads the same key.
- :class:`UTCDateTime` is the column type of every instant: aware UTC in,
  aware UTC out, on SQLite too (which keeps no offset). Its storage is
  ``DateTime(timezone=True)``, so switching a column to it needs no migration.
- :func:`aware` repairs a value read without the type (a raw ``select`` of a
  plain ``DateTime`` column, a JSON field): naive means UTC.

Naming: an instant's column ends in ``_at`` (``created_at``, ``due_at``);
sessions still says ``_dt`` (its rename is a migration of its own).
"""

from __future__ import annotations

from datetime import datetime, timezone

from flask import current_app, has_app_context
from sqlalchemy import DateTime, TypeDecorator

UTC = timezone.utc
CONFIG_KEY = "CLOCK"


def now() -> datetime:
    if has_app_context():
        override = current_app.config.get(CONFIG_KEY)
        if override is not None:
            return override()
    return datetime.now(UTC)


def aware(value: datetime | None) -> datetime | None:
    """A stored instant as an aware UTC datetime (SQLite drops the offset; the value is UTC)."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes in, aware UTC datetimes out, on SQLite too.

    A naive datetime is refused on the way in: it crossed a function boundary
    without saying which zone it is in.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime given for a UTC column")
            value = value.astimezone(UTC)
            if dialect.name == "sqlite":
                value = value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        return aware(value)
