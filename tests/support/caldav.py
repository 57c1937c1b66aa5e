"""Real CalDAV servers (Radicale, Xandikos, Xandikos with authentication over TLS) as processes on free ports over temporary folders.

``calendar_url`` is a calendar collection ready for use; ``stop()`` and
``start()`` take the server away and bring it back; ``objects()`` lists what
the calendar holds. The ``radicale``, ``xandikos`` and ``caldav_server``
fixtures (tests/conftest.py) start a server once per test module (a start
costs seconds) and give each test a new empty calendar on it, running.
"""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from pathlib import Path

import requests

from support.ports import free_port

BIN = Path(sys.executable).parent


def _wait_http(url: str, proc: subprocess.Popen, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    http = requests.Session()
    http.trust_env, http.verify = False, False  # a self-signed test server answers too
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url}: server exited with {proc.returncode}")
        try:
            http.get(url, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.1)
    raise RuntimeError(f"{url}: server did not start")


class CalDAVServer:
    """A real CalDAV server process; ``calendar_url`` is a calendar collection ready for use."""

    name = ""
    username, password = "docbox", "s3cret-push-password"

    def __init__(self, root: Path):
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc = None

    def command(self) -> list[str]:
        raise NotImplementedError

    def calendar_url_of(self, name: str) -> str:
        raise NotImplementedError

    def fresh_calendar(self) -> None:
        """Makes ``calendar_url`` a new empty calendar, (re)starting the server if a test left it stopped."""
        if self.proc is None or self.proc.poll() is not None:
            self.start()
        self.calendar_url = self.calendar_url_of(f"docbox-{uuid.uuid4().hex[:10]}")
        answer = self.http().request("MKCALENDAR", self.calendar_url)
        assert answer.status_code == 201, answer.text

    def start(self):
        self.proc = subprocess.Popen(self.command(), stdout=subprocess.DEVNULL,
                                     stderr=open(self.root / "server.log", "ab"))
        _wait_http(self.base + "/", self.proc)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    @property
    def auth(self):
        return (self.username, self.password)

    def http(self) -> requests.Session:
        session = requests.Session()
        session.trust_env = False
        session.verify = False  # XandikosAuth's certificate is self-signed
        session.auth = self.auth
        return session

    def objects(self) -> dict[str, str]:
        """``{resource name: iCalendar text}`` of every object in the calendar."""
        import xml.etree.ElementTree as ET
        from urllib.parse import unquote, urlsplit

        http = self.http()
        answer = http.request("PROPFIND", self.calendar_url,
                              headers={"Depth": "1", "Content-Type": "application/xml"},
                              data=b'<?xml version="1.0"?><d:propfind xmlns:d="DAV:"><d:prop><d:getetag/>'
                                   b'</d:prop></d:propfind>')
        assert answer.status_code == 207, answer.text
        base = urlsplit(self.calendar_url).path.rstrip("/")
        found = {}
        for href in ET.fromstring(answer.content).iter("{DAV:}href"):
            path = urlsplit(href.text).path
            if path.rstrip("/") == base:
                continue
            name = unquote(path.rsplit("/", 1)[-1])
            found[name] = http.get(self.calendar_url + name).text
        return found


class Radicale(CalDAVServer):
    name = "radicale"

    def __init__(self, root):
        super().__init__(root)
        (root / "users").write_text(f"{self.username}:{self.password}\n")

    def command(self):
        return [sys.executable, "-m", "radicale", "--server-hosts", f"127.0.0.1:{self.port}",
                "--storage-filesystem-folder", str(self.root / "collections"),
                "--auth-type", "htpasswd", "--auth-htpasswd-filename", str(self.root / "users"),
                "--auth-htpasswd-encryption", "plain", "--rights-type", "owner_only",
                "--logging-level", "warning"]

    def calendar_url_of(self, name):
        return f"{self.base}/{self.username}/{name}/"


class Xandikos(CalDAVServer):
    """Xandikos without authentication: it refuses Basic auth over plain HTTP."""

    name = "xandikos"

    def command(self):
        return [str(BIN / "xandikos"), "serve", "-d", str(self.root / "data"), "--defaults",
                "-l", "127.0.0.1", "-p", str(self.port), "--state-dir", str(self.root / "state"),
                "--no-detect-systemd"]

    def calendar_url_of(self, name):
        return f"{self.base}/user/calendars/{name}/"


class XandikosAuth(Xandikos):
    """Xandikos with authentication: HTTPS with its own self-signed certificate (``--autocert``) and HTTP
    Basic against an htpasswd file (it refuses Basic over plain HTTP). Clients must not verify its
    certificate (``CALDAV_VERIFY_TLS`` false), or trust ``certificate``."""

    name = "xandikos-auth"

    def __init__(self, root):
        super().__init__(root)
        import base64
        import hashlib

        self.base = f"https://127.0.0.1:{self.port}"
        digest = base64.b64encode(hashlib.sha1(self.password.encode()).digest()).decode()
        (root / "htpasswd").write_text(f"{self.username}:{{SHA}}{digest}\n")
        self.certificate = root / "state" / "certs"

    def command(self):
        return [*super().command(), "--autocert", "--htpasswd", str(self.root / "htpasswd")]
