"""Mail to staff: invitation and password-reset links, queued in the sessions database.

:func:`send_staff_link` writes the whole message (one recipient, RFC 5322
bytes) into the ``staff_mail`` table in the caller's transaction, so a link
is mailed if and only if it was issued; it never talks to a mail server
itself, so a mail server that is down delays nothing here. The table has the
columns of the kit's stored-message mail queue (an idempotency ``key``, a
``message_id`` kept by every resend, ``status`` from ``pending``, ``due_at``,
leases, attempts, the body cleared once final), so the kit's delivery worker
drains it: the sessions relay process sends it in each of its passes
(:func:`send_pass`), through the SMTP server of ``DOCBOX_SMTP_*``. The key names
the link by its stored hash, never by the token.
"""

from __future__ import annotations

from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app

from docbox_shared.clock import now
from docbox_shared.mail import MailQueue, StoredMessageMixin
from docbox_shared.tokens import hash_token

from .models import Staff, db

SUBJECTS = {"invite": "You are invited to Doc Box", "reset": "Set a new Doc Box password"}
BODIES = {
    "invite": ("Hello,\n\nyou have been given a Doc Box staff account ({role}) for {email}.\n"
               "Open this link within 7 days to choose your password{sso}:\n\n{url}\n\n"
               "The link works once. If you did not expect this mail, ignore it.\n"),
    "reset": ("Hello,\n\nsomeone (hopefully you) asked to set a new Doc Box password for {email}.\n"
              "Open this link within an hour to choose it:\n\n{url}\n\n"
              "The link works once. If you did not ask, ignore this mail: your password stays as it is.\n"),
}


class StaffMail(StoredMessageMixin, db.Model):
    """One queued message to one staff member (the kit's stored-message queue)."""

    __tablename__ = "staff_mail"


def staff_mail_queue() -> MailQueue:
    return MailQueue(db, StaffMail, now=now)


def send_pass(stopped=lambda: False) -> bool:
    """Send the staff mail that is due (the relay process runs this in each of its passes)."""
    return any(staff_mail_queue().run_pass(should_stop=stopped).values())


def link_url(token: str) -> str:
    return f"{current_app.config['PUBLIC_URL'].rstrip('/')}/welcome/{token}"


def send_staff_link(staff: Staff, purpose: str, token: str, expires_at: datetime | None = None) -> None:
    """Queues the invitation or reset mail holding ``token``'s link, in the current transaction."""
    sso = " or to sign in with your institution's account" if current_app.config.get("OIDC_ISSUER") else ""
    message = EmailMessage()
    message["From"] = current_app.config.get("MAIL_FROM") or "Doc Box <docbox@localhost>"
    message["To"] = Address(staff.name, addr_spec=staff.email) if staff.name else staff.email
    message["Subject"] = SUBJECTS[purpose]
    key = f"staff-{purpose}:{hash_token(token)}"
    message["Message-ID"] = make_msgid(idstring=key[:40], domain="docbox")
    roles = [f"{staff.role} in group sessions"] if staff.role else []
    roles += [f"{staff.outreach_role} in outreach"] if staff.outreach_role else []
    message.set_content(BODIES[purpose].format(role=", ".join(roles) or "no role yet", email=staff.email, url=link_url(token), sso=sso))
    staff_mail_queue().enqueue(key=key, recipient=staff.email, message=message, expires_at=expires_at)
