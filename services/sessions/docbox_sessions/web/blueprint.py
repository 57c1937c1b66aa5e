"""The URL map of the staff pages, who may open them, and how errors read.

Every page needs a signed-in staff member (except the sign-in page); the
cookie's staff member becomes ``g.staff``, so :func:`..auth.require_role`
works for pages as for the API. Problems raised by operations render as an
HTML page with the same status instead of problem+json.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, g, redirect, request, url_for

from docbox_shared.pages import error_pages
from docbox_shared.problems import Forbidden, Unauthorized

from ..auth import PLANNERS, STATS_READERS
from ..models import db
from . import account, admin_staff, attendance, health, occurrences, planning, present, sso, statistics, welcome
from .login import signed_in_staff

bp = Blueprint("pages", __name__, template_folder="templates")
PUBLIC = {"pages.login", "pages.sso_start", "pages.sso_callback", "pages.forgot_password", "pages.staff_link"}
# What someone without a group-sessions role (outreach only) may open here: their start page, signing out.
NO_ROLE_PAGES = PUBLIC | {"pages.home", "pages.logout"}

rules = [
    ("/", account.home, ["GET"]),
    ("/login", account.login, ["GET", "POST"]),
    ("/logout", account.logout, ["GET", "POST"]),
    ("/login/sso", sso.sso_start, ["GET"]),
    ("/login/sso/callback", sso.sso_callback, ["GET"]),
    ("/login/forgot", welcome.forgot_password, ["GET", "POST"]),
    ("/welcome/<token>", welcome.staff_link, ["GET", "POST"]),
    ("/admin/health", health.health, ["GET"]),
    ("/admin/health/retry-refused", health.retry_refused, ["POST"]),
    ("/admin/staff", admin_staff.staff_list, ["GET"]),
    ("/admin/staff/invite", admin_staff.invite, ["GET", "POST"]),
    ("/admin/staff/<int:staff_id>", admin_staff.staff_detail, ["GET"]),
    ("/admin/staff/<int:staff_id>/role", admin_staff.change_role, ["POST"]),
    ("/admin/staff/<int:staff_id>/outreach-role", admin_staff.change_outreach_role, ["POST"]),
    ("/admin/staff/<int:staff_id>/deactivate", admin_staff.deactivate, ["GET", "POST"]),
    ("/admin/staff/<int:staff_id>/reactivate", admin_staff.reactivate, ["POST"]),
    ("/admin/staff/<int:staff_id>/reset", admin_staff.send_reset, ["POST"]),
    ("/admin/staff/<int:staff_id>/tokens", admin_staff.create_token, ["POST"]),
    ("/admin/staff/<int:staff_id>/tokens/<int:token_id>/revoke", admin_staff.revoke_token, ["POST"]),
    ("/upcoming", occurrences.upcoming, ["GET"]),
    ("/month", occurrences.month, ["GET"]),
    ("/occurrences.csv", occurrences.export_csv, ["GET"]),
    ("/occurrences.ics", occurrences.export_ical, ["GET"]),
    ("/occurrences/<occurrence_id>", occurrences.detail, ["GET"]),
    ("/occurrences/<occurrence_id>/move", occurrences.move, ["GET", "POST"]),
    ("/occurrences/<occurrence_id>/cancel", occurrences.cancel, ["GET", "POST"]),
    ("/occurrences/<occurrence_id>/restore", occurrences.restore, ["GET", "POST"]),
    ("/occurrences/<occurrence_id>/count", attendance.count, ["GET", "POST"]),
    ("/occurrences/<occurrence_id>/count/saved", attendance.saved, ["GET"]),
    ("/my", attendance.my_sessions, ["GET"]),
    ("/programs", planning.programs, ["GET"]),
    ("/programs/new", planning.program_new, ["GET", "POST"]),
    ("/programs/<program_id>/edit", planning.program_edit, ["GET", "POST"]),
    ("/sessions/new", planning.session_new, ["GET", "POST"]),
    ("/sessions/<session_id>/edit", planning.session_edit, ["GET", "POST"]),
    ("/sessions/<session_id>/delete", occurrences.delete_session, ["GET", "POST"]),
    ("/series", planning.series_list, ["GET"]),
    ("/series/new", planning.series_new, ["GET", "POST"]),
    ("/series/<series_id>", planning.series_detail, ["GET"]),
    ("/series/<series_id>/edit", planning.series_edit, ["GET", "POST"]),
    ("/series/<series_id>/end", planning.series_end, ["GET", "POST"]),
    ("/series/<series_id>/delete", planning.series_delete, ["GET", "POST"]),
    ("/stats", statistics.stats, ["GET"]),
    ("/stats.csv", statistics.stats_csv, ["GET"]),
]
for rule, view, methods in rules:
    bp.add_url_rule(rule, view_func=view, methods=methods)


@bp.before_request
def _sign_in_from_cookie():
    staff = signed_in_staff()
    if staff is not None:
        g.staff = staff
        if staff.role is None and request.endpoint not in NO_ROLE_PAGES:
            raise Forbidden("You have no role in group sessions, so its pages are closed to you. "
                            "Ask an admin if you need one.")
    elif request.endpoint not in PUBLIC:
        return redirect(url_for("pages.login", next=_local_path(request.full_path)))
    return None


@bp.after_request
def _no_store(response):
    # Pages show counts and plans to one signed-in person: keep them out of shared caches and history.
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


def _local_path(path: str) -> str | None:
    """``path`` when it is a path on this site, else None (no open redirect)."""
    path = (path or "").rstrip("?")
    parts = urlsplit(path)
    if not path.startswith("/") or path.startswith("//") or parts.scheme or parts.netloc or "\\" in path:
        return None
    return path


SUITE_URLS = ("PUBLIC_URL", "CALENDAR_SYNC_URL", "NOTIFICATIONS_URL", "OUTREACH_URL")


def _origin(url: str) -> tuple[str, str] | None:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password:
        return None
    return parts.scheme, f"{parts.hostname.lower()}:{port or (443 if parts.scheme == 'https' else 80)}"


def safe_next(url: str) -> str | None:
    """Where to go after signing in: a path here, or a page of a Doc Box service (the configured
    public URLs of the suite, the same scheme, host and port); anything else is None (no open redirect)."""
    url = (url or "").strip()
    if url.startswith("/"):
        return _local_path(url)
    if not url or len(url) > 2000 or "\\" in url or any(ord(c) < 33 for c in url):
        return None
    origin = _origin(url)
    if origin is None:
        return None
    config = current_app.config
    allowed = {_origin(config[key]) for key in SUITE_URLS if config.get(key)}
    allowed.add(_origin(request.host_url))  # this site itself, as the browser reached it
    return url if origin in allowed else None


@bp.app_context_processor
def _navigation():
    staff = g.get("staff")
    if request.blueprint != "pages":
        return {}
    if staff is None:
        return {"present": present}
    if staff.role is None:  # outreach only: nothing of group sessions, not even its menu
        return {"docbox_nav": [], "staff": staff, "present": present}
    links = []
    if staff.role in ("facilitator", *PLANNERS):
        links.append(("My sessions", "pages.my_sessions"))
    links += [("Upcoming", "pages.upcoming"), ("Month", "pages.month"), ("Programs", "pages.programs")]
    if staff.role in PLANNERS:
        links += [("Series", "pages.series_list")]
    if staff.role in STATS_READERS:
        links.append(("Statistics", "pages.stats"))
    if staff.role == "admin":
        links += [("Staff", "pages.staff_list"), ("Health", "pages.health")]
    nav = [(label, url_for(endpoint), request.endpoint == endpoint) for label, endpoint in links]
    if staff.role == "admin":  # calendar_sync's admin pages take the same sign-in
        nav.append(("CalDAV targets", current_app.config["CALENDAR_SYNC_URL"].rstrip("/") + "/admin/targets", False))
    if staff.outreach_role:  # the same sign-in opens outreach's pages
        nav.append(("Outreach", current_app.config["OUTREACH_URL"].rstrip("/") + "/", False))
    return {"docbox_nav": nav, "staff": staff, "present": present}


error_pages(bp, db, "sessions/layout.html", ("Go to the start page", "pages.home"), unexpected=True)


@bp.errorhandler(Unauthorized)
def _unauthorized(exc):
    return redirect(url_for("pages.login", next=_local_path(request.full_path)))
