"""The feed URL calendar clients poll: ``GET /feeds/<token>.ics``.

The token is a capability: it is hashed before lookup and never logged (the
access log names the route, not the path). Conditional requests follow RFC
9110: ``If-None-Match`` wins over ``If-Modified-Since``; either gives ``304``
when nothing changed.
"""

from __future__ import annotations

from email.utils import format_datetime, parsedate_to_datetime

from flask import Blueprint, Response, request

from docbox_shared.problems import NotFound

from .. import feeds, operations

bp = Blueprint("feeds_web", __name__)

ICS = "text/calendar; charset=utf-8"


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


@bp.route("/feeds/<token>.ics", methods=["GET", "HEAD"])
def feed(token: str):
    found = operations.live_feed(token)
    if found is None:
        raise NotFound("This feed does not exist or was revoked.")
    valid = feeds.validators(found)
    headers = {
        "ETag": valid.etag,
        "Last-Modified": format_datetime(valid.last_modified, usegmt=True),
        "Cache-Control": "private, no-cache",
        "Referrer-Policy": "no-referrer",
        "X-Robots-Tag": "noindex",
    }
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        fresh = _etag_matches(if_none_match, valid.etag)
    else:
        since = request.headers.get("If-Modified-Since")
        fresh = since is not None and _not_modified_since(since, valid.last_modified)
    if fresh:
        return Response(status=304, headers=headers)
    data, valid = feeds.body(found, valid)
    headers["ETag"] = valid.etag
    headers["Last-Modified"] = format_datetime(valid.last_modified, usegmt=True)
    return Response(data, status=200, headers=headers, content_type=ICS)
