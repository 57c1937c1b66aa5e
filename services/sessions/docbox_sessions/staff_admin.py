"""Staff administration: roles, switching accounts off and on, API tokens, invitation and reset links.

The operations the admin pages, the API and the CLI share. Words:

- *deactivate*: the person can no longer sign in; every browser is signed out
  (a new login stamp) and every API token revoked, at once. The account and
  what it did (attendance audit lines, facilitations) stay. *Reactivate*
  lets the person sign in again; revoked tokens stay revoked.
- a *staff link* is a capability link sent by email: an *invitation* (set a
  first password, or sign in by single sign-on) or a *reset* link (set a new
  password). 256 random bits, only the SHA-256 kept, single use, expiring,
  never logged; a newer link of the same kind voids the older ones.

Admins cannot demote or switch off the last active admin (nobody could undo
it without a shell), nor switch themselves off, nor leave an account with no
role in either area (switching it off is how access ends).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, String, func, select, update
from sqlalchemy.orm import Mapped, mapped_column, relationship

from docbox_shared.clock import now
from docbox_shared.inputs import mail_address
from docbox_shared.problems import Conflict, NotFound, ValidationProblem
from docbox_shared.staff import OUTREACH_ROLES
from docbox_shared.tokens import hash_token, new_token

from .auth import issue_token
from .models import ApiToken, Staff, UTCDateTime, db
from .staff_mail import send_staff_link

INVITE, RESET = "invite", "reset"
LINK_LIFETIME = {INVITE: timedelta(days=7), RESET: timedelta(hours=1)}
RESET_MAIL_GAP = timedelta(minutes=2)  # "forgot your password" pressed again soon sends no second mail


class StaffLink(db.Model):
    """An invitation or password-reset link; only the SHA-256 of its token is kept."""

    __tablename__ = "staff_links"
    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(10))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column("created_dt", UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column("expires_dt", UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column("used_dt", UTCDateTime)  # used, or voided by a newer link
    staff: Mapped[Staff] = relationship()


MAX_ID = 2**31 - 1  # larger ids in a URL exist nowhere (and overflow the database's integer)


def find_staff(staff_id: int) -> Staff:
    staff = db.session.get(Staff, staff_id) if 0 < staff_id <= MAX_ID else None
    if staff is None:
        raise NotFound(f"No staff member {staff_id}.")
    return staff


def add_staff(email: str, role: str | None, name: str = "", outreach_role: str | None = None) -> Staff:
    try:
        email = mail_address(email).lower()   # what the mail envelope can carry
    except ValueError as exc:
        raise ValidationProblem(str(exc), errors={"email": [str(exc)]}) from exc
    if db.session.scalar(select(Staff).where(Staff.email == email)):
        raise Conflict("A staff member with this email exists already.", errors={"email": ["Already taken."]})
    staff = Staff(email=email, role=role, name=name.strip(), outreach_role=outreach_role)
    db.session.add(staff)
    db.session.flush()
    return staff


def _other_active_admins(staff: Staff) -> int:
    """Active admins besides ``staff``, counted with every admin row locked (PostgreSQL; SQLite has one
    writer at a time) until the change commits: two admins demoting each other at once would otherwise
    each count the other and leave the suite with none. Locked in id order, so two such checks queue
    instead of deadlocking."""
    admins = db.session.scalars(select(Staff.id).where(Staff.role == "admin", Staff.active.is_(True))
                                .order_by(Staff.id).with_for_update())
    return sum(1 for admin_id in admins if admin_id != staff.id)


KEEP = object()   # set_roles: leave this role as it is


def set_roles(staff: Staff, role=KEEP, outreach_role=KEEP) -> None:
    """Set the group-sessions role, the outreach role or both; None takes one away (neither grants anything in
    the other area). Refused (nothing changed): the last active admin losing the admin role, and an account
    left with no role in either area (it could sign in and do nothing; switching it off ends access)."""
    role = staff.role if role is KEEP else role
    outreach_role = staff.outreach_role if outreach_role is KEEP else outreach_role
    if outreach_role is not None and outreach_role not in OUTREACH_ROLES:
        raise ValueError(f"unknown outreach role {outreach_role!r}")
    if staff.role == "admin" and role != "admin" and staff.active and not _other_active_admins(staff):
        raise Conflict(f"{staff.email} is the last active admin; make someone else admin first.",
                       errors={"role": ["The last active admin keeps the admin role."]})
    if role is None and outreach_role is None:
        cleared = "role" if staff.role is not None else "outreach_role"
        raise Conflict(f"{staff.email} would have no role in either area and could do nothing: give them "
                       "another role first, or switch the account off to end their access.",
                       errors={cleared: ["An account keeps a role in group sessions or in outreach."]})
    staff.role, staff.outreach_role = role, outreach_role


def deactivate(actor: Staff, staff: Staff) -> None:
    """Switch the account off: signed out everywhere, tokens and open links void, history kept."""
    if staff.id == actor.id:
        raise Conflict("You cannot switch off your own account; another admin can.")
    if staff.role == "admin" and staff.active and not _other_active_admins(staff):
        raise Conflict(f"{staff.email} is the last active admin.")
    staff.deactivate()
    moment = now()
    revoke_tokens(staff, moment)
    db.session.execute(update(StaffLink).where(StaffLink.staff_id == staff.id, StaffLink.used_at.is_(None))
                       .values(used_at=moment))


def revoke_tokens(staff: Staff, moment: datetime | None = None) -> None:
    """Every API token of ``staff`` still in use is revoked (at ``moment``, else now)."""
    db.session.execute(update(ApiToken).where(ApiToken.staff_id == staff.id, ApiToken.revoked_at.is_(None))
                       .values(revoked_at=moment or now()))


def reactivate(staff: Staff) -> None:
    """Sign-in allowed again. Links sent before the switch-off stay dead (the CLI's switch-off left them open)."""
    staff.active = True
    db.session.execute(update(StaffLink).where(StaffLink.staff_id == staff.id, StaffLink.used_at.is_(None))
                       .values(used_at=now()))


def tokens_of(staff: Staff) -> list[ApiToken]:
    return list(db.session.scalars(select(ApiToken).where(ApiToken.staff_id == staff.id)
                                   .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc(),
                                             ApiToken.id.desc())))


def create_token(staff: Staff, name: str) -> tuple[ApiToken, str]:
    """A new API token: the row and the token itself, which is shown once and never stored."""
    if not staff.active:
        raise Conflict(f"{staff.email} is switched off; reactivate the account first.")
    token = issue_token(staff)
    row = next(obj for obj in db.session.new if isinstance(obj, ApiToken) and obj.staff_id == staff.id)
    row.name, row.created_at = name.strip(), now()
    db.session.flush()
    return row, token


def revoke_token(staff: Staff, token_id: int) -> ApiToken:
    row = db.session.scalar(select(ApiToken).where(ApiToken.id == token_id, ApiToken.staff_id == staff.id)) \
        if 0 < token_id <= MAX_ID else None
    if row is None:
        raise NotFound(f"{staff.email} has no token {token_id}.")
    if row.revoked_at is None:
        row.revoked_at = now()
    return row


def issue_link(staff: Staff, purpose: str) -> str:
    """A new invitation or reset link token for ``staff`` (older ones of the kind are voided)."""
    if not staff.active:
        raise Conflict(f"{staff.email} is switched off; reactivate the account first.")
    moment = now()
    db.session.execute(update(StaffLink).where(StaffLink.staff_id == staff.id, StaffLink.purpose == purpose,
                                               StaffLink.used_at.is_(None)).values(used_at=moment))
    token = new_token()
    db.session.add(StaffLink(staff_id=staff.id, purpose=purpose, token_hash=hash_token(token), created_at=moment,
                             expires_at=moment + LINK_LIFETIME[purpose]))
    return token


def mail_link(staff: Staff, purpose: str) -> None:
    """Issues a new invitation or reset link and queues its mail, in the current transaction."""
    send_staff_link(staff, purpose, issue_link(staff, purpose), now() + LINK_LIFETIME[purpose])


def open_link(token: str) -> StaffLink | None:
    """The unused, unexpired link of an active staff member that ``token`` opens, else None."""
    if not token or len(token) > 100:
        return None
    link = db.session.scalar(select(StaffLink).where(StaffLink.token_hash == hash_token(token)))
    if link is None or link.used_at is not None or link.expires_at <= now() or not link.staff.active:
        return None
    return link


def use_link(link: StaffLink) -> None:
    link.used_at = now()


def recent_reset(staff: Staff) -> bool:
    """Whether a reset link went out moments ago (a second press of "send" sends nothing)."""
    return db.session.scalar(select(func.count()).select_from(StaffLink).where(
        StaffLink.staff_id == staff.id, StaffLink.purpose == RESET,
        StaffLink.created_at > now() - RESET_MAIL_GAP)) > 0


def active_staff_by_email(email: str) -> Staff | None:
    return db.session.scalar(select(Staff).where(Staff.email == email.strip().lower(), Staff.active.is_(True)))
