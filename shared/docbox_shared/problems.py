"""RFC 9457 problem details: the one error shape every Doc Box service answers with.

A *problem* is a JSON object with ``type`` (a stable URI naming the kind of
error), ``title`` (the same for every instance of the type), ``status``,
``detail`` (this instance) and, for validation errors, ``errors`` (field name
to messages). Plain HTTP errors (404, 405, 413, 415 ...) use ``about:blank``
as RFC 9457 recommends; Doc Box's own errors use ``urn:docbox:problem:<name>``.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, json, request
from werkzeug.exceptions import HTTPException, UnsupportedMediaType

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger(__name__)


class Problem(Exception):
    """A Doc Box error that knows its HTTP status and problem type."""

    status = 400
    type = "urn:docbox:problem:bad-request"
    title = "Bad request"

    def __init__(self, detail: str | None = None, errors: dict | None = None,
                 headers: dict[str, str] | None = None, **extra):
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.errors = errors
        self.headers = headers or {}  # e.g. {"Retry-After": "3600"} on a 429 or 503
        self.extra = extra


class ValidationProblem(Problem):
    status = 422
    type = "urn:docbox:problem:validation"
    title = "The request is not valid"


class Unauthorized(Problem):
    status = 401
    type = "urn:docbox:problem:unauthorized"
    title = "Authentication required"


class Forbidden(Problem):
    status = 403
    type = "urn:docbox:problem:forbidden"
    title = "Not allowed for your role"


class NotFound(Problem):
    status = 404
    type = "urn:docbox:problem:not-found"
    title = "Not found"


class Conflict(Problem):
    status = 409
    type = "urn:docbox:problem:conflict"
    title = "Conflicts with the current state"


class TooManyRequests(Problem):
    status = 429
    type = "urn:docbox:problem:rate-limited"
    title = "Too many requests"


def problem_response(status: int, title: str, detail: str | None = None,
                     type: str = "about:blank", errors: dict | None = None,
                     headers: dict | None = None, **extra) -> Response:
    body = {"type": type, "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    body.update(extra)
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _from_http_exception(exc: HTTPException) -> Response:
    # flask-smorest/webargs put marshmallow messages into exc.data["messages"].
    data = getattr(exc, "data", None) or {}
    messages = data.get("messages")
    if messages is not None and exc.code in (400, 422):
        # webargs nests by location ({"json": {...}, "query": {...}}); one level is enough.
        errors = {}
        for location, fields in messages.items():
            if isinstance(fields, dict):
                errors.update(fields)
            else:
                errors[location] = fields
        return problem_response(422 if exc.code == 422 else 400,
                                ValidationProblem.title if exc.code == 422 else "Bad request",
                                detail="Some fields are missing or not valid." if exc.code == 422 else exc.description,
                                type=ValidationProblem.type if exc.code == 422 else "about:blank",
                                errors=errors)
    headers = {}
    if exc.code == 405 and exc.valid_methods:
        headers["Allow"] = ", ".join(sorted(exc.valid_methods))
    title = exc.name
    detail = exc.description
    return problem_response(exc.code or 500, title, detail=detail, headers=headers)


# SQLSTATE classes of an outage: connection exception, server shutting down or not accepting connections,
# out of resources (too many connections); and what SQLite says when its file cannot be used right now.
_OUTAGE_SQLSTATES = ("08", "57P", "53")
_SQLITE_OUTAGES = ("unable to open database file", "database is locked", "disk I/O error", "database or disk is full")


def database_unreachable(exc: Exception) -> bool:
    """A database that is down, cut off or not taking connections: the client may retry (503).

    Only a failure of the connection counts: a pool that timed out or found the connection dead, a
    connection the driver saw break, one that could not be opened (an error with no statement), a
    server saying it is shutting down or full. Anything else the database refuses (too many parameters,
    a missing table, a deadlock) is a fault of ours: a 500 that is logged, never "try again".
    """
    from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    if isinstance(exc, (DisconnectionError, PoolTimeout)):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    if not isinstance(exc, OperationalError):
        return False
    state = getattr(exc.orig, "sqlstate", None)
    if state:
        return state.startswith(_OUTAGE_SQLSTATES)
    return exc.statement is None or any(message in str(exc.orig) for message in _SQLITE_OUTAGES)


def register_problem_handlers(app: Flask, json_prefixes: tuple[str, ...] = ("/api/",)) -> None:
    """Make every error of ``app`` a problem+json body, and refuse non-JSON writes and unreadable input.

    ``json_prefixes`` are the URL prefixes whose POST/PUT/PATCH bodies must be
    JSON (415 otherwise); pages and feeds outside them are left alone.
    """

    from .inputs import guard_request

    @app.before_request
    def _require_json_body():
        if request.method in ("POST", "PUT", "PATCH") and request.path.startswith(json_prefixes):
            has_body = (request.content_length or 0) > 0 or request.headers.get("Transfer-Encoding")
            if has_body and not (request.mimetype == "application/json" or request.mimetype.endswith("+json")):
                raise UnsupportedMediaType("Send the body as application/json.")
        guard_request(request, json_prefixes)  # NUL, lone surrogates, deep nesting, huge numbers: 4xx, never 500

    @app.errorhandler(Problem)
    def _problem(exc: Problem):
        return problem_response(exc.status, exc.title, detail=exc.detail, type=exc.type,
                                errors=exc.errors, headers=exc.headers, **exc.extra)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        return _from_http_exception(exc)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        if isinstance(exc, HTTPException):
            return _from_http_exception(exc)
        if database_unreachable(exc):
            log.warning("database unreachable", extra={"error": type(exc).__name__})
            return problem_response(503, "Service Unavailable", detail="The database is not reachable; nothing was "
                                    "changed. Try again in a moment.", headers={"Retry-After": "5"})
        log.exception("unhandled error")
        return problem_response(500, "Internal server error",
                                detail="Something went wrong on our side; nothing was changed.")
