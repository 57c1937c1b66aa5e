"""Mail to staff: invitation and password-reset links, queued in the sessions database.

:func:`send_staff_link` writes the whole message (one recipient, RFC 5322
bytes) into the ``staff_mail`` table in the caller's transaction, so a link
is mailed if and only if it was issued; it never talks to a mail server
itself, so a mail server that is down delays nothing here. The table has the
columns of the kit's stored-message mail queue (an idempotency ``key``, a
``message_id`` kept by every resend, ``status`` from ``pending``, ``due_at``,
leases, attempts, the body cleared once final), so the kit's delivery worker
drains it as it is. The key names the link by its stored hash, never by the
token.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app
from sqlalchemy import Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from docbox_shared.clock import now

from .models import Staff, UTCDateTime, db

SUBJECTS = {"invite": "You are invited to Doc Box", "reset": "Set a new Doc Box password"}
BODIES = {
    "invite": ("Hello,\n\nyou have been given a Doc Box staff account ({role}) for {email}.\n"
               "Open this link within 7 days to choose your password{sso}:\n\n{url}\n\n"
               "The link works once. If you did not expect this mail, ignore it.\n"),
    "reset": ("Hello,\n\nsomeone (hopefully you) asked to set a new Doc Box password for {email}.\n"
              "Open this link within an hour to choose it:\n\n{url}\n\n"
              "The link works once. If you did not ask, ignore this mail: your password stays as it is.\n"),
}


class StaffMail(db.Model):
    """One queued message to one staff member (the kit's stored-message queue columns)."""

    __tablename__ = "staff_mail"
    __table_args__ = (Index("ix_staff_mail_status_due", "status", "due_at"),
                      Index("ix_staff_mail_status_lease", "status", "lease_until"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    message_id: Mapped[str] = mapped_column(String(200))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the link is dead then: no use sending
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_failure_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recipient: Mapped[str] = mapped_column(String(320))
    body: Mapped[bytes | None] = mapped_column(LargeBinary)  # the message, holding the link; cleared once sent


def link_url(token: str) -> str:
    return f"{current_app.config['PUBLIC_URL'].rstrip('/')}/welcome/{token}"


def send_staff_link(staff: Staff, purpose: str, token: str, expires_dt: datetime | None = None) -> None:
    """Queues the invitation or reset mail holding ``token``'s link, in the current transaction."""
    sso = " or to sign in with your institution's account" if current_app.config.get("OIDC_ISSUER") else ""
    message = EmailMessage()
    message["From"] = current_app.config.get("MAIL_FROM") or "Doc Box <docbox@localhost>"
    message["To"] = staff.email
    message["Subject"] = SUBJECTS[purpose]
    key = f"staff-{purpose}:{hashlib.sha256(token.encode()).hexdigest()}"
    message["Message-ID"] = make_msgid(idstring=key[:40], domain="docbox")
    message.set_content(BODIES[purpose].format(role=staff.role, email=staff.email, url=link_url(token), sso=sso))
    moment = now()
    db.session.add(StaffMail(key=key, message_id=message["Message-ID"], due_at=moment, expires_at=expires_dt,
                             status="pending", attempts=0, created_at=moment, recipient=staff.email,
                             body=bytes(message)))
