"""A small CalDAV client: conditional PUT, GET, DELETE of calendar object resources.

Only what pushing needs, over :mod:`urllib3`, so every write carries its
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
from urllib.parse import unquote, urljoin, urlsplit

import certifi
import urllib3

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

    At most ``concurrency`` requests are in flight at once, over as many kept-alive
    connections of one :mod:`urllib3` pool (thread-safe; a connection the server
    closed is replaced before it is reused). urllib3 rather than requests: a
    request costs the worker about 0.5 ms of CPU less (bench/caldav_push.py),
    CPU the server lacks on a busy machine. :meth:`close` closes the connections.
    A server that cannot write two resources at once answers ``423 Locked``
    (Xandikos, committing to git, does): the request is retried and from then on
    this client sends one at a time.
    """

    def __init__(self, calendar_url: str, username: str, password: str, *, timeout: float, verify=True,
                 concurrency: int = 1):
        self.calendar_url = calendar_url
        self._headers = urllib3.make_headers(basic_auth=f"{username}:{password}") if username else {}
        self.timeout = timeout
        self.requests = 0  # how many requests this client sent (the worker reports it)
        self._lock = threading.Lock()
        self._turn = threading.Condition(self._lock)  # waits for fewer than _limit requests in flight
        self._limit, self._busy = max(concurrency, 1), 0
        self.locked = False  # whether the server answered 423 Locked (the worker then sends one at a time)
        # No proxy and the certifi bundle, whatever the host's variables say: they must not change
        # where we send passwords (nor which certificates we trust).
        self._pool = urllib3.PoolManager(
            num_pools=1, maxsize=self._limit, block=False, retries=False,
            timeout=urllib3.Timeout(connect=timeout, read=timeout),
            cert_reqs="CERT_REQUIRED" if verify else "CERT_NONE", ca_certs=certifi.where() if verify else None)

    def close(self) -> None:
        self._pool.clear()

    def href(self, name: str) -> str:
        return urljoin(self.calendar_url, name)

    def _send(self, method: str, url: str, body: bytes | None = None, headers: dict | None = None) -> Answer:
        ours = False  # whether our own other requests were in flight with the one the server found locked
        for attempt in range(LOCKED_RETRIES + 1):
            if attempt and not ours:
                time.sleep(0.1 * attempt)  # someone else's lock: give it a moment (ours ends with our turn)
            with self._turn:
                self._turn.wait_for(lambda: self._busy < self._limit)
                ours, self._busy = self._busy > 0, self._busy + 1
                self.requests += 1
            try:
                r = self._pool.request(method, url, body=body, headers={**self._headers, **(headers or {})},
                                       redirect=False, preload_content=True)
            except (urllib3.exceptions.HTTPError, OSError) as exc:
                raise Unreachable(f"{method} failed: {type(exc).__name__}") from exc
            finally:
                with self._turn:
                    self._busy -= 1
                    self._turn.notify_all()
            if r.status != 423:
                break
            # Nothing was written. Locked by our own other requests, or by someone else's
            # WebDAV lock: either way, one at a time from now on (a lasting lock is Refused).
            with self._turn:
                self._limit, self.locked = 1, True
        if r.status >= 500 or r.status == 429:
            raise Unreachable(f"{method} answered {r.status}")
        if r.status in (401, 403):
            raise Refused(f"{method} answered {r.status}: check the username and password")
        return Answer(r.status, r.headers.get("ETag"), r.data)

    def put(self, url: str, body: bytes, *, if_match: str | None = None) -> Answer:
        headers = {"Content-Type": ICS}
        if if_match is None:
            headers["If-None-Match"] = "*"
        else:
            headers["If-Match"] = if_match
        return self._send("PUT", url, body, headers)

    def get(self, url: str) -> Answer:
        return self._send("GET", url)

    def delete(self, url: str, *, if_match: str) -> Answer:
        return self._send("DELETE", url, headers={"If-Match": if_match})

    def etags(self) -> dict[str, str]:
        """``{resource name: etag}`` of the calendar's members (one PROPFIND, depth 1)."""
        body = (b'<?xml version="1.0" encoding="utf-8"?><d:propfind xmlns:d="DAV:">'
                b'<d:prop><d:getetag/></d:prop></d:propfind>')
        answer = self._send("PROPFIND", self.calendar_url, body,
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
                found[unquote(path.rsplit("/", 1)[-1])] = etag
        return found
