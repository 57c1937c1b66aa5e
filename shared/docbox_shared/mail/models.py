"""The columns of a mail queue, for a service to add to its own metadata.

- :class:`MailMixin`: one row per message to one recipient, with the state
  the worker keeps (``pending`` → ``sending`` → ``sent``, or ``failed``,
  ``bounced``, ``dropped``; a service may add states of its own that the
  worker never claims, e.g. notifications' ``held``). ``key`` is the
  service's idempotency key (enqueueing twice sends once), ``message_id``
  the Message-ID every resend keeps.
- :class:`StoredMessageMixin`: for a service that writes the whole message
  when it enqueues (outreach) instead of building it at send time
  (notifications, whose messages carry fresh tokens): the recipient and the
  message bytes. The body is cleared once the row is final (sent, bounced,
  failed, dropped), so what was written to someone does not outlive its
  delivery.

Instants are the kit's :class:`docbox_shared.clock.UTCDateTime`, like every
other instant: aware UTC in and out, on SQLite too.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from ..clock import UTCDateTime

CLAIMABLE = ("pending", "sending")
FINAL = ("sent", "failed", "bounced", "dropped")
STATUSES = (*CLAIMABLE, *FINAL)


class MailMixin:
    """One message to one recipient; add to a model with a ``__tablename__``.

    The two indexes let the worker walk due rows in order: ``pending`` by
    ``due_at``, and ``sending`` rows by ``lease_until`` (a worker died).
    A model with indexes of its own lists them in ``__table_args__`` and adds
    ``*MailMixin.queue_indexes(tablename)``.
    """

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    message_id: Mapped[str] = mapped_column(String(200))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # useless from then on
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_failure_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)   # SMTP code and text, addresses removed
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    @staticmethod
    def queue_indexes(tablename: str) -> tuple[Index, ...]:
        return (Index(f"ix_{tablename}_status_due", "status", "due_at"),
                Index(f"ix_{tablename}_status_lease", "status", "lease_until"))

    @declared_attr.directive
    def __table_args__(cls):
        return cls.queue_indexes(cls.__tablename__)


class StoredMessageMixin(MailMixin):
    """A queue row that carries its message: recipient and RFC 5322 bytes (cleared once final)."""

    recipient: Mapped[str] = mapped_column(String(320))
    body: Mapped[bytes | None] = mapped_column(LargeBinary)
