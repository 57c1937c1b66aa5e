"""Encryption at rest of the CalDAV passwords admins give us.

Keys come from ``DOCBOX_SECRET_KEYS`` (Fernet keys, newest first). Every key
can decrypt; only the newest encrypts. To rotate: put a new key first, restart,
run ``flask --app docbox_calendar_sync rotate-secrets`` (re-encrypts every
stored password with the newest key), then drop the old key.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app


class SecretError(Exception):
    """A stored secret cannot be decrypted with any configured key."""


def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key.encode() if isinstance(key, str) else key)
                        for key in current_app.config["SECRET_KEYS"]])


def encrypt(plain: str) -> bytes:
    return _fernet().encrypt(plain.encode())


def decrypt(token: bytes) -> str:
    try:
        return _fernet().decrypt(bytes(token)).decode()
    except InvalidToken as exc:
        raise SecretError("no configured key decrypts this secret") from exc


def rotate(token: bytes) -> bytes:
    try:
        return _fernet().rotate(bytes(token))
    except InvalidToken as exc:
        raise SecretError("no configured key decrypts this secret") from exc


def check_keys(keys) -> None:
    """Fail start-up on a key Fernet cannot use (the message names the variable, not the key)."""
    for key in keys:
        try:
            Fernet(key.encode() if isinstance(key, str) else key)
        except (ValueError, TypeError) as exc:
            raise SystemExit("Doc Box cannot start:\n  DOCBOX_SECRET_KEYS holds a value that is not a "
                             "Fernet key (32 url-safe base64 bytes)") from exc
