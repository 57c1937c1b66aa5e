"""Capability tokens: made here, stored hashed, compared in constant time.

A *token* is 32 random bytes (256 bits, the charter asks for 128 or more) in
URL-safe base64, shown once to whoever it is for. The database holds only its
SHA-256 (:func:`hash_token`): a plain hash is enough for a value this random,
and it can be looked up by equality. A token is never logged (the access log
names the route, not the path). A service may put a prefix in front
(``dbx_`` for staff API tokens) so people can tell its tokens apart.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

TOKEN_BYTES = 32


def new_token(prefix: str = "") -> str:
    return prefix + secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    """The stored form of a token: 64 hex characters."""
    return hashlib.sha256(token.encode()).hexdigest()


def same_token(given: str, expected: str) -> bool:
    """Whether ``given`` is ``expected``, in a time that tells nothing about either (not even the length)."""
    return bool(given) and hmac.compare_digest(hash_token(given), hash_token(expected))
