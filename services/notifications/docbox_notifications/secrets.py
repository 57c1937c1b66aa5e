"""Capability tokens and keyed hashes: how this service avoids keeping secrets.

- A *token* is 32 random bytes (256 bits) in URL-safe base64; the database
  holds only its sha256, which is enough for a high-entropy value.
- An *address key* is an HMAC-SHA256 of a normalised email address (or client
  address) under ``SECRET_KEYS[0]``; lookups try every key so a key can be
  rotated. The raw address is stored only in ``subscribers.email`` because
  mail has to reach it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from flask import current_app


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def normalise_email(address: str) -> str:
    """One spelling per mailbox: surrounding space removed, lower case.

    Local parts are case-sensitive in theory only; treating them as one keeps
    duplicate detection and rate limits from being dodged by capitalisation.
    """
    return address.strip().lower()


def keyed_hashes(value: str, keys: list[str] | None = None) -> list[str]:
    """The HMAC of ``value`` under each configured key, newest key first."""
    keys = keys if keys is not None else current_app.config["SECRET_KEYS"]
    return [hmac.new(k.encode(), value.encode(), hashlib.sha256).hexdigest() for k in keys]


def keyed_hash(value: str) -> str:
    return keyed_hashes(value)[0]
