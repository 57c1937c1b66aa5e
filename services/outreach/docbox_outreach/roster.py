"""The roster held in the database: importing a coordinator's file, adding, changing, marking as left.

The rules of a file are :mod:`.domain.roster`'s: all or nothing, every bad
line named, nobody marked as left by an import, the same file twice changes
nothing. Here they meet the table: :func:`import_roster` applies a clean
file in one transaction; :func:`save_member` checks one member as the
import checks a line (plus: the person they report to must be on the
roster, and the line must not loop back to them). Errors come back as a
:class:`~docbox_shared.problems.ValidationProblem` whose ``errors`` name the
field (or the file's lines), so the API and the pages show the same words.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select

from docbox_shared import clock
from docbox_shared.inputs import MAX_ID, line_errors
from docbox_shared.problems import Conflict, NotFound, ValidationProblem

from .domain import roster as rules
from .models import Member, db


def all_members() -> list[Member]:
    return list(db.session.scalars(select(Member).order_by(Member.name, Member.email)))


def get_member(member_id: int) -> Member:
    member = db.session.get(Member, member_id) if 1 <= member_id <= MAX_ID else None  # beyond a column: nobody
    if member is None:
        raise NotFound("No member of the roster has this id.")
    return member


def _held(members: list[Member]) -> list[rules.Member]:
    return [rules.Member(email=m.email, name=m.name, division=m.division, reports_to=m.reports_to,
                         leadership=m.leadership, active=m.active) for m in members]


def file_problems(error: rules.RosterInvalid) -> dict[str, list[str]]:
    """A refused file's problems by line, as a problem's ``errors`` (``"line 3": [...]``)."""
    errors: dict[str, list[str]] = {}
    for problem in error.problems:
        errors.setdefault(f"line {problem.line}", []).append(problem.reason)
    return errors


def import_roster(data: bytes) -> rules.RosterChanges:
    """Apply a roster file (added, changed and returning members); nothing at all if a line is bad."""
    try:
        rows = rules.read_roster(data)
    except rules.RosterInvalid as error:
        raise ValidationProblem(f"Nothing was imported: {len(error.problems)} problem(s) in the file.",
                                errors=file_problems(error)) from None
    members = all_members()
    changes = rules.compare(rows, _held(members))
    by_email = {m.email: m for m in members}
    for row in (*changes.added, *changes.returning, *(c.row for c in changes.changed)):
        member = by_email.get(row.email) or Member(email=row.email)
        member.name, member.division, member.reports_to = row.name, row.division, row.reports_to
        member.leadership, member.active, member.left_at = row.leadership, True, None
        db.session.add(member)
    db.session.commit()
    return changes


FIELDS = ("name", "email", "division", "reports_to", "leadership")


def save_member(values: Mapping, member: Member | None = None) -> Member:
    """Add a member (``member`` None) or change one; the values of the form or the JSON body.

    ``leadership`` is a bool; the strings are stripped. A missing key keeps the member's
    value when changing.
    """
    errors: dict[str, list[str]] = {}

    def text(field: str, limit: int, required: bool = True) -> str | None:
        value = values.get(field, getattr(member, field, None) if member else None)
        value = " ".join(str(value).split()) if value is not None else ""
        problems = line_errors(value, limit)
        if required and not value:
            problems = ["is required"]
        if problems:
            errors[field] = problems
        return value or None

    name = text("name", rules.MAX_NAME)
    division = text("division", rules.MAX_DIVISION)
    email = text("email", 320)
    reports_to = text("reports_to", 320, required=False)
    for field, value in (("email", email), ("reports_to", reports_to)):
        if value and field not in errors:
            try:
                value = rules.email_address(value)
            except ValueError as exc:
                errors[field] = [f"is not an email address ({exc})"]
            if field == "email":
                email = value
            else:
                reports_to = value
    leadership = values.get("leadership", member.leadership if member else False)
    if not isinstance(leadership, bool):
        errors["leadership"] = ["must be true or false"]
    if email and "email" not in errors:
        other = db.session.scalar(select(Member).where(Member.email == email))
        if other is not None and other is not member:
            errors["email"] = ["another member has this work email"]
    if reports_to and "reports_to" not in errors:
        errors.update(_line_errors(member, email, reports_to))
    if errors:
        raise ValidationProblem("The member was not saved: some fields are not valid.", errors=errors)
    if member is None:
        member = Member(active=True)
        db.session.add(member)
    old_email = member.email
    member.name, member.division, member.email = name, division, email
    member.reports_to, member.leadership = reports_to, leadership
    if old_email and old_email != email:  # keep everyone's line pointing at them
        for report in db.session.scalars(select(Member).where(Member.reports_to == old_email)):
            report.reports_to = email
    db.session.commit()
    return member


def _line_errors(member: Member | None, email: str, reports_to: str) -> dict[str, list[str]]:
    if reports_to == email:
        return {"reports_to": ["a member cannot report to themself"]}
    boss_of = dict(db.session.execute(select(Member.email, Member.reports_to)).all())
    if reports_to not in boss_of:
        return {"reports_to": ["nobody on the roster has this work email"]}
    if member is not None and member.email:
        boss_of.pop(member.email, None)
        boss_of[email] = reports_to
    seen, person = {email}, reports_to
    while person is not None:
        if person in seen or (member is not None and person == member.email):
            return {"reports_to": ["this would make a reporting cycle"]}
        seen.add(person)
        person = boss_of.get(person)
    return {}


def set_active(member: Member, active: bool) -> None:
    """Mark a member as left (they get no mentor and mentor nobody from the next round; the roster forgets
    them ``LEAVER_RETENTION_DAYS`` later, see :mod:`.retention`) or back."""
    if member.active == active:
        raise Conflict("The member is already " + ("active." if active else "marked as left."))
    member.active, member.left_at = active, None if active else clock.now()
    db.session.commit()
