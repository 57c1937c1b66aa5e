"""Admin pages for staff accounts: list, invite, change role (group sessions, outreach), switch off and on,
reset link, API tokens.

Thin views over :mod:`..staff_admin`, which the API and CLI share. A new
API token is shown once, on the page the creating form answers with (never
in a redirect, a flash message or a log). Every change is a POST with its
CSRF token; a refused change (the last admin, your own account) is shown as
a message on the member's page, nothing changed.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select

from docbox_shared import recurrence
from docbox_shared.pages import FormState
from docbox_shared.problems import Conflict, ValidationProblem

from .. import staff_admin
from ..auth import STAFF_ROLES, require_role
from ..models import Staff, db
from . import present
from .forms import Reader
from .sso import password_login_enabled

ROLE_OPTIONS = [("admin", "Admin: staff, secrets, everything organizers do"),
                ("organizer", "Organizer: plans sessions, sees exact attendance"),
                ("facilitator", "Facilitator: records counts for the sessions they run"),
                ("viewer", "Viewer: statistics with small numbers withheld"),
                ("none", "None: no access to group sessions (someone who works in outreach only)")]
NO_ROLE = NO_OUTREACH = "none"  # the forms' value for "no role in group sessions" / "in outreach"
OUTREACH_OPTIONS = [(NO_OUTREACH, "None: no access to outreach"),
                    ("coordinator", "Coordinator: runs rounds, referrals, matching and reports"),
                    ("mentor", "Mentor: reaches out to the faculty assigned to them"),
                    ("supporter", "Supporter: reaches out after a referral"),
                    ("referrer", "Referrer: refers a physician, learns nothing afterwards"),
                    ("viewer", "Viewer: outreach statistics with small numbers withheld")]


def _moment(value) -> str:
    if value is None:
        return "Never"
    local = value.astimezone(recurrence.zone(present.home_zone()))
    return f"{present.short_day(local)}, {local:%H:%M}"


def staff_list():
    require_role("admin")
    members = db.session.scalars(select(Staff).order_by(Staff.active.desc(), Staff.email)).all()
    return render_template("sessions/admin_staff_list.html", members=members, moment=_moment)


def invite():
    require_role("admin")
    defaults = {"role": "facilitator", "outreach_role": NO_OUTREACH}
    form = FormState.from_request(request.form, defaults) if request.method == "POST" else FormState(defaults)
    status = 200
    if request.method == "POST":
        reader = Reader(form)
        email = reader.text("email", required=True, max_length=254, what="their email address")
        name = reader.text("name", max_length=200) or ""
        role, outreach_role = form.get("role"), form.get("outreach_role")
        if email and ("@" not in email or " " in email):
            form.add("email", "Enter an email address like name@hospital.org.")
        if role not in (*STAFF_ROLES, NO_ROLE):
            form.add("role", "Choose a role.")
        if outreach_role not in {value for value, _ in OUTREACH_OPTIONS}:
            form.add("outreach_role", "Choose an outreach role, or none.")
        elif role == NO_ROLE and outreach_role == NO_OUTREACH:
            form.add("role", "Give a role in group sessions, in outreach, or both: with neither they could do nothing.")
        if not form.has_errors:
            try:
                member = staff_admin.add_staff(email, None if role == NO_ROLE else role, name,
                                               None if outreach_role == NO_OUTREACH else outreach_role)
            except Conflict:
                form.add("email", "A staff member with this email exists already.")
            except ValidationProblem as exc:
                form.add("email", exc.errors["email"][0])
            else:
                staff_admin.mail_link(member, staff_admin.INVITE)
                db.session.commit()
                flash(f"Invitation sent to {member.email}. The link works once, within 7 days.", "success")
                return redirect(url_for("pages.staff_detail", staff_id=member.id))
        status = 422
    return render_template("sessions/admin_staff_invite.html", form=form, roles=ROLE_OPTIONS,
                           outreach_roles=OUTREACH_OPTIONS), status


def staff_detail(staff_id: int, new_token: str | None = None, problem: str | None = None, status: int = 200):
    require_role("admin")
    member = staff_admin.find_staff(staff_id)
    return render_template("sessions/admin_staff_detail.html", member=member, tokens=staff_admin.tokens_of(member),
                           moment=_moment, roles=ROLE_OPTIONS, new_token=new_token, problem=problem,
                           passwords=password_login_enabled(), outreach_roles=OUTREACH_OPTIONS,
                           form=FormState({"role": member.role or NO_ROLE, "outreach_role": member.outreach_role or NO_OUTREACH})), \
        status


def _change(staff_id: int, change, done: str):
    """Runs ``change(actor, member)``; a refusal is shown on the member's page, nothing changed."""
    actor = require_role("admin")
    member = staff_admin.find_staff(staff_id)
    try:
        message = change(actor, member) or done.format(email=member.email)
    except Conflict as exc:
        db.session.rollback()
        return staff_detail(staff_id, problem=exc.detail, status=409)
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("pages.staff_detail", staff_id=staff_id))


def change_role(staff_id: int):
    role = request.form.get("role", "")
    if role not in (*STAFF_ROLES, NO_ROLE):
        require_role("admin")
        return staff_detail(staff_id, problem="Choose one of the roles, or none.", status=422)
    chosen = None if role == NO_ROLE else role
    return _change(staff_id, lambda actor, member: staff_admin.set_roles(member, role=chosen),
                   f"{{email}} is now {role}." if chosen else "{email} has no role in group sessions now.")


def change_outreach_role(staff_id: int):
    role = request.form.get("outreach_role", "")
    if role not in {value for value, _ in OUTREACH_OPTIONS}:
        require_role("admin")
        return staff_detail(staff_id, problem="Choose one of the outreach roles, or none.", status=422)
    chosen = None if role == NO_OUTREACH else role
    return _change(staff_id, lambda actor, member: staff_admin.set_roles(member, outreach_role=chosen),
                   f"{{email}} now has the outreach role {role}." if chosen else "{email} has no outreach role now.")


def deactivate(staff_id: int):
    if request.method == "GET":  # asks first: the member's browsers and API tokens cannot be given back
        require_role("admin")
        member = staff_admin.find_staff(staff_id)
        live = [t for t in staff_admin.tokens_of(member) if t.revoked_at is None]
        return render_template("sessions/admin_staff_switch_off.html", member=member, live_tokens=len(live))
    return _change(staff_id, staff_admin.deactivate,
                   "{email} is switched off: signed out everywhere, API tokens revoked. Their records stay.")


def reactivate(staff_id: int):
    return _change(staff_id, lambda actor, member: staff_admin.reactivate(member),
                   "{email} can sign in again. Old API tokens stay revoked; create new ones if needed.")


def send_reset(staff_id: int):
    def send(actor, member):
        staff_admin.mail_link(member, staff_admin.RESET)
    return _change(staff_id, send, "A link to choose a new password is on its way to {email}. It works once, "
                                   "within an hour.")


def create_token(staff_id: int):
    require_role("admin")
    member = staff_admin.find_staff(staff_id)
    name = request.form.get("name", "").strip()
    if not name or len(name) > 100:
        return staff_detail(staff_id, problem="Name the token (at most 100 characters), e.g. \"nightly export\".",
                            status=422)
    try:
        _, token = staff_admin.create_token(member, name)
    except Conflict as exc:
        db.session.rollback()
        return staff_detail(staff_id, problem=exc.detail, status=409)
    db.session.commit()
    return staff_detail(staff_id, new_token=token, status=201)


def revoke_token(staff_id: int, token_id: int):
    return _change(staff_id, lambda actor, member: staff_admin.revoke_token(member, token_id) and None,
                   "Token revoked: scripts using it are refused from now on.")
