"""The feed URL calendar clients poll: ``GET /feeds/<token>.ics``.

The token is a capability: it is hashed before lookup and never logged (the
access log names the route, not the path). Conditional requests follow RFC
9110: ``If-None-Match`` wins over ``If-Modified-Since``; either gives ``304``
when nothing changed.

Two ways in, one answer:

- :class:`FastFeeds`, a WSGI layer in front of Flask, answers the common case
  (a live token whose body is stored, with or without a matching
  ``If-None-Match``) from one query and a few headers, and still counts the
  request in the metrics and writes the access line. Calendar clients poll
  forever, so this path costs little more than the server itself.
- Everything else (an unknown or revoked token, a body an event has cleared,
  ``If-Modified-Since`` alone, a database error) falls through to the Flask
  view :func:`feed`, which renders when needed (:mod:`..feeds`) and answers
  problems as every other route does.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import uuid
from datetime import datetime
from email.utils import format_datetime, parsedate_to_datetime

from flask import Blueprint, Flask, Response, request

from docbox_shared.clock import aware
from docbox_shared.problems import NotFound
from docbox_shared.tokens import hash_token

from .. import feeds, operations
from ..models import db

bp = Blueprint("feeds_web", __name__)

ICS = "text/calendar; charset=utf-8"
ROUTE = "/feeds/<token>.ics"
COMMON = [("Cache-Control", "private, no-cache"), ("Referrer-Policy", "no-referrer"), ("X-Robots-Tag", "noindex")]
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def _etag_matches(header: str, etag: str) -> bool:
    """Weak comparison, as RFC 9110 13.1.2 asks for If-None-Match."""
    if header.strip() == "*":
        return True
    tags = [t.strip() for t in header.split(",")]
    return any((t[2:] if t.startswith("W/") else t) == etag for t in tags)


def _not_modified_since(header: str, last_modified) -> bool:
    try:
        since = parsedate_to_datetime(header)
    except (TypeError, ValueError, IndexError):
        return False  # an unreadable date is ignored, as RFC 9110 13.1.3 says
    if since is None or since.tzinfo is None:
        return False
    return last_modified.replace(microsecond=0) <= since


def _last_modified(created_at, changed_at):
    created = aware(created_at)
    return max(created, aware(changed_at)) if changed_at is not None else created


@bp.route("/feeds/<token>.ics", methods=["GET", "HEAD"])
def feed(token: str):
    found = operations.live_feed(token)
    if found is None:
        raise NotFound("This feed does not exist or was revoked.")
    created_at = found.created_at
    served = feeds.current(found)
    last_modified = _last_modified(created_at, served.changed_at)
    headers = {"Last-Modified": format_datetime(last_modified, usegmt=True), **dict(COMMON)}
    if served.etag:
        headers["ETag"] = served.etag
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        fresh = served.etag is not None and _etag_matches(if_none_match, served.etag)
    else:
        since = request.headers.get("If-Modified-Since")
        fresh = since is not None and _not_modified_since(since, last_modified)
    if fresh:
        return Response(status=304, headers=headers)
    return Response(served.body, status=200, headers=headers, content_type=ICS)


# The one query of a stored answer: the body only when the client's ETag does not match.
LOOKUP = ("SELECT f.created_at, b.etag, b.changed_at, b.render_key,"
          " CASE WHEN b.etag = :tag THEN NULL ELSE b.body END"
          " FROM feeds f JOIN feed_bodies b ON b.variant = f.variant"
          " WHERE f.token_hash = :token_hash AND f.revoked_at IS NULL")


def _instant(value):
    """A stored instant from the driver: PostgreSQL gives datetimes, SQLite the text SQLAlchemy wrote."""
    return datetime.fromisoformat(value) if isinstance(value, str) else value


class FastFeeds:
    """WSGI layer answering stored feeds and their 304s before Flask (see the module docstring).

    It runs its query on a driver connection of its own per thread (from the
    app's engine, in autocommit), without the ORM or a pool checkout: a stored
    answer is one indexed lookup. The connection holds no data between
    requests, so every request sees the database as it is.
    """

    def __init__(self, app: Flask, inner):
        self.app, self.inner = app, inner
        self.access = logging.getLogger("docbox.calendar_sync.access")
        self.metrics = app.extensions.get("docbox_http_metrics")
        self.counters: dict[tuple[str, str], object] = {}
        self.local = threading.local()
        self.render_key = self.sql = None

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD")
        if (method != "GET" and method != "HEAD") or not path.startswith("/feeds/") or not path.endswith(".ics"):
            return self.inner(environ, start_response)
        started = time.perf_counter()
        try:
            answer = self._answer(path[7:-4], environ)
        except Exception:  # noqa: BLE001 - a fresh connection next time; the Flask view answers this one
            self._drop_connection()
            answer = None
        if answer is None:
            return self.inner(environ, start_response)
        status, headers, body = answer
        incoming = environ.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        headers.append(("X-Request-Id", request_id))
        start_response(status, headers)
        self._record(method, status[:3], started, request_id)
        return [] if method == "HEAD" or body is None else [body]

    def _connection(self):
        connection = getattr(self.local, "connection", None)
        if connection is None:
            with self.app.app_context():
                engine = db.engine
                self.render_key = feeds.render_key()
            proxied = engine.raw_connection()
            connection = proxied.driver_connection
            if hasattr(connection, "autocommit"):  # PostgreSQL: no transaction left open between polls
                connection.autocommit = True
            self.sql = LOOKUP if engine.dialect.paramstyle in ("qmark", "named") else \
                LOOKUP.replace(":tag", "%(tag)s").replace(":token_hash", "%(token_hash)s")
            self.local.proxied, self.local.connection = proxied, connection
        return connection

    def _drop_connection(self) -> None:
        proxied = getattr(self.local, "proxied", None)
        self.local.proxied = self.local.connection = None
        if proxied is not None:
            try:
                proxied.invalidate()
            except Exception:  # noqa: BLE001 - it is gone either way
                pass

    def _answer(self, token: str, environ):
        if not token or len(token) > 100 or "/" in token:
            return None
        if_none_match = environ.get("HTTP_IF_NONE_MATCH")
        if if_none_match is None and "HTTP_IF_MODIFIED_SINCE" in environ:
            return None
        single = if_none_match.strip() if if_none_match and "," not in if_none_match else ""
        tag = single[2:] if single.startswith("W/") else single
        cursor = self._connection().cursor()
        try:
            cursor.execute(self.sql, {"tag": tag, "token_hash": hash_token(token)})
            row = cursor.fetchone()
        finally:
            cursor.close()
        if row is None or row[1] is None or row[3] != self.render_key:
            return None  # unknown, revoked, not yet rendered or from another renderer: the view decides
        created_at, etag, changed_at, _key, body = row
        last_modified = _last_modified(_instant(created_at), _instant(changed_at) if changed_at else None)
        headers = [("ETag", etag), ("Last-Modified", format_datetime(last_modified, usegmt=True)), *COMMON]
        if if_none_match is not None and (etag == tag or _etag_matches(if_none_match, etag)):
            return "304 Not Modified", headers, None
        if body is None:
            return None  # cleared by an event: the view renders it
        body = bytes(body)
        headers += [("Content-Type", ICS), ("Content-Length", str(len(body)))]
        return "200 OK", headers, body

    def _record(self, method: str, status: str, started: float, request_id: str) -> None:
        elapsed = time.perf_counter() - started
        if self.metrics is not None:
            service, requests_total, latency = self.metrics
            key = (method, status)
            counter = self.counters.get(key)
            if counter is None:
                counter = self.counters[key] = (requests_total.labels(service, ROUTE, method, status),
                                                latency.labels(service, ROUTE))
            counter[0].inc()
            counter[1].observe(elapsed)
        if self.access.isEnabledFor(logging.INFO):
            self.access.info("request", extra={"method": method, "route": ROUTE, "status": int(status),
                                               "ms": round(elapsed * 1000, 1), "request_id": request_id})
