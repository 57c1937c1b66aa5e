"""Staff passwords, hashed with Argon2id (memory-hard) by argon2-cffi.

The stored text is argon2's PHC string (``$argon2id$v=19$m=...``): it names
its own parameters, so stronger defaults in a later argon2-cffi apply on the
next successful login (:func:`needs_rehash`).

The cost is argon2-cffi's default profile (RFC 9106's low-memory one: 64 MiB,
3 passes). The config key ``PASSWORD_HASH_PROFILE`` (no environment variable)
lets the tests name ``CHEAPEST`` instead: at full cost, hashing the staff of
one test took seconds of a loaded CI machine. Production refuses any other
profile than the default.
"""

from __future__ import annotations

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import Flask, current_app

from docbox_shared.settings import ConfigError

MIN_LENGTH = 10
PROFILE = "RFC_9106_LOW_MEMORY"   # argon2-cffi's default; production holds to it
TEST_PROFILE = "CHEAPEST"


def init_app(app: Flask) -> None:
    profile = app.config.setdefault("PASSWORD_HASH_PROFILE", PROFILE)
    if profile not in (PROFILE, TEST_PROFILE):
        raise ConfigError(f"Doc Box cannot start:\n  PASSWORD_HASH_PROFILE must be {PROFILE} or {TEST_PROFILE}")
    if profile != PROFILE and app.config.get("DOCBOX_ENV") == "production":
        raise ConfigError(f"Doc Box cannot start:\n  PASSWORD_HASH_PROFILE {profile} is for tests; "
                          f"production hashes passwords with {PROFILE}")
    app.extensions["docbox_passwords"] = {"hasher": PasswordHasher.from_parameters(getattr(profiles, profile))}


def _hasher() -> PasswordHasher:
    return current_app.extensions["docbox_passwords"]["hasher"]


def _dummy() -> str:
    """Verified when the email is unknown, so a wrong email costs as long as a wrong password."""
    state = current_app.extensions["docbox_passwords"]
    if "dummy" not in state:
        state["dummy"] = state["hasher"].hash("docbox-no-such-account")
    return state["dummy"]


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    try:
        return _hasher().verify(stored or _dummy(), password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return _hasher().check_needs_rehash(stored)


def password_problem(password: str) -> str | None:
    """Why a new password is refused, or None."""
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters."
    if len(password) > 1024:
        return "Use at most 1024 characters."
    return None
