"""Who is asking: the signed-in staff member as the case-based program sees them.

Roles of the outreach area (granted by an admin on the kit's staff pages):
``referrer`` (submits referrals, sees nothing after), ``supporter`` (their own
pairings), ``coordinator`` (everything of the program, every read audited),
``viewer`` (reports with small numbers withheld, nobody named). Admins see
the audit of reads.
"""

from __future__ import annotations

from dataclasses import dataclass

from docbox_shared.problems import Forbidden, Unauthorized

REFERRER, SUPPORTER, COORDINATOR, VIEWER, ADMIN = "referrer", "supporter", "coordinator", "viewer", "admin"


@dataclass(frozen=True)
class Actor:
    email: str
    role: str            # the outreach role (referrer, supporter, coordinator, viewer) or admin
    is_admin: bool = False

    def require(self, *roles: str) -> None:
        if self.role not in roles and not (ADMIN in roles and self.is_admin):
            raise Forbidden("Your outreach role does not include this.")


def current_actor() -> Actor:
    """The signed-in staff member as an :class:`Actor` (401 when nobody is signed in)."""
    from ..access import current_staff
    staff = current_staff()
    if staff is None:
        raise Unauthorized("Sign in, or send a staff API token: Authorization: Bearer <token>.")
    return Actor(email=staff.email, role=staff.outreach_role or "",
                 is_admin=bool(getattr(staff, "admin", False) or getattr(staff, "role", None) == ADMIN))


def require_admin(page: bool = False) -> str:
    """The email of the calling admin (the group-sessions area's ``admin`` role, asked of the suite's
    sign-in); 401/403 otherwise. Admins see the audit of reads and nothing else of the program."""
    from flask import current_app

    from docbox_shared import staff as suite
    if current_app.config.get("STAFF_LOOKUP") is not None:   # tests name the caller
        actor = current_actor()
        actor.require(ADMIN)
        return actor.email
    member = (suite.page_staff if page else suite.current_staff)("sessions", ["admin"])
    return member.email
