"""Admin pages of calendar_sync: the CalDAV calendars Doc Box pushes to.

Staff sign in once, on the sessions service; the browser sends that sign-in
cookie here too and :mod:`docbox_shared.staff` asks sessions who it is, on
every request (a switched-off account is refused at once). Only admins of the
group-sessions area open these pages; anyone else gets a 403 page, a browser
that is not signed in is sent to the sign-in page and comes back here.
"""

from __future__ import annotations

from flask import Blueprint, g, render_template, request, url_for
from sqlalchemy import select

from docbox_shared.pages import error_pages
from docbox_shared.staff import page_staff, sign_in_redirects

from .. import operations
from ..models import CaldavTarget, db

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")
PRIVATE_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "same-origin", "X-Robots-Tag": "noindex",
                   "X-Frame-Options": "DENY"}


@bp.before_request
def _admins_only():
    g.staff = page_staff("sessions", ["admin"])


@bp.after_request
def _private(response):
    for name, value in PRIVATE_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


@bp.context_processor
def _nav():
    endpoint = request.endpoint or ""
    return {"docbox_home_url": url_for("admin.targets"), "staff": g.get("staff"), "docbox_nav": [
        ("CalDAV targets", url_for("admin.targets"), endpoint.startswith("admin.target")),
    ]}


@bp.get("/targets")
def targets():
    rows = db.session.scalars(select(CaldavTarget).order_by(CaldavTarget.created_at)).all()
    return render_template("calendar_sync/admin/targets.html",
                           targets=[(t, operations.target_status(t)) for t in rows])


sign_in_redirects(bp)
error_pages(bp, db, "calendar_sync/layout.html", ("See the CalDAV targets", "admin.targets"), headers=PRIVATE_HEADERS)
