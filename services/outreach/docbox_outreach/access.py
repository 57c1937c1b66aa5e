"""Who is asking: the suite's one staff sign-in (:mod:`docbox_shared.staff`) and the outreach roles.

Staff accounts live in the sessions service; a person signed in on the staff
pages (the suite sign-in cookie) or holding a staff API token reaches these
pages without a second password. Their *outreach role* (``coordinator``,
``mentor``, ``supporter``, ``referrer``, ``viewer``, or none) is granted by an
admin there; a role in the group-sessions area (organizer, admin ...) gives
no access to outreach data.

:func:`require` guards a view: pages send a browser that is not signed in to
the suite's sign-in page and back (:func:`docbox_shared.staff.sign_in_redirects`
on every page blueprint, :func:`docbox_outreach.web.error_pages` does it), the API answers
401; a signed-in person without the role gets 403. Tests may replace the
question to sessions with ``app.config["STAFF_LOOKUP"]``: a callable taking
the request and returning a :class:`Staff` or None (tests/support/outreach.py).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from flask import current_app, g, request

from docbox_shared import staff as suite
from docbox_shared.problems import Forbidden, Unauthorized

ROLES = suite.OUTREACH_ROLES


@dataclass(frozen=True)
class Staff:
    email: str
    name: str
    outreach_role: str | None
    sessions_role: str | None = None  # their role in group sessions, for the menu's link there

    def can(self, *roles: str) -> bool:
        return self.outreach_role in roles


def _ask() -> Staff | None:
    lookup = current_app.config.get("STAFF_LOOKUP")
    if lookup is not None:
        return lookup(request)
    try:
        member = suite.current_staff()
    except Unauthorized:
        return None
    role = member.role("outreach")
    return Staff(email=member.email.lower(), name="", outreach_role=role if role in ROLES else None,
                 sessions_role=member.role("sessions"))


def current_staff() -> Staff | None:
    """The signed-in staff member (asked once per request), or None; 503 when sessions cannot say."""
    if "outreach_staff" not in g:
        g.outreach_staff = _ask()
    return g.outreach_staff


def require(*roles: str, page: bool = True):
    """A view for staff holding one of the outreach ``roles`` (see the module docstring)."""
    def decorate(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            staff = current_staff()
            if staff is None:
                if page:
                    raise suite.SignInRequired("Sign in with your staff account.")
                raise Unauthorized("Sign in, or send a staff API token: Authorization: Bearer <token>.")
            if not staff.can(*roles):
                raise Forbidden("Your account has no outreach role for this page: ask an admin.")
            return view(*args, **kwargs)
        return wrapper
    return decorate
