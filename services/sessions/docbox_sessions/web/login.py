"""Signing staff in and out of the web pages, with rate limiting.

A *failed attempt* is recorded twice, once under the account's key and once
under the client address's key (see :mod:`.models`); while either key has
too many failures in the window, sign-in is refused before the password is
checked. Limits live in the database so they hold across gunicorn workers.
The signed session cookie holds the staff id and the staff member's *login
stamp*, a random value stored with the account and replaced on a new password
or deactivation, so either signs out every browser; a leaked signing key alone
cannot forge anyone's cookie.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

from flask import current_app, session
from sqlalchemy import delete, func, select

from docbox_shared.problems import TooManyRequests, Unauthorized

from ..clock import now
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
        LoginAttempt.key_hash == key, LoginAttempt.attempted_dt > now() - _window())) or 0


def sign_in(email: str, password: str, address: str) -> Staff:
    """The staff member with this email and password; commits what it records.

    Raises TooManyRequests while the account or the address has too many
    recent failures, LoginRefused for a wrong email or password.
    """
    config = current_app.config
    email = email.strip().lower()
    account_key, address_key = _key("account", email), _key("address", address or "unknown")
    db.session.execute(delete(LoginAttempt).where(LoginAttempt.attempted_dt <= now() - _window()))
    if _failures(account_key) >= config["LOGIN_MAX_PER_ACCOUNT"] or _failures(address_key) >= config["LOGIN_MAX_PER_ADDRESS"]:
        db.session.commit()
        minutes = config["LOGIN_WINDOW_MINUTES"]
        raise TooManyRequests(f"Too many failed sign-ins. Wait {minutes} minutes and try again.")
    staff = db.session.scalar(select(Staff).where(Staff.email == email))
    ok = verify_password(staff.password_hash if staff else None, password)
    if not ok or not staff.active:
        moment = now()
        db.session.add_all([LoginAttempt(key_hash=account_key, attempted_dt=moment),
                            LoginAttempt(key_hash=address_key, attempted_dt=moment)])
        db.session.commit()
        raise LoginRefused("Check the email address and password and try again.")
    db.session.execute(delete(LoginAttempt).where(LoginAttempt.key_hash == account_key))
    if needs_rehash(staff.password_hash):
        staff.password_hash = hash_password(password)
    db.session.commit()
    return staff


def remember(staff: Staff) -> None:
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
