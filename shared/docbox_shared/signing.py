"""Signatures of event deliveries between Doc Box services.

The relay signs ``"<timestamp>.<body>"`` with HMAC-SHA256 and sends the
timestamp (Unix seconds) and the signature in two headers. A receiver accepts a
delivery only when the signature matches one of its secrets (several, so a
secret can be rotated) and the timestamp is at most ``MAX_AGE`` seconds old, so
a captured delivery cannot be replayed later.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping, Sequence

TIMESTAMP_HEADER = "Docbox-Timestamp"
SIGNATURE_HEADER = "Docbox-Signature"
MAX_AGE = 300


class SignatureError(Exception):
    """The delivery is unsigned, badly signed, or too old."""


def _digest(secret: str, timestamp: str, body: bytes) -> str:
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def sign(body: bytes, secret: str, now: float | None = None) -> dict[str, str]:
    """Return the headers that sign ``body``."""
    timestamp = str(int(time.time() if now is None else now))
    return {TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: "v1=" + _digest(secret, timestamp, body)}


def verify(body: bytes, headers: Mapping[str, str], secrets: Sequence[str],
           now: float | None = None, max_age: int = MAX_AGE) -> None:
    """Raise :class:`SignatureError` unless ``headers`` sign ``body`` with one of ``secrets``."""
    timestamp = headers.get(TIMESTAMP_HEADER, "")
    signature = headers.get(SIGNATURE_HEADER, "")
    if not timestamp.isdigit() or not signature.startswith("v1="):
        raise SignatureError("missing or malformed signature headers")
    age = (time.time() if now is None else now) - int(timestamp)
    if abs(age) > max_age:
        raise SignatureError("signature timestamp outside the accepted window")
    given = signature[3:]
    if not any(hmac.compare_digest(given, _digest(s, timestamp, body)) for s in secrets if s):
        raise SignatureError("signature does not match")
