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

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import requests

ICS = "text/calendar; charset=utf-8"
DAV = "{DAV:}"


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
    def __init__(self, calendar_url: str, username: str, password: str, *, timeout: float, verify=True):
        self.calendar_url = calendar_url
        self.session = requests.Session()
        # REQUESTS_CA_BUNDLE and proxy variables of the host must not change where we send passwords.
        self.session.trust_env = False
        self.session.verify = verify
        if username:
            self.session.auth = (username, password)
        self.timeout = timeout
        self.requests = 0  # how many requests this client sent (the worker reports it)

    def href(self, name: str) -> str:
        return urljoin(self.calendar_url, name)

    def _send(self, method: str, url: str, **kwargs) -> Answer:
        self.requests += 1
        try:
            r = self.session.request(method, url, timeout=self.timeout, allow_redirects=False, **kwargs)
        except requests.RequestException as exc:
            raise Unreachable(f"{method} failed: {type(exc).__name__}") from exc
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
