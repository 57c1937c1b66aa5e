"""Tables of the staff web login.

A *login attempt* is one failed sign-in, kept for the rate-limiting window
only. Its ``key_hash`` is an HMAC-SHA256 (keyed with the app's secret key) of
``account:<email>`` or ``address:<client address>``, so the table can count
attempts per account and per address without holding either.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from docbox_shared.clock import UTCDateTime

from ..models import db


class LoginAttempt(db.Model):
    __tablename__ = "login_attempts"
    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), index=True)
    attempted_at: Mapped[datetime] = mapped_column("attempted_dt", UTCDateTime, index=True)
