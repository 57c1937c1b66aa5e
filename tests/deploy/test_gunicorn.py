"""docker/gunicorn.conf.py: worker count, JSON logs without secrets, the client address behind the proxy."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "docker" / "gunicorn.conf.py"
GUNICORN = Path(sys.executable).parent / "gunicorn"
SECRET = "deploy-test-event-secret"  # the `services` fixture's DOCBOX_EVENT_SECRET
TOKEN = "Zq0d8mF4xY7wN2kP5sR9tV3bC6hJ1lA0eG8uI4oQ7yT"  # shaped like a capability token (256 bits)


def _config(monkeypatch, **env: str) -> dict:
    """The settings the config file gives gunicorn under this environment (its module-level names)."""
    for key in list(os.environ):
        if key.startswith("GUNICORN_") or key == "PORT":
            monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    namespace: dict = {}
    exec(compile(CONFIG.read_text(), str(CONFIG), "exec"), namespace)
    return namespace


def test_workers_follow_the_cpu_count_under_a_cap_and_can_be_set_exactly(monkeypatch):
    cpus = _config(monkeypatch)["cpu_count"]()
    assert 1 <= cpus <= len(os.sched_getaffinity(0))  # a cgroup CPU quota may lower it
    assert _config(monkeypatch)["workers"] == min(2 * cpus + 1, 8)
    assert _config(monkeypatch, GUNICORN_MAX_WORKERS="2")["workers"] == 2
    assert _config(monkeypatch, GUNICORN_WORKERS="7", GUNICORN_MAX_WORKERS="2")["workers"] == 7


def test_gunicorn_takes_the_config_bind_timeouts_and_no_access_log():
    """What gunicorn itself makes of the file (``--print-config``): every name in it is a setting it knows."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("GUNICORN_")}
    environ.update(PORT="5002", GUNICORN_GRACEFUL_TIMEOUT="45", GUNICORN_MAX_WORKERS="3")
    out = subprocess.run([str(GUNICORN), "--config", str(CONFIG), "--print-config", "docbox_sessions.wsgi:app"],
                         env=environ, capture_output=True, text=True, timeout=60, check=True).stdout
    settings = {key.strip(): value.strip() for key, sep, value in (line.partition("=") for line in out.splitlines())
                if sep}
    assert settings["bind"] == "['0.0.0.0:5002']" and settings["workers"] == "3"
    assert settings["graceful_timeout"] == "45" and settings["timeout"] == "30"
    assert settings["accesslog"] == "None"  # the apps log the route; gunicorn would log the raw path
    assert settings["control_socket_disable"] == "True"


def test_log_is_json_lines_without_tokens_queries_or_addresses(services):
    server = services["calendar_sync"]
    feed = requests.get(f"{server.url}/feeds/{TOKEN}.ics?email=ada@example.org", timeout=5)
    assert feed.status_code == 404  # unknown token: answered like any other unknown feed
    # A request line gunicorn cannot parse: gunicorn logs it itself (the app never sees it).
    import socket

    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(f"GET /manage/{TOKEN}?to=ada@example.org HTTP/1.1 EXTRA\r\n\r\n".encode())
        sock.recv(1024)
    log = _wait_for(server.log, "Invalid request")
    assert "Invalid request" in log  # gunicorn logged the bad request line itself, masked
    lines = [line for line in log.splitlines() if line.strip()]
    assert lines, "nothing logged"
    for line in lines:
        record = json.loads(line)  # every line is a JSON object
        assert {"ts", "level", "logger", "msg"} <= set(record)
    assert TOKEN not in log and "ada@example.org" not in log and "email=" not in log
    access = [json.loads(line) for line in lines if json.loads(line)["logger"].endswith(".access")]
    assert any(r["route"] == "/feeds/<token>.ics" and r["status"] == 404 and r.get("request_id") for r in access)
    assert any(json.loads(line)["logger"] == "gunicorn.error" for line in lines)


def test_behind_the_proxy_rate_limits_count_each_client_not_the_proxy(services):
    # configured as in compose: one trusted proxy hop; the limit lowered to 2 requests per client
    server = services["notifications"]
    _publish_program(server.url, "p1")

    def subscribe(forwarded_for: str) -> int:
        return requests.post(f"{server.url}/api/v1/subscribers", timeout=5,
                             json={"email": "someone@example.org", "programs": ["p1"]},
                             headers={"X-Forwarded-For": forwarded_for}).status_code

    # Three clients behind nginx, each within its own limit of 2 an hour:
    assert [subscribe(ip) for ip in ("192.0.2.1", "192.0.2.2", "192.0.2.3")] == [202, 202, 202]
    # One client over its limit; a client putting a made-up address first does not escape it, since
    # only the last entry (the one nginx appended) is trusted:
    assert [subscribe("192.0.2.9") for _ in range(2)] == [202, 202]
    assert subscribe("198.51.100.7, 192.0.2.9") == 429


def _publish_program(base: str, program_id: str) -> None:
    """A program, delivered the way the sessions relay delivers it (signed envelope)."""
    import uuid
    from datetime import datetime, timedelta, timezone

    from docbox_shared import signing
    from docbox_shared.events import dump_event

    now = datetime.now(timezone.utc)
    state = {"id": program_id, "created_at": now - timedelta(days=1), "updated_at": now, "slug": program_id,
             "name": "Balint group", "timezone": "Europe/Berlin", "open": True, "email_subject": None}
    body = json.dumps(dump_event(event_id=uuid.uuid4(), occurred_at=now, kind="program", entry_id=program_id,
                                 version=1, state=state)).encode()
    headers = {**signing.sign(body, SECRET), "Content-Type": "application/json"}
    response = requests.post(f"{base}/api/v1/events", data=body, headers=headers, timeout=5)
    assert response.status_code == 200, response.text


def _wait_for(read, text: str, seconds: float = 5.0) -> str:
    import time

    deadline = time.monotonic() + seconds
    while text not in (content := read()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return content
