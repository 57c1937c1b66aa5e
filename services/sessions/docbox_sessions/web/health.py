"""The admin health page: what Doc Box has not done yet, each with what to do about it.

Each service reports what it owns: here the sessions service's outbox (events
not yet delivered to calendar_sync and notifications) and its staff mail
(invitations, reset links that failed or bounced). Reminder mail (failed,
bounced, waiting for a retry, due and unsent) is asked of notifications, signed,
numbers only (:data:`docbox_shared.counts.MAIL_PATH`); when it does not answer
in time that part says "unavailable" and the page still renders. The CalDAV
backlog is on calendar_sync's CalDAV targets page (linked from here; the same
sign-in opens it). Counts and subscriber addresses only: never an event's
content nor a recipient.
"""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for
from sqlalchemy import func, select

from docbox_shared.counts import MAIL_PATH, fetch_counts

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
    config = current_app.config
    reminders = fetch_counts(config.get("NOTIFICATIONS_INTERNAL_URL", ""), config["EVENT_SECRETS"][0], path=MAIL_PATH)
    calendar_url = config["CALENDAR_SYNC_URL"].rstrip("/") + "/admin/targets"
    return render_template("sessions/admin_health.html", events=events, age=_age, mail=mail, reminders=reminders,
                           targets_url=calendar_url, notifications_url=config["NOTIFICATIONS_URL"],
                           outreach_url=config["OUTREACH_URL"].rstrip("/") + "/")


def retry_refused():
    """Send again the events a service refused as invalid (after it was upgraded): ``outbox retry-parked``."""
    require_role("admin")
    count = outbox.retry_parked()
    db.session.commit()
    flash(f"{count} refused event{'' if count == 1 else 's'} will be sent again by the relay's next pass."
          if count else "No refused events to send again.", "success" if count else "info")
    return redirect(url_for("pages.health"), 303)
