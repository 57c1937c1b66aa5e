"""A small CalDAV client: conditional PUT, GET, DELETE of calendar object resources.

Only what pushing needs, over :mod:`requests`, so every write carries its
precondition: ``If-None-Match: *`` to create, ``If-Match: <etag>`` to change
or delete. Nothing is ever written unconditionally.

Errors: :class:`Unreachable` for network failures, timeouts, 5xx and 429
(retry later, nothing lost); :class:`Refused` for other unexpected answers
(wrong password, no such calendar ...), retried with backoff too, since an
admin can fix them.
"""

from __future__ import annotations

import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import requests

ICS = "text/calendar; charset=utf-8"
DAV = "{DAV:}"
LOCKED_RETRIES = 3


class PushError(Exception):
    pass


class Unreachable(PushError):
    """The server did not answer usefully: try again later."""


class Refused(PushError):
    """The server answered with an error we cannot work around ourselves."""


@dataclass
class Answer:
    status: int
    etag: str | None
    body: bytes


class Client:
    """One calendar's client; safe to share between threads.

    At most ``concurrency`` requests are in flight at once. Each thread gets
    its own :class:`requests.Session` (requests does not promise a session is
    thread-safe), so each keeps one connection alive for all its requests;
    :meth:`close` closes them all. A server that cannot write two resources at
    once answers ``423 Locked`` (Xandikos, committing to git, does): the
    request is retried and from then on this client sends one at a time.
    """

    def __init__(self, calendar_url: str, username: str, password: str, *, timeout: float, verify=True,
                 concurrency: int = 1):
        self.calendar_url = calendar_url
        self._auth = (username, password) if username else None
        self._verify = verify
        self.timeout = timeout
        self.requests = 0  # how many requests this client sent (the worker reports it)
        self._lock = threading.Lock()
        self._turn = threading.Condition(self._lock)  # waits for fewer than _limit requests in flight
        self._limit, self._busy = max(concurrency, 1), 0
        self.locked = False  # whether the server answered 423 Locked (the worker then sends one at a time)
        self._local = threading.local()
        self._sessions: list[requests.Session] = []

    @property
    def session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
            # REQUESTS_CA_BUNDLE and proxy variables of the host must not change where we send passwords.
            session.trust_env = False
            session.verify = self._verify
            session.auth = self._auth
            with self._lock:
                self._sessions.append(session)
        return session

    def close(self) -> None:
        with self._lock:
            sessions, self._sessions = self._sessions, []
        for session in sessions:
            session.close()

    def href(self, name: str) -> str:
        return urljoin(self.calendar_url, name)

    def _send(self, method: str, url: str, **kwargs) -> Answer:
        ours = False  # whether our own other requests were in flight with the one the server found locked
        for attempt in range(LOCKED_RETRIES + 1):
            if attempt and not ours:
                time.sleep(0.1 * attempt)  # someone else's lock: give it a moment (ours ends with our turn)
            with self._turn:
                self._turn.wait_for(lambda: self._busy < self._limit)
                ours, self._busy = self._busy > 0, self._busy + 1
                self.requests += 1
            try:
                r = self.session.request(method, url, timeout=self.timeout, allow_redirects=False, **kwargs)
            except requests.RequestException as exc:
                raise Unreachable(f"{method} failed: {type(exc).__name__}") from exc
            finally:
                with self._turn:
                    self._busy -= 1
                    self._turn.notify_all()
            if r.status_code != 423:
                break
            # Nothing was written. Locked by our own other requests, or by someone else's
            # WebDAV lock: either way, one at a time from now on (a lasting lock is Refused).
            with self._turn:
                self._limit, self.locked = 1, True
        if r.status_code >= 500 or r.status_code == 429:
            raise Unreachable(f"{method} answered {r.status_code}")
        if r.status_code in (401, 403):
            raise Refused(f"{method} answered {r.status_code}: check the username and password")
        return Answer(r.status_code, r.headers.get("ETag"), r.content)

    def put(self, url: str, body: bytes, *, if_match: str | None = None) -> Answer:
        headers = {"Content-Type": ICS}
        if if_match is None:
            headers["If-None-Match"] = "*"
        else:
            headers["If-Match"] = if_match
        return self._send("PUT", url, data=body, headers=headers)

    def get(self, url: str) -> Answer:
        return self._send("GET", url)

    def delete(self, url: str, *, if_match: str) -> Answer:
        return self._send("DELETE", url, headers={"If-Match": if_match})

    def etags(self) -> dict[str, str]:
        """``{resource name: etag}`` of the calendar's members (one PROPFIND, depth 1)."""
        body = (b'<?xml version="1.0" encoding="utf-8"?><d:propfind xmlns:d="DAV:">'
                b'<d:prop><d:getetag/></d:prop></d:propfind>')
        answer = self._send("PROPFIND", self.calendar_url, data=body,
                            headers={"Depth": "1", "Content-Type": "application/xml; charset=utf-8"})
        if answer.status != 207:
            raise Refused(f"PROPFIND answered {answer.status}: check the calendar URL")
        try:
            root = ET.fromstring(answer.body)
        except ET.ParseError as exc:
            raise Unreachable("PROPFIND answer is not XML") from exc
        base = urlsplit(self.calendar_url).path
        found = {}
        for response in root.iter(f"{DAV}response"):
            href = response.findtext(f"{DAV}href") or ""
            path = urlsplit(href).path
            if path.rstrip("/") == base.rstrip("/"):
                continue
            etag = None
            for propstat in response.iter(f"{DAV}propstat"):
                if " 200" in (propstat.findtext(f"{DAV}status") or ""):
                    etag = propstat.findtext(f"{DAV}prop/{DAV}getetag")
            if etag:
                found[requests.utils.unquote(path.rsplit("/", 1)[-1])] = etag
        return found
