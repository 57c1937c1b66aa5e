"""The whole Doc Box suite as real processes (tests/suite and bench/ use it), as ``make run``'s Procfile starts
it: the four gunicorn services (sessions, calendar_sync, notifications, outreach), the relay, the three
workers, an SMTP sink (aiosmtpd) and a Radicale CalDAV server, each service on its own database on the test
database server (PostgreSQL in CI's second pass, SQLite files otherwise).

Staff (``STAFF``) are added through the sessions service's real ``staff`` commands: one per group-sessions
role and the outreach roles (a coordinator, two mentors, a referrer, a supporter: outreach only, no
group-sessions role). ``tokens`` holds their API tokens; ``sign_in(name)`` gives a browser signed in on
the sessions sign-in page, the suite's one sign-in, whose cookie every service honours.

``suite`` is module-scoped: starting everything costs a few seconds. Its
``stop(name)``, ``kill(name)`` and ``start(name)`` let tests take processes
away and bring them back; ``logs()`` returns everything every process wrote.
"""

from __future__ import annotations

import email
import json
import os
import re
import signal
import subprocess
import sys
import time
from email import policy
from pathlib import Path

import requests

from support.ports import free_port

BIN = Path(sys.executable).parent
SECRET = "suite-event-secret"
ADMIN_TOKEN = "suite-notifications-admin-token"
PASSWORD = "a long passphrase the suite signs in with"
SERVICES = ("sessions", "calendar_sync", "notifications", "outreach")
# name -> (email, group-sessions role, outreach role); "none": no role in that area.
STAFF = {
    "admin": ("admin@suite.example", "admin", "none"),
    "organizer": ("organizer@suite.example", "organizer", "none"),
    "facilitator": ("facilitator@suite.example", "facilitator", "none"),
    "coordinator": ("coordinator@suite.example", "none", "coordinator"),
    "mentor": ("mentor.one@suite.example", "none", "mentor"),
    "mentor2": ("mentor.two@suite.example", "none", "mentor"),
    "referrer": ("referrer@suite.example", "none", "referrer"),
    "supporter": ("supporter@suite.example", "none", "supporter"),
}
# One Python process adds every staff member with the real commands (a `flask` run each would cost seconds).
_ADD_STAFF = """
import json, sys
from docbox_sessions import create_app
staff, password = json.loads(sys.argv[1]), sys.argv[2]
runner = create_app().test_cli_runner()
tokens = {}
for name, (email, role, outreach) in staff.items():
    out = runner.invoke(args=["staff", "add", email, "--role", role, "--outreach-role", outreach])
    assert out.exit_code == 0, out.output
    tokens[name] = out.output.strip().splitlines()[-1]
    out = runner.invoke(args=["staff", "set-password", email, "--password-stdin"], input=password + "\\n")
    assert out.exit_code == 0, out.output
print(json.dumps(tokens))
"""


def wait_until(condition, timeout: float = 30.0, interval: float = 0.2):
    """Poll ``condition`` until it returns something truthy; that value, or None on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    return None


class Suite:
    def __init__(self, root: Path, databases, log_level: str = "INFO"):
        self.root = root
        self.logs_dir = root / "logs"
        self.logs_dir.mkdir(parents=True)
        self.mail_dir = root / "mail"
        self.ports = {name: free_port() for name in (*SERVICES, "smtp", "radicale")}
        self.url = {name: f"http://127.0.0.1:{self.ports[name]}" for name in SERVICES}
        self.radicale_url = f"http://127.0.0.1:{self.ports['radicale']}"
        self.calendar_url = f"{self.radicale_url}/docbox/suite/"
        self.env = {
            **os.environ,
            "PATH": f"{BIN}:{os.environ.get('PATH', '')}",
            "DOCBOX_VAR_DIR": str(root / "var"),
            "DOCBOX_LOG_LEVEL": log_level,
            "DOCBOX_EVENT_SECRET": SECRET,
            "DOCBOX_SESSIONS_DATABASE_URL": databases("suite_sessions"),
            "DOCBOX_CALENDAR_SYNC_DATABASE_URL": databases("suite_calendar_sync"),
            "DOCBOX_NOTIFICATIONS_DATABASE_URL": databases("suite_notifications"),
            "DOCBOX_OUTREACH_DATABASE_URL": databases("suite_outreach"),
            "DOCBOX_SESSIONS_URL": self.url["sessions"],
            "DOCBOX_CALENDAR_SYNC_URL": self.url["calendar_sync"],
            "DOCBOX_NOTIFICATIONS_URL": self.url["notifications"],
            "DOCBOX_OUTREACH_URL": self.url["outreach"],
            "DOCBOX_OUTREACH_SECRET_KEYS": "suite-outreach-page-key",
            "DOCBOX_OUTREACH_POLL_SECONDS": "0.3",
            "DOCBOX_OUTREACH_LEASE_SECONDS": "3",
            "DOCBOX_STAFF_LOGIN_URL": self.url["sessions"] + "/login",
            "DOCBOX_EVENT_SUBSCRIBERS": f"{self.url['calendar_sync']}/api/v1/events,{self.url['notifications']}/api/v1/events",
            "DOCBOX_RELAY_MAX_BACKOFF": "2",
            "DOCBOX_WORKER_INTERVAL": "0.3",
            "DOCBOX_NOTIFICATIONS_POLL_SECONDS": "0.3",
            "DOCBOX_NOTIFICATIONS_ADMIN_TOKEN": ADMIN_TOKEN,
            "DOCBOX_NOTIFICATIONS_RATE_PER_CLIENT": "1000",
            "DOCBOX_SMTP_HOST": "127.0.0.1",
            "DOCBOX_SMTP_PORT": str(self.ports["smtp"]),
            "DOCBOX_NOTIFICATIONS_LEASE_SECONDS": "3",
            "DOCBOX_CALDAV_LEASE_SECONDS": "3",
        }
        gunicorn = [str(BIN / "gunicorn"), "--workers", "2", "--graceful-timeout", "5", "--error-logfile", "-", "--no-control-socket"]
        flask = [str(BIN / "flask"), "--app"]
        self.commands = {
            "sessions": [*gunicorn, "--bind", f"127.0.0.1:{self.ports['sessions']}", "docbox_sessions.wsgi:app"],
            "calendar_sync": [*gunicorn, "--bind", f"127.0.0.1:{self.ports['calendar_sync']}", "docbox_calendar_sync.wsgi:app"],
            "notifications": [*gunicorn, "--bind", f"127.0.0.1:{self.ports['notifications']}", "docbox_notifications.wsgi:app"],
            "outreach": [*gunicorn, "--bind", f"127.0.0.1:{self.ports['outreach']}", "docbox_outreach.wsgi:app"],
            "relay": [*flask, "docbox_sessions", "relay"],
            "calendar_sync_worker": [*flask, "docbox_calendar_sync", "worker"],
            "notifications_worker": [*flask, "docbox_notifications", "worker"],
            "outreach_worker": [*flask, "docbox_outreach", "worker"],
            "mailsink": [sys.executable, "-m", "docbox_notifications.mailsink", "--port", str(self.ports["smtp"]),
                         "--dir", str(self.mail_dir)],
            "radicale": [sys.executable, "-m", "radicale", "--server-hosts", f"127.0.0.1:{self.ports['radicale']}",
                         "--storage-filesystem-folder", str(root / "radicale"), "--auth-type", "none",
                         "--logging-level", "warning"],
        }
        self.processes: dict[str, subprocess.Popen] = {}
        self.http = requests.Session()
        self.http.trust_env = False
        self.dav = requests.Session()  # Radicale (auth "none" still wants a user name to own the calendar)
        self.dav.trust_env, self.dav.auth = False, ("docbox", "radicale-password")

    PROCESSES = ("radicale", "mailsink", "sessions", "calendar_sync", "notifications", "outreach", "relay",
                 "calendar_sync_worker", "notifications_worker", "outreach_worker")

    def prepare(self) -> None:
        """Migrate the four databases and add the staff of ``STAFF`` (their API tokens: ``self.tokens``)."""
        # The databases are independent: migrated side by side (each command spends seconds importing).
        upgrades = [subprocess.Popen([str(BIN / "flask"), "--app", f"docbox_{service}", "db", "upgrade"], env=self.env,
                                     text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                    for service in SERVICES]
        for upgrade in upgrades:
            _, stderr = upgrade.communicate(timeout=180)
            assert upgrade.returncode == 0, stderr
        added = subprocess.run([sys.executable, "-c", _ADD_STAFF, json.dumps(STAFF), PASSWORD], env=self.env,
                               capture_output=True, text=True, timeout=180)
        assert added.returncode == 0, added.stderr
        self.tokens = json.loads(added.stdout.strip().splitlines()[-1])

    def start_all(self) -> None:
        # All at once, then wait for each: the relay and the workers retry until their peers answer.
        for name in self.PROCESSES:
            self.start(name, wait=False)
        for name in self.PROCESSES:
            self._wait_ready(name)

    # --- processes -------------------------------------------------------------
    def run(self, *args: str) -> str:
        result = subprocess.run([str(BIN / "flask"), *args], env=self.env, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        return result.stdout

    def start(self, name: str, wait: bool = True) -> None:
        log = open(self.logs_dir / f"{name}.log", "ab")
        self.processes[name] = subprocess.Popen(self.commands[name], env=self.env, stdout=log, stderr=log,
                                                start_new_session=True)
        if wait:
            self._wait_ready(name)

    def _wait_ready(self, name: str) -> None:
        base = self.url.get(name) or (self.radicale_url if name == "radicale" else None)
        if base:
            path = "/readyz" if name in self.url else "/"
            assert wait_until(lambda: self._answers(base + path), timeout=60), f"{name} did not start"

    def _answers(self, url: str) -> bool:
        try:
            return self.http.get(url, timeout=1).status_code < 500
        except requests.RequestException:
            return False

    def stop(self, name: str, sig: int = signal.SIGTERM) -> None:
        process = self.processes.pop(name, None)
        if process and process.poll() is None:
            os.killpg(process.pid, sig)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def kill(self, name: str) -> None:
        self.stop(name, signal.SIGKILL)

    def stop_all(self) -> None:
        for name in list(self.processes):
            self.stop(name)

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.logs_dir.glob("*.log")))

    # --- the people using it ---------------------------------------------------
    def api(self, service: str, method: str, path: str, token: str | None = None, **kwargs) -> requests.Response:
        headers = kwargs.pop("headers", {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return self.http.request(method, self.url[service] + path, headers=headers, timeout=30, **kwargs)

    def sign_in(self, name: str) -> requests.Session:
        """A browser signed in as ``STAFF[name]`` on the sessions sign-in page (email and password, CSRF token)."""
        browser = requests.Session()
        browser.trust_env = False
        login = self.url["sessions"] + "/login"
        token = re.search(r'name="csrf_token" value="([^"]+)"', browser.get(login, timeout=30).text).group(1)
        answer = browser.post(login, data={"email": STAFF[name][0], "password": PASSWORD, "csrf_token": token},
                              allow_redirects=False, timeout=30)
        assert answer.status_code == 302, answer.text
        return browser

    def messages(self) -> list[email.message.EmailMessage]:
        if not self.mail_dir.exists():
            return []
        return [email.message_from_bytes(p.read_bytes(), policy=policy.default)
                for p in sorted(self.mail_dir.glob("*.eml"))]


def links(message, kind: str) -> list[str]:
    """Links of one kind (confirm, manage, unsubscribe) found in a message's text."""
    body = message.get_body(preferencelist=("plain", "html")).get_content()
    return re.findall(rf"https?://[^\s\"'<>]+/{kind}/[A-Za-z0-9_\-]+", body)
