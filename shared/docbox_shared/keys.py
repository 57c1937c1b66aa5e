"""Everything made from ``DOCBOX_SECRET_KEYS`` (``app.config["SECRET_KEYS"]``, newest first).

- *Encryption at rest* (:func:`encrypt`, :func:`decrypt`, :func:`rotate`): a
  credential we must give back later (a CalDAV password) is a Fernet token
  under the keys; every key decrypts, the newest encrypts. The keys must then
  be Fernet keys (:func:`check_fernet_keys` at start-up). To rotate: put a new
  key first, restart, re-encrypt the stored values (:func:`rotate`), drop the
  old key.
- *Keyed hashes* (:func:`keyed_hash`, :func:`keyed_hashes`): an HMAC-SHA256
  of a value we must find again but never show (an email or client address
  as a lookup key). Lookups try every key, so a key can be rotated.
- *Cookie keys* (:func:`cookie_keys`): the key that signs a service's page
  cookie, derived from the secret keys and a label, so no extra secret has to
  be deployed and the secret keys themselves never sign anything.

``cryptography`` (about 9 MB resident per process) is imported only where a
secret is encrypted or decrypted: hashes, cookie keys and the start-up check
need the standard library only.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from typing import TYPE_CHECKING

from flask import current_app

if TYPE_CHECKING:
    from cryptography.fernet import MultiFernet


class SecretError(Exception):
    """A stored secret cannot be decrypted with any configured key."""


def _keys(keys: Sequence[str] | None = None) -> Sequence[str]:
    return current_app.config["SECRET_KEYS"] if keys is None else keys


def _fernet() -> MultiFernet:
    from cryptography.fernet import Fernet, MultiFernet
    return MultiFernet([Fernet(key.encode() if isinstance(key, str) else key) for key in _keys()])


def encrypt(plain: str) -> bytes:
    return _fernet().encrypt(plain.encode())


def decrypt(token: bytes, ttl: int | None = None) -> str:
    """The plain secret; with ``ttl``, only from a token encrypted at most that many seconds ago."""
    from cryptography.fernet import InvalidToken
    try:
        return _fernet().decrypt(bytes(token), ttl=ttl).decode()
    except InvalidToken as exc:
        raise SecretError("no configured key decrypts this secret") from exc


def rotate(token: bytes) -> bytes:
    """The same secret encrypted with the newest key."""
    from cryptography.fernet import InvalidToken
    try:
        return _fernet().rotate(bytes(token))
    except InvalidToken as exc:
        raise SecretError("no configured key decrypts this secret") from exc


def check_fernet_keys(keys: Sequence[str]) -> None:
    """Refuse start-up on a key Fernet cannot use (the message names the variable, never the key)."""
    for key in keys:  # Fernet's own rule (cryptography.fernet.Fernet.__init__), without importing it here
        try:
            if len(base64.urlsafe_b64decode(key)) != 32:
                raise ValueError("not 32 bytes")
        except (ValueError, TypeError) as exc:  # binascii.Error is a ValueError
            raise SystemExit("Doc Box cannot start:\n  DOCBOX_SECRET_KEYS holds a value that is not a "
                             "Fernet key (32 url-safe base64 bytes)") from exc


def keyed_hashes(value: str, keys: Sequence[str] | None = None) -> list[str]:
    """The HMAC of ``value`` under each configured key, newest key first."""
    return [hmac.new(k.encode(), value.encode(), hashlib.sha256).hexdigest() for k in _keys(keys)]


def keyed_hash(value: str) -> str:
    return keyed_hashes(value)[0]


def cookie_keys(keys: Sequence[str], label: bytes) -> list[str]:
    """Cookie-signing keys (newest first) derived from the secret keys; ``label`` names the service's cookie."""
    return [hmac.new(k.encode(), label, hashlib.sha256).hexdigest() for k in keys]
