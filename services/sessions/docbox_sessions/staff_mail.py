"""Mail to staff: invitation and password-reset links, queued in the sessions database.

:func:`send_staff_link` writes the whole message (one recipient) into the
``staff_mail`` table in the caller's transaction, so a link is mailed if and
only if it was issued; it never talks to a mail server itself, and a mail
server that is down delays nothing here. The kit's durable delivery
(``docbox_shared`` mail: claims with leases, retries, one recipient per
message) drains the table; a message's body, which holds the link, is
deleted once it is sent.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .clock import now
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
    """One queued message to one staff member; the body is cleared once sent."""

    __tablename__ = "staff_mail"
    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str | None] = mapped_column(Text)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_dt: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)


def link_url(token: str) -> str:
    return f"{current_app.config['PUBLIC_URL'].rstrip('/')}/welcome/{token}"


def send_staff_link(staff: Staff, purpose: str, token: str) -> None:
    """Queues the invitation or reset mail holding ``token``'s link, in the current transaction."""
    sso = " or to sign in with your institution's account" if current_app.config.get("OIDC_ISSUER") else ""
    body = BODIES[purpose].format(role=staff.role, email=staff.email, url=link_url(token), sso=sso)
    db.session.add(StaffMail(recipient=staff.email, subject=SUBJECTS[purpose], body=body, created_dt=now()))
