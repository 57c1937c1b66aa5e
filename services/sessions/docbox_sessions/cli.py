"""Flask commands: ``flask --app docbox_sessions <command>``.

- ``staff add EMAIL --role ROLE [--outreach-role ROLE]``
                                    adds a staff member; the API token is the last line printed.
                                    ``--role none``: outreach only, no access to group sessions.
- ``staff set-role EMAIL [--role ROLE] [--outreach-role ROLE]``
                                    changes a role (``none`` takes it away).
- ``staff token EMAIL``             issues another token for a staff member.
- ``staff revoke-tokens EMAIL``     revokes every token of a staff member.
- ``staff set-password EMAIL``      sets the web login password (prompted twice, hidden; or --password-stdin).
- ``staff deactivate EMAIL``        ends access: no sign-in, browsers signed out, tokens revoked.
- ``relay``                         delivers outbox events until stopped.
- ``outbox republish URL``          queues the newest event of every entry for a new subscriber.
- ``outbox retry-parked [URL]``      delivers again the events a subscriber refused as invalid.
- ``seed-demo``                     demo program, series, session and staff on an empty database.
- ``stats release``                 releases the months that are due (the relay does it too, each pass).
"""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select

from docbox_shared.problems import Conflict
from docbox_shared.staff import OUTREACH_ROLES

from . import operations, staff_admin
from .auth import STAFF_ROLES, issue_token
from .models import Staff, db, outbox
from .seed import seed_demo


def register(app: Flask) -> None:
    app.cli.add_command(staff)  # `relay` and `outbox retry-parked` come with the kit's outbox (outbox.init_app)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(stats_group)


NONE = "none"  # the command line's word for "no role in this area"
staff = AppGroup("staff", help="Staff accounts and API tokens.")


def _staff(email: str) -> Staff:
    member = db.session.scalar(select(Staff).where(Staff.email == email.lower()))
    if member is None:
        raise click.ClickException(f"no staff member {email}")
    return member


@staff.command("add")
@click.argument("email")
@click.option("--role", type=click.Choice((*STAFF_ROLES, NONE)), required=True,
              help="Role in group sessions; 'none' for someone who works in outreach only.")
@click.option("--outreach-role", type=click.Choice((*OUTREACH_ROLES, NONE)), default=NONE, show_default=True)
@click.option("--name", default="")
def staff_add(email: str, role: str, outreach_role: str, name: str):
    """Add a staff member and print a new API token (shown once) as the last line."""
    if db.session.scalar(select(Staff).where(Staff.email == email.lower())):
        raise click.ClickException(f"{email} exists already; use 'staff token' for a new token")
    if role == NONE and outreach_role == NONE:
        raise click.ClickException("give a role in group sessions (--role), in outreach (--outreach-role), or both")
    member = Staff(email=email.lower(), role=_role(role), outreach_role=_role(outreach_role), name=name)
    db.session.add(member)
    db.session.flush()
    token = issue_token(member)
    db.session.commit()
    click.echo(f"Added {member.email} ({_roles(member)}). API token (shown once, stored hashed):")
    click.echo(token)


def _role(value: str) -> str | None:
    return None if value == NONE else value


def _roles(member: Staff) -> str:
    return f"group sessions: {member.role or NONE}, outreach: {member.outreach_role or NONE}"


@staff.command("set-role")
@click.argument("email")
@click.option("--role", type=click.Choice((*STAFF_ROLES, NONE)), help="Role in group sessions; 'none' takes it away.")
@click.option("--outreach-role", type=click.Choice((*OUTREACH_ROLES, NONE)), help="Role in outreach; 'none' takes it away.")
def staff_set_role(email: str, role: str | None, outreach_role: str | None):
    """Change a staff member's role in group sessions and/or in outreach."""
    member = _staff(email)
    try:
        staff_admin.set_roles(member, **{k: _role(v) for k, v in (("role", role), ("outreach_role", outreach_role))
                                         if v is not None})
    except Conflict as exc:
        db.session.rollback()
        raise click.ClickException(exc.detail) from None
    db.session.commit()
    click.echo(f"{member.email}: {_roles(member)}.")


@staff.command("token")
@click.argument("email")
def staff_token(email: str):
    """Issue another API token for a staff member (last line)."""
    token = issue_token(_staff(email))
    db.session.commit()
    click.echo(token)


@staff.command("revoke-tokens")
@click.argument("email")
def staff_revoke(email: str):
    """Revoke every API token of a staff member."""
    member = _staff(email)
    staff_admin.revoke_tokens(member)
    db.session.commit()
    click.echo(f"Revoked the tokens of {member.email}.")


@staff.command("deactivate")
@click.argument("email")
def staff_deactivate(email: str):
    """End a staff member's access: no sign-in, every browser signed out, every API token revoked."""
    member = _staff(email)
    member.deactivate()
    staff_admin.revoke_tokens(member)
    db.session.commit()
    click.echo(f"Deactivated {member.email}: signed out everywhere, API tokens revoked.")


@staff.command("set-password")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
def staff_set_password(email: str, password_stdin: bool):
    """Set the password a staff member signs in to the web pages with (signs out their other browsers)."""
    from .web.passwords import hash_password, password_problem
    member = _staff(email)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("New password", hide_input=True, confirmation_prompt="Repeat the password")
    problem = password_problem(password)
    if problem:
        raise click.ClickException(problem)
    member.set_password_hash(hash_password(password))
    db.session.commit()
    click.echo(f"Password set for {member.email}.")


@outbox.cli.command("republish")
@click.argument("subscriber")
def outbox_republish(subscriber: str):
    """Queue the newest event of every entry for SUBSCRIBER (a consumer added later)."""
    count = operations.republish_all(subscriber)
    db.session.commit()
    click.echo(f"queued {count} events for {subscriber}")


@click.command("seed-demo", help="Demo data on an empty database; prints the demo staff passwords and tokens.")
@with_appcontext
def seed_demo_command():
    tokens = seed_demo()
    if tokens is None:
        click.echo("Demo data exists already; nothing seeded.")
        return
    click.echo(f"{'role':<12} {'email (web login)':<28} {'password':<14} API token")
    for email, (role, token, password) in tokens.items():
        click.echo(f"{role:<12} {email:<28} {password:<14} {token}")


stats_group = AppGroup("stats", help="The statistics release.")


@stats_group.command("release")
def stats_release():
    """Release every month that is due (the relay does it in each pass; this is for a deployment without one)."""
    from flask import current_app

    from .release import release_due
    through = release_due(current_app.config["MIN_CELL"], current_app.config["STATS_GRACE_DAYS"])
    click.echo(f"Released through {through:%Y-%m}." if through else "Nothing released yet.")
