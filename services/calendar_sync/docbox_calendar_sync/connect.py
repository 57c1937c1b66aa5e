"""Finding and checking a CalDAV calendar before Doc Box pushes to it, with the ``caldav`` library.

Words: the *server address* is where the admin says the CalDAV server is; the
library asks it for the account's *principal*, the principal for its
*calendar home*, and the home for its *calendars* (RFC 4791 section 6). A
*check* opens one calendar with the account. Every failure becomes a
:class:`ConnectionProblem` whose message says, in words, what the server
answered (wrong password, nothing at this address, a TLS certificate not
trusted, nothing answering ...), so an admin can fix it without a log.

The protocol is the library's; pushing stays in :mod:`.push` (Doc Box's sync
policy: conditional writes, conflicts, backoff). Passwords are never logged
and never part of a message. ``caldav`` (with lxml and vobject, about 10 MB
resident) is imported on the first check, not by every web worker serving feeds.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

import requests as http

log = logging.getLogger(__name__)


class ConnectionProblem(Exception):
    """The server could not be used; ``str()`` says why, in words."""


@dataclass(frozen=True)
class FoundCalendar:
    url: str
    name: str


def _client(url: str, username: str, password: str, *, timeout: float, verify: bool):
    import caldav
    client = caldav.DAVClient(url=url, username=username or None, password=password or None, timeout=timeout,
                              ssl_verify_cert=verify)
    # The host's proxy variables, CA bundle and .netrc must not change where (and how) a password goes.
    client.session.trust_env = False
    return client


def _words(exc: Exception, timeout: float) -> str:
    """What an exception of the library (or of its HTTP library) means for the admin."""
    from caldav.lib import error
    text = str(exc)
    if isinstance(exc, error.AuthorizationError):
        if "Forbidden" in text or "403" in text:
            return ("The server refused this account here (403 Forbidden): check the address, and that the "
                    "account may use this calendar.")
        return "The server refused the username or password (401 Unauthorized)."
    if isinstance(exc, error.NotFoundError):
        return "The server has nothing at this address (404 Not Found): check the address."
    if isinstance(exc, error.DAVError):
        status = re.search(r"\b([1-5]\d\d)\b", getattr(exc, "reason", "") or "")
        answered = f" ({status.group(1)})" if status else ""
        return f"The server answered, but not as a CalDAV server does{answered}: check the address."
    if isinstance(exc, http.exceptions.SSLError):
        reason = re.search(r"certificate verify failed: ([^(]+?) \(", text)
        if reason:
            return f"The server's TLS certificate is not trusted ({reason.group(1).strip()})."
        return "The TLS connection to the server failed: its certificate or TLS settings are not accepted."
    if isinstance(exc, http.exceptions.Timeout):
        return f"The server did not answer within {timeout:g} seconds."
    if isinstance(exc, http.exceptions.ConnectionError):
        if "resolve" in text or "Name or service not known" in text or "nodename" in text:
            return "No server has this name: the host name does not resolve."
        if "refused" in text.lower():
            return "Nothing answers at this address and port (connection refused)."
        return ("The connection broke off before an answer: check http:// or https:// in the address, "
                "and the port.")
    if isinstance(exc, http.exceptions.RequestException):
        return "The server could not be reached."
    return "The server's answer could not be understood: check the address."


def find_calendars(server_url: str, username: str, password: str, *, timeout: float,
                   verify: bool = True) -> list[FoundCalendar]:
    """The account's calendars on the server at ``server_url`` (principal, calendar home, calendars)."""
    try:
        with _client(server_url, username, password, timeout=timeout, verify=verify) as client:
            calendars = client.principal().calendars()
            found = []
            for calendar in calendars:
                url = str(calendar.url)
                found.append(FoundCalendar(url=url, name=calendar.get_display_name() or _last_segment(url)))
    except Exception as exc:  # noqa: BLE001 - every failure of the library becomes words
        log.info("CalDAV discovery failed: %s", type(exc).__name__)
        raise ConnectionProblem(_words(exc, timeout)) from None
    if not found:
        raise ConnectionProblem("Signed in, but this account has no calendar on the server: create one there first.")
    return sorted(found, key=lambda c: (c.name.lower(), c.url))


def check_calendar(calendar_url: str, username: str, password: str, *, timeout: float, verify: bool = True) -> str:
    """Opens the calendar with the account; what the server answered, in words (ConnectionProblem if unusable)."""
    try:
        with _client(calendar_url, username, password, timeout=timeout, verify=verify) as client:
            calendar = client.calendar(url=calendar_url)
            components = calendar.get_supported_components()
            name = calendar.get_display_name() or _last_segment(calendar_url)
    except KeyError:  # the server answered without the calendar's properties: there is none there
        raise ConnectionProblem("The server has no calendar at this address: find the calendars again.") from None
    except Exception as exc:  # noqa: BLE001
        log.info("CalDAV check failed: %s", type(exc).__name__)
        raise ConnectionProblem(_words(exc, timeout)) from None
    if components and "VEVENT" not in components:
        raise ConnectionProblem(f"\u201c{name}\u201d holds no events (only {', '.join(components)}): choose another "
                                "calendar.")
    return f"Connected: the server accepted the account and opened the calendar \u201c{name}\u201d."


def _last_segment(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1] or url
