"""Who is calling: staff bearer tokens, or the staff web login (:mod:`.web.login` sets ``g.staff``).

Roles of the group-sessions area: ``admin`` (staff, secrets, the outbox), ``organizer`` (plans, sees
exact counts), ``facilitator`` (records counts for the sessions it runs, and
sees those counts only: no statistics), ``viewer`` (department leadership:
suppressed statistics only), or none (``Staff.role`` None: someone who works in
outreach only, refused on every page and API here but ``GET /api/v1/me``).
The outreach area's role (``Staff.outreach_role``) is granted apart and grants nothing here.
A token is 256 random bits shown once; only its SHA-256 is stored.
"""

from __future__ import annotations

from datetime import timedelta

from flask import g, request
from sqlalchemy import select, update

from docbox_shared.clock import now
from docbox_shared.problems import Forbidden, Unauthorized
from docbox_shared.staff import SESSIONS_ROLES
from docbox_shared.tokens import hash_token, new_token

from .models import ApiToken, Staff, db

STAFF_ROLES = SESSIONS_ROLES
PLANNERS = ("admin", "organizer")
# Facilitators know their own sessions' exact counts: with the statistics release they could take
# those away from a published total and learn a colleague's withheld count, so they read no statistics.
STATS_READERS = ("admin", "organizer", "viewer")
STATS_REFUSAL = ("Facilitators do not see the statistics: you know your own sessions' counts, and with the "
                 "statistics those would give away other sessions' withheld counts. Your sessions' counts are "
                 "in My sessions.")
NO_ROLE_REFUSAL = "You have no role in group sessions; ask an admin if you need one."


def issue_token(staff: Staff) -> str:
    token = new_token("dbx_")
    db.session.add(ApiToken(staff_id=staff.id, token_hash=hash_token(token)))
    return token


def current_staff(cookie: bool = False) -> Staff:
    """The authenticated staff member; 401 without a valid bearer token.

    With ``cookie`` (``GET /api/v1/me`` only, a read), a request without an
    ``Authorization`` header may instead carry the web sign-in cookie, which
    other services forward to learn who signed in.
    """
    if "staff" in g:
        return g.staff
    header = request.headers.get("Authorization", "")
    if cookie and not header:
        from .web.login import signed_in_staff
        staff = signed_in_staff()
        if staff is None:
            raise Unauthorized("Sign in, or send a staff API token as 'Authorization: Bearer <token>'.")
        g.staff = staff
        return staff
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Send a staff API token as 'Authorization: Bearer <token>'.")
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token.strip()),
                                                   ApiToken.revoked_at.is_(None)))
    if row is None or not row.staff.active:
        raise Unauthorized("The API token is not valid.")
    _note_use(row)
    g.staff = row.staff
    return row.staff


def _note_use(row: ApiToken) -> None:
    """Keeps "last used" to the minute: at most one write a minute per token, committed at once."""
    moment = now()
    if row.last_used_at is None or moment - row.last_used_at >= timedelta(minutes=1):
        db.session.execute(update(ApiToken).where(ApiToken.id == row.id).values(last_used_at=moment))
        db.session.commit()


def require_role(*roles: str) -> Staff:
    staff = current_staff()
    if staff.role is None:
        raise Forbidden(NO_ROLE_REFUSAL)
    if staff.role not in roles:
        raise Forbidden(f"This needs the role {' or '.join(roles)}; you are {staff.role}.")
    return staff


def require_stats_reader() -> Staff:
    """Organizers and admins (exact numbers) and viewers (the release); a facilitator is refused (403)."""
    staff = current_staff()
    if staff.role is None:
        raise Forbidden(NO_ROLE_REFUSAL)
    if staff.role not in STATS_READERS:
        raise Forbidden(STATS_REFUSAL)
    return staff
