"""Who is calling, in any service: one staff sign-in, checked by the sessions service.

Staff accounts, passwords, single sign-on and the web sign-in live in the
sessions service. Every other service asks it ``GET /api/v1/me`` on each
request that needs a staff member, forwarding what the caller sent:

- an ``Authorization: Bearer <token>`` header (scripts, the JSON APIs), else
- the *suite sign-in cookie* (:data:`STAFF_COOKIE`, the sessions web
  session): all services share one host (behind nginx, or ports of one host
  under ``make run``), so the browser sends it to every service.

The answer is ``{"email", "role", "outreach_role"}``: a role per *area*
(:data:`AREAS`). Holding a role in one area grants nothing in another. Nothing
is cached (switching an account off in sessions stops it everywhere at once)
and no token or cookie is logged.

A cookie authorises reads, and changes only on a form whose CSRF token the
kit's page protection checked (Flask-WTF marks that in ``g.csrf_valid``):
a JSON API without CSRF tokens takes bearer tokens for changes.

Pages: :func:`page_staff` instead of :func:`current_staff`, and
:func:`sign_in_redirects` on the blueprint, send a browser that is not signed
in to the sessions sign-in page with ``next=`` pointing back here.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable
from urllib.parse import urlencode

import requests
from flask import Blueprint, Response, current_app, g, request

from .problems import Forbidden, Problem, Unauthorized
from .settings import Setting

log = logging.getLogger(__name__)

STAFF_COOKIE = "docbox_staff"  # the sessions service's page cookie: the one sign-in of the suite
AREAS = {"sessions": "role", "outreach": "outreach_role"}  # area -> the key of /api/v1/me naming its role
SESSIONS_ROLES = ("admin", "organizer", "facilitator", "viewer")
OUTREACH_ROLES = ("coordinator", "mentor", "supporter", "referrer", "viewer")
RETRY = {"Retry-After": "30"}  # seconds: sessions is usually back within a restart
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")

SETTINGS = [
    Setting("DOCBOX_SESSIONS_URL", "SESSIONS_URL", "http://127.0.0.1:5001",
            "Base URL of the sessions service as this service reaches it; asked `GET /api/v1/me` who a staff "
            "token or sign-in cookie belongs to."),
    Setting("DOCBOX_STAFF_LOGIN_URL", "STAFF_LOGIN_URL", "http://127.0.0.1:5001/login",
            "The staff sign-in page (sessions' `/login`) as browsers reach it; staff pages send people there.",
            public_url=True),
]


class DependencyUnavailable(Problem):
    status = 503
    type = "urn:docbox:problem:dependency-unavailable"
    title = "A service this request needs is unavailable"


class SignInRequired(Unauthorized):
    """A page needs a signed-in staff member: :func:`sign_in_redirects` sends the browser to sign in."""


@dataclasses.dataclass(frozen=True)
class StaffMember:
    email: str
    roles: dict[str, str | None]  # area -> role there (None: no role in that area)

    def role(self, area: str) -> str | None:
        return self.roles.get(area)

    def has(self, area: str, *roles: str) -> bool:
        """Whether this member holds one of ``roles`` (any role when none is named) in ``area``."""
        held = self.roles.get(area)
        return held is not None and (not roles or held in roles)


def _credentials() -> tuple[dict[str, str], bool]:
    """Headers to forward to sessions, and whether they hold the sign-in cookie (not a bearer token)."""
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("Send a staff API token: Authorization: Bearer <token>.")
        return {"Authorization": f"Bearer {token.strip()}"}, False
    cookie = request.cookies.get(STAFF_COOKIE)
    if not cookie:
        raise Unauthorized("Sign in as staff, or send a staff API token: Authorization: Bearer <token>.")
    return {"Cookie": f"{STAFF_COOKIE}={cookie}"}, True


def current_staff(area: str | None = None, roles: Iterable[str] | None = None) -> StaffMember:
    """The calling staff member; 401 (no or bad credentials), 403 (no such role here) or 503 problems.

    ``area`` and ``roles``: the caller must hold one of ``roles`` in ``area``
    (with no ``roles``, any role there). Without ``area`` any staff member passes.
    """
    if area is not None and area not in AREAS:
        raise ValueError(f"unknown area {area!r}")
    forwarded, by_cookie = _credentials()
    if by_cookie and request.method not in SAFE_METHODS and not g.get("csrf_valid", False):
        raise Unauthorized("A sign-in cookie works on Doc Box's pages only; a script sends a staff API token: "
                           "Authorization: Bearer <token>.")
    try:
        answer = requests.get(current_app.config["SESSIONS_URL"].rstrip("/") + "/api/v1/me",
                              headers={**forwarded, "X-Request-Id": g.get("request_id", ""),
                                       "Accept": "application/json"},
                              timeout=5, allow_redirects=False)
    except requests.RequestException:
        log.warning("sessions service unreachable while checking a staff sign-in")
        raise DependencyUnavailable("The sessions service cannot check who you are right now; retry later.",
                                    headers=RETRY, retry_after=30) from None
    if answer.status_code in (401, 403):
        raise Unauthorized("Your sign-in has ended; sign in again." if by_cookie else "This token is not valid.")
    if answer.status_code != 200:
        log.warning("sessions service answered %s while checking a staff sign-in", answer.status_code)
        raise DependencyUnavailable("The sessions service cannot check who you are right now; retry later.",
                                    headers=RETRY, retry_after=30)
    try:
        me = answer.json()
        member = StaffMember(email=str(me["email"]), roles={name: me.get(key) for name, key in AREAS.items()})
    except (ValueError, KeyError, TypeError, AttributeError):
        raise DependencyUnavailable("The sessions service gave an unreadable answer; retry later.",
                                    headers=RETRY, retry_after=30) from None
    wanted = tuple(roles or ())
    if area is not None and not member.has(area, *wanted):
        needed = " or ".join(wanted) if wanted else "a"
        raise Forbidden(f"This needs the {needed} role in {_AREA_NAMES[area]}.")
    return member


_AREA_NAMES = {"sessions": "group sessions", "outreach": "outreach"}


def page_staff(area: str | None = None, roles: Iterable[str] | None = None) -> StaffMember:
    """:func:`current_staff` for a page: not signed in (or signed out since) raises :class:`SignInRequired`."""
    try:
        return current_staff(area, roles)
    except SignInRequired:
        raise
    except Unauthorized as exc:
        raise SignInRequired(exc.detail) from None


def login_url(next_url: str | None = None) -> str:
    """The sessions sign-in page, coming back to ``next_url`` (this page, for a GET) afterwards."""
    if next_url is None:
        next_url = request.url if request.method in SAFE_METHODS else request.url_root
    return current_app.config["STAFF_LOGIN_URL"] + "?" + urlencode({"next": next_url})


def logout_url() -> str:
    """The sessions page that signs out of every service (``/logout`` beside ``DOCBOX_STAFF_LOGIN_URL``;
    opened, it asks first)."""
    return current_app.config["STAFF_LOGIN_URL"].rsplit("/", 1)[0] + "/logout"


def sign_in_redirects(bp: Blueprint) -> None:
    """Pages of ``bp`` that raise :class:`SignInRequired` send the browser to sign in, then back."""
    @bp.errorhandler(SignInRequired)
    def _sign_in(exc: SignInRequired):
        # A body naming no address: the page's own address (``next``) stays in the Location header alone.
        return Response("Sign in to continue.\n", 303, {"Location": login_url()}, mimetype="text/plain")
