"""The admin health page: what Doc Box has not done yet, each with what to do about it.

Each service reports what it owns: here the sessions service's outbox (events
not yet delivered to calendar_sync and notifications) and its staff mail
(invitations, reset links that failed or bounced). The CalDAV backlog is on
calendar_sync's CalDAV targets page (linked from here; the same sign-in opens
it), reminder mail failures on notifications' ``GET /api/v1/deliveries``.
Counts and subscriber addresses only: never an event's content nor a recipient.
"""

from __future__ import annotations

from flask import current_app, render_template
from sqlalchemy import func, select

from ..auth import require_role
from ..models import db, outbox
from ..staff_mail import StaffMail


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "none waiting"
    minutes = int(seconds // 60)
    if minutes < 2:
        return "under 2 minutes"
    if minutes < 120:
        return f"{minutes} minutes"
    hours = minutes // 60
    return f"{hours} hours" if hours < 48 else f"{hours // 24} days"


def health():
    require_role("admin")
    events = outbox.status()
    mail = dict(db.session.execute(select(StaffMail.status, func.count()).group_by(StaffMail.status)).all())
    calendar_url = current_app.config["CALENDAR_SYNC_URL"].rstrip("/") + "/admin/targets"
    return render_template("sessions/admin_health.html", events=events, age=_age, mail=mail,
                           targets_url=calendar_url, notifications_url=current_app.config["NOTIFICATIONS_URL"])
