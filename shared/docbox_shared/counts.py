"""Numbers asked of one service by another, signed, nothing else.

How many subscribe to each program: calendar_sync counts live feeds and
notifications active reminder subscriptions; the sessions service shows both on
its programs page. Each counting service serves ``GET /internal/subscriber-counts``
(:func:`counts_blueprint`) answering ``{"counts": {"<program id>": <number>, ...}}``:
numbers by program, never a feed, an address or anything else about a subscriber.

How reminder mail fares: notifications serves ``GET /internal/mail-counts``
(:data:`MAIL_PATH`, the same blueprint at another path) answering
``{"counts": {"failed": <number>, ...}}``; the sessions health page shows them.
Numbers by outcome only: never an address, a subscriber or a message.

The request is signed like an event delivery (:mod:`.signing`, the shared
``DOCBOX_EVENT_SECRET``), over ``"GET <path>"`` rather than a body, so a
signature is good for this question only and for five minutes. The asking
side (:func:`fetch_counts`) waits a short time and treats anything but a
well-formed answer (down, slow, refused, garbled) as "unavailable": a page
showing the numbers renders without them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import requests
from flask import Blueprint, current_app, jsonify, request

from . import signing
from .problems import Unauthorized

PATH = "/internal/subscriber-counts"
MAIL_PATH = "/internal/mail-counts"
TIMEOUT = 2.0  # seconds: a page waits at most this long for each service
log = logging.getLogger(__name__)


def _signed_text(path: str) -> bytes:
    return f"GET {path}".encode()


def counts_blueprint(count: Callable[[], dict[str, int]], path: str = PATH) -> Blueprint:
    """The signed ``GET <path>`` of a service (by default ``/internal/subscriber-counts``); ``count()`` gives
    name (a program id for subscriber counts) -> number."""
    bp = Blueprint(path.strip("/").replace("/", "_").replace("-", "_"), __name__)

    @bp.get(path)
    def counts():
        try:
            signing.verify(_signed_text(path), request.headers, current_app.config["EVENT_SECRETS"])
        except signing.SignatureError as exc:
            raise Unauthorized(f"Unsigned or badly signed request: {exc}.")
        response = jsonify(counts={str(k): int(v) for k, v in count().items()})
        response.headers["Cache-Control"] = "no-store"
        return response

    return bp


def fetch_counts(base_url: str, secret: str, timeout: float = TIMEOUT, path: str = PATH) -> dict[str, int] | None:
    """The counts ``base_url`` answers at ``path``, or None when it cannot be asked or answers anything else."""
    if not base_url:
        return None
    try:
        answer = requests.get(base_url.rstrip("/") + path, headers=signing.sign(_signed_text(path), secret),
                              timeout=timeout, allow_redirects=False)
        counts = answer.json().get("counts") if answer.status_code == 200 else None
    except (requests.RequestException, ValueError, AttributeError) as exc:
        log.warning("counts unavailable", extra={"service_url": base_url, "path": path, "error": type(exc).__name__})
        return None
    if not isinstance(counts, dict) or not all(isinstance(k, str) and type(v) is int and v >= 0
                                               for k, v in counts.items()):
        log.warning("counts unavailable", extra={"service_url": base_url, "path": path, "status": answer.status_code})
        return None
    return counts
