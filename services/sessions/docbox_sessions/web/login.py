"""Signing staff in and out of the web pages, with rate limiting.

A *failed attempt* is recorded twice, once under the account's key and once
under the client address's key (see :mod:`.models`). An account with too many
failures in the window is locked until the window passes (password guessing
against one person). An address with too many failures is only *slowed*: each
further attempt from it must wait a few seconds after the last failure
(doubling, at most ``LOGIN_ADDRESS_MAX_DELAY`` seconds, told in
``Retry-After``), because a whole hospital may sign in from one address and
one person's mistakes, or one attacker's guesses, must not lock every
colleague out. Refused attempts are checked before the password and add
nothing. Limits live in the database so they hold across gunicorn workers.
The signed session cookie holds the staff id and the staff member's *login
stamp*, a random value stored with the account and replaced on a new password
or deactivation, so either signs out every browser; a leaked signing key alone
cannot forge anyone's cookie.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from datetime import timedelta

from flask import current_app, session
from sqlalchemy import delete, func, select

from docbox_shared.clock import now
from docbox_shared.problems import TooManyRequests, Unauthorized

from ..models import Staff, db
from .models import LoginAttempt
from .passwords import hash_password, needs_rehash, verify_password


class LoginRefused(Unauthorized):
    title = "Email or password is not right"


def _key(kind: str, value: str) -> str:
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, f"login-attempt:{kind}:{value}".encode(), hashlib.sha256).hexdigest()


def _window() -> timedelta:
    return timedelta(minutes=current_app.config["LOGIN_WINDOW_MINUTES"])


def _failures(key: str) -> int:
    return db.session.scalar(select(func.count()).select_from(LoginAttempt).where(
        LoginAttempt.key_hash == key, LoginAttempt.attempted_at > now() - _window())) or 0


def _address_wait(key: str) -> int:
    """Seconds the address must still wait before its next attempt (0: go ahead)."""
    config = current_app.config
    over = _failures(key) - config["LOGIN_MAX_PER_ADDRESS"]
    if over < 0:
        return 0
    last = db.session.scalar(select(func.max(LoginAttempt.attempted_at)).where(LoginAttempt.key_hash == key))
    delay = min(config["LOGIN_ADDRESS_MAX_DELAY"], 2 ** min(over, 10))
    remaining = (last + timedelta(seconds=delay) - now()).total_seconds() if last else 0
    return max(0, math.ceil(remaining))


def sign_in(email: str, password: str, address: str) -> Staff:
    """The staff member with this email and password; commits what it records.

    Raises TooManyRequests while the account has too many recent failures or
    the address must wait a few more seconds, LoginRefused for a wrong email or password.
    """
    config = current_app.config
    email = email.strip().lower()
    account_key, address_key = _key("account", email), _key("address", address or "unknown")
    db.session.execute(delete(LoginAttempt).where(LoginAttempt.attempted_at <= now() - _window()))
    if _failures(account_key) >= config["LOGIN_MAX_PER_ACCOUNT"]:
        db.session.commit()
        minutes = config["LOGIN_WINDOW_MINUTES"]
        raise TooManyRequests(f"Too many failed sign-ins. Wait {minutes} minutes and try again.",
                              headers={"Retry-After": str(minutes * 60)})
    wait = _address_wait(address_key)
    if wait:
        db.session.commit()
        raise TooManyRequests(f"Many failed sign-ins came from your network. Wait {wait} seconds and try again.",
                              headers={"Retry-After": str(wait)})
    staff = db.session.scalar(select(Staff).where(Staff.email == email))
    ok = verify_password(staff.password_hash if staff else None, password)
    if not ok or not staff.active:
        moment = now()
        db.session.add_all([LoginAttempt(key_hash=account_key, attempted_at=moment),
                            LoginAttempt(key_hash=address_key, attempted_at=moment)])
        db.session.commit()
        raise LoginRefused("Check the email address and password and try again.")
    db.session.execute(delete(LoginAttempt).where(LoginAttempt.key_hash == account_key))
    if needs_rehash(staff.password_hash):
        staff.password_hash = hash_password(password)
    db.session.commit()
    return staff


def remember(staff: Staff) -> None:
    """Signs ``staff`` in on this browser (password or single sign-on) and notes when; commits."""
    staff.last_login_at = now()
    db.session.commit()
    session.clear()  # a fresh session on sign-in: no fixation
    session.permanent = True
    session["staff_id"] = staff.id
    session["stamp"] = staff.login_stamp


def signed_in_staff() -> Staff | None:
    """The staff member of the session cookie, if it is still valid."""
    staff_id = session.get("staff_id")
    if staff_id is None:
        return None
    staff = db.session.get(Staff, staff_id)
    stamp = session.get("stamp")
    if staff is None or not staff.active or not isinstance(stamp, str) \
            or not hmac.compare_digest(stamp.encode(), staff.login_stamp.encode()):
        session.clear()
        return None
    return staff


def sign_out() -> None:
    session.clear()
