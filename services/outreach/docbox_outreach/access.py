"""Who is asking: the suite's one staff sign-in, and the outreach roles.

Staff accounts live in the sessions service; a person signed in on the staff
pages (or holding a staff API token) reaches these pages without a second
password. Their *outreach role* (``coordinator``, ``mentor``, ``supporter``,
``referrer``, ``viewer``, or none) is granted by an admin there; a sessions
role (organizer, admin ...) gives no access to outreach data.

:func:`current_staff` is the one place that asks. It forwards the bearer
token or the suite's sign-in cookie to sessions' ``GET /api/v1/me`` and keeps
nothing of either. Tests (and the kit's shared sign-in, once merged) replace
the lookup through ``app.config["STAFF_LOOKUP"]``: a callable taking the
request and returning a :class:`Staff` or None.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass

import requests
from flask import current_app, g, redirect, request

from docbox_shared.problems import Forbidden, Problem, Unauthorized

log = logging.getLogger(__name__)
ROLES = ("coordinator", "mentor", "supporter", "referrer", "viewer")
SIGN_IN_COOKIE = "docbox_staff"  # the sessions service's page cookie: the suite's sign-in


@dataclass(frozen=True)
class Staff:
    email: str
    name: str
    outreach_role: str | None

    def can(self, *roles: str) -> bool:
        return self.outreach_role in roles


class DependencyUnavailable(Problem):
    status = 503
    type = "urn:docbox:problem:dependency-unavailable"
    title = "A service this request needs is unavailable"


def _ask_sessions(req) -> Staff | None:
    headers = {"Accept": "application/json", "X-Request-Id": g.get("request_id", "")}
    cookies = {}
    if req.headers.get("Authorization", "").startswith("Bearer "):
        headers["Authorization"] = req.headers["Authorization"]
    elif req.cookies.get(SIGN_IN_COOKIE):
        cookies[SIGN_IN_COOKIE] = req.cookies[SIGN_IN_COOKIE]
    else:
        return None
    try:
        answer = requests.get(current_app.config["SESSIONS_URL"].rstrip("/") + "/api/v1/me", headers=headers,
                              cookies=cookies, timeout=5)
    except requests.RequestException:
        log.warning("sessions service unreachable while checking a staff sign-in")
        raise DependencyUnavailable("Sign-in cannot be checked right now; try again in a minute.",
                                    headers={"Retry-After": "30"}) from None
    if answer.status_code in (401, 403):
        return None
    try:
        me = answer.json() if answer.status_code == 200 else None
        role = me.get("outreach_role")
        return Staff(email=str(me["email"]).lower(), name=str(me.get("name") or ""),
                     outreach_role=role if role in ROLES else None)
    except (ValueError, KeyError, TypeError, AttributeError):
        log.warning("sessions service answered %s while checking a staff sign-in", answer.status_code)
        raise DependencyUnavailable("Sign-in cannot be checked right now; try again in a minute.") from None


def current_staff() -> Staff | None:
    """The signed-in staff member (once per request), or None."""
    if "outreach_staff" not in g:
        lookup = current_app.config.get("STAFF_LOOKUP") or _ask_sessions
        g.outreach_staff = lookup(request)
    return g.outreach_staff


def sign_in_url() -> str:
    return current_app.config["SESSIONS_URL"].rstrip("/") + "/login"


def require(*roles: str, page: bool = True):
    """A view for staff holding one of the outreach ``roles``.

    Pages send a visitor who is not signed in to the suite's sign-in page;
    the API answers 401. Anyone signed in without the role gets 403.
    """
    def decorate(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            staff = current_staff()
            if staff is None:
                if page:
                    return redirect(sign_in_url())
                raise Unauthorized("Sign in, or send a staff API token: Authorization: Bearer <token>.")
            if not staff.can(*roles):
                raise Forbidden("Your account has no outreach role for this page: ask an admin.")
            return view(*args, **kwargs)
        return wrapper
    return decorate
