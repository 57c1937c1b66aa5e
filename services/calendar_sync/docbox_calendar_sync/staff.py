"""Who is calling: staff bearer tokens, checked by the sessions service.

Staff accounts and their API tokens live in the sessions service. We forward
the ``Authorization`` header to its ``GET /api/v1/me`` (``{"email", "role"}``
for a valid token, 401 otherwise) on each request that needs a staff member,
and keep nothing about the token: no cache, no log line. When sessions is down
such requests answer 503 and can be retried; feeds of open programs and every
feed URL keep working.
"""

from __future__ import annotations

import logging

import requests
from flask import current_app, g, request

from docbox_shared.problems import Forbidden, Problem, Unauthorized

log = logging.getLogger(__name__)
RETRY = {"Retry-After": "30"}  # seconds: sessions is usually back within a restart


class DependencyUnavailable(Problem):
    status = 503
    type = "urn:docbox:problem:dependency-unavailable"
    title = "A service this request needs is unavailable"


def current_staff(role: str | None = None) -> dict:
    """The calling staff member ``{"email", "role"}``; 401/403/503 problems otherwise."""
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer ") or not header[7:].strip():
        raise Unauthorized("Send a staff API token: Authorization: Bearer <token>.")
    try:
        answer = requests.get(current_app.config["SESSIONS_URL"].rstrip("/") + "/api/v1/me",
                              headers={"Authorization": header, "X-Request-Id": g.get("request_id", ""),
                                       "Accept": "application/json"},
                              timeout=5)
    except requests.RequestException:
        log.warning("sessions service unreachable while checking a staff token")
        raise DependencyUnavailable("The sessions service cannot check your token right now; retry later.",
                                    headers=RETRY, retry_after=30)
    if answer.status_code in (401, 403):
        raise Unauthorized("This token is not valid.")
    if answer.status_code != 200:
        log.warning("sessions service answered %s while checking a staff token", answer.status_code)
        raise DependencyUnavailable("The sessions service cannot check your token right now; retry later.",
                                    headers=RETRY, retry_after=30)
    try:
        me = answer.json()
        me_role = me["role"]
    except (ValueError, KeyError, TypeError):
        raise DependencyUnavailable("The sessions service gave an unreadable answer; retry later.",
                                    headers=RETRY, retry_after=30)
    if role is not None and me_role != role:
        raise Forbidden(f"This needs the {role} role.")
    return {"role": me_role}
