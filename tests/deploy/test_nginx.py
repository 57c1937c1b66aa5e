"""docker/nginx/nginx.conf: one origin in front of the four services, checked with a real nginx.

The configuration is used as compose mounts it, with three changes only a test
needs: the upstream addresses point at the gunicorn processes of the
``services`` fixture, nginx listens on a free port, and its pid, temp and log
files go to the test's folder.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import requests

from support.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
CONF = ROOT / "docker" / "nginx" / "nginx.conf"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
TOKEN = "Zq0d8mF4xY7wN2kP5sR9tV3bC6hJ1lA0eG8uI4oQ7yT"

pytestmark = pytest.mark.skipif(NGINX is None, reason="nginx is not installed (apt-get install -y nginx)")

# Routes a proxy must not expose: the relay reaches /api/v1/events on the internal network, metrics
# are scraped from the services directly, health is nginx's own /healthz.
INTERNAL = {"/api/v1/events", "/metrics", "/readyz", "/healthz"}


def _local_conf(folder: Path, upstreams: dict[str, str] | None, port: int) -> Path:
    text = CONF.read_text()
    text = text.replace("/tmp/", f"{folder}/").replace("/dev/stdout", f"{folder}/access.log")
    text = text.replace("/dev/stderr", f"{folder}/error.log").replace("listen 8080", f"listen 127.0.0.1:{port}")
    for name, address in (upstreams or {}).items():
        text, count = re.subn(rf"set \${name}\s+[^;]+;", f"set ${name} {address};", text)
        assert count == 1, f"no upstream variable ${name} in nginx.conf"
    path = folder / "nginx.conf"
    path.write_text(text)
    return path


def _nginx_args(folder: Path, conf: Path, directives: str = "") -> list[str]:
    """nginx's command line; ``directives`` for -g (nginx reads only the last -g, so all in one)."""
    if os.geteuid() == 0:  # as root, keep the workers root so they can use the test's private temp folder
        directives += " user root;"
    args = [NGINX, "-p", str(folder), "-e", str(folder / "error.log"), "-c", str(conf)]
    return args + (["-g", directives.strip()] if directives.strip() else [])


def test_configuration_is_valid(tmp_path):
    conf = _local_conf(tmp_path, None, 8080)
    result = subprocess.run(_nginx_args(tmp_path, conf) + ["-t"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr


@pytest.fixture(scope="module")
def origin(services, tmp_path_factory):
    """nginx with docker/nginx/nginx.conf in front of the three running services: its base URL."""
    folder = tmp_path_factory.mktemp("nginx")
    port = free_port()
    upstreams = {"sessions": f"127.0.0.1:{services['sessions'].port}",
                 "calendar_sync": f"127.0.0.1:{services['calendar_sync'].port}",
                 "notifications": f"127.0.0.1:{services['notifications'].port}",
                 "outreach": f"127.0.0.1:{services['outreach'].port}"}
    conf = _local_conf(folder, upstreams, port)
    proc = subprocess.Popen(_nginx_args(folder, conf, "daemon off;"), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 10
    while True:
        try:
            requests.get(f"{base}/healthz", timeout=1)
            break
        except requests.RequestException:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(proc.stdout.read().decode())
            time.sleep(0.05)
    yield type("Origin", (), {"url": base, "folder": folder})
    proc.terminate()
    proc.wait(timeout=10)


def _apps():
    """Each service's Flask app (for its URL map), built as its tests build it."""
    import importlib

    return {name: importlib.import_module(f"docbox_{name}").create_app(
        {"SQLALCHEMY_DATABASE_URI": "sqlite://", "EVENT_SECRETS": ["x"]})
        for name in ("sessions", "calendar_sync", "notifications", "outreach")}


def _concrete(rule: str) -> str:
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: "x" * 8, rule)


def _comparable(response: requests.Response):
    # request ids and form (CSRF) tokens differ between the two requests
    body = re.sub(r"[A-Za-z0-9_.-]{24,}", "<id>", response.text)
    return response.status_code, response.headers.get("Content-Type"), body


# Where nginx mounts each service (prefix stripped); sessions has the root.
MOUNTS = {"sessions": "", "calendar_sync": "/calendar", "notifications": "/reminders", "outreach": "/outreach"}
# URLs of calendar_sync and notifications that other parties keep (calendar apps, links in emails, API
# clients) are also at the root; outreach is only under its prefix (its API and mentees' links too).
AT_ROOT = ("/api/v1/", "/feeds/", "/confirm/", "/manage/", "/unsubscribe/")


def _same_answer(method, direct_url, proxied_url, prefix=""):
    kwargs = {"json": {}} if method in ("POST", "PUT", "PATCH") else {}
    headers = {"X-Forwarded-Prefix": prefix} if prefix else {}  # what nginx tells the app behind a prefix
    direct = requests.request(method, direct_url, timeout=10, allow_redirects=False, headers=headers, **kwargs)
    proxied = requests.request(method, proxied_url, timeout=10, allow_redirects=False, **kwargs)
    return _comparable(proxied) == _comparable(direct), _comparable(proxied)[:2], _comparable(direct)[:2]


def test_every_route_of_every_service_reaches_that_service_through_the_proxy(services, origin):
    """The same request answered by the service owning a route directly and through the proxy: equal."""
    checked = []
    for name, app in _apps().items():
        for rule in app.url_map.iter_rules():
            if (rule.rule in INTERNAL or rule.rule.startswith(("/static/", "/internal/"))
                    or rule.rule == "/api/v1/openapi.json"):
                continue
            path = _concrete(rule.rule)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                places = [MOUNTS[name]]
                if name in ("calendar_sync", "notifications") and rule.rule.startswith(AT_ROOT):
                    places.append("")
                for prefix in places:
                    same, got, wanted = _same_answer(method, services[name].url + path, origin.url + prefix + path,
                                                     prefix)
                    assert same, f"{method} {prefix}{path} (route {rule.rule} of {name}): {got} != {wanted}"
                    checked.append((name, method, prefix + rule.rule))
    assert {n for n, _, _ in checked} == {"sessions", "calendar_sync", "notifications", "outreach"}
    assert len(checked) > 20


def test_links_behind_a_prefix_carry_it(services, origin):
    """A page served under /calendar/ or /reminders/ links within that prefix (its static files too)."""
    for name in ("calendar_sync", "notifications", "outreach"):
        page = requests.get(f"{origin.url}{MOUNTS[name]}/", timeout=10, allow_redirects=False)
        if page.status_code == 404:
            continue  # this service has no page at its root (yet)
        links = re.findall(r'(?:href|src|action)="(/[^"]*)"', page.text)
        assert links, f"{name}: no links on its page"
        for link in links:
            if link == "/":
                continue  # the site name in the shared layout: the suite's home at the origin's root
            assert link.startswith(MOUNTS[name] + "/") or link.startswith(AT_ROOT), f"{name} links to {link}"
    assert requests.get(f"{origin.url}/calendar", timeout=10, allow_redirects=False).headers["Location"].endswith(
        "/calendar/")
    # A client cannot move an app under a prefix of its choosing.
    forged = requests.get(f"{origin.url}/api/v1/openapi.json", headers={"X-Forwarded-Prefix": "/evil"}, timeout=10)
    assert forged.status_code == 200 and "/evil" not in forged.text


def test_each_openapi_document_is_published(origin):
    titles = {}
    for name in ("sessions", "calendar_sync", "notifications", "outreach"):
        response = requests.get(f"{origin.url}/openapi/{name}.json", timeout=10)
        assert response.status_code == 200
        titles[name] = response.json()["info"]["title"]
        paths = response.json()["paths"]
        assert paths, name
    assert len(set(titles.values())) == 4, titles
    assert requests.get(f"{origin.url}/api/v1/openapi.json", timeout=10).json()["info"]["title"] == titles["sessions"]


@pytest.mark.parametrize("method,path", [("POST", "/api/v1/events"), ("GET", "/metrics"), ("GET", "/readyz"),
                                         ("POST", "/api/v1/events/x"),
                                         ("GET", "/reminders/internal/mail-counts"),
                                         ("GET", "/reminders/internal/subscriber-counts"),
                                         ("GET", "/calendar/internal/subscriber-counts"),
                                         ("GET", "/internal/subscriber-counts")])
def test_internal_endpoints_are_not_public(origin, method, path):
    response = requests.request(method, origin.url + path, timeout=10, data=b"{}",
                                headers={"Content-Type": "application/json"})
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 404


def test_proxy_health_and_request_ids(origin):
    assert requests.get(f"{origin.url}/healthz", timeout=5).json() == {"status": "ok", "service": "proxy"}
    response = requests.get(f"{origin.url}/api/v1/occurrences", headers={"X-Request-Id": "trace-me-12345"}, timeout=5)
    assert response.headers["X-Request-Id"] == "trace-me-12345"
    made = requests.get(f"{origin.url}/api/v1/occurrences", timeout=5).headers["X-Request-Id"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)  # nginx's $request_id, the one its log line names


def test_too_large_bodies_are_refused_as_problem_json(origin):
    response = requests.post(f"{origin.url}/api/v1/programs", data=b"x" * (1024 * 1024 + 1), timeout=10,
                             headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.headers["Content-Type"] == "application/problem+json"


def test_access_log_is_json_without_paths_or_tokens(origin):
    marker = "log-check-000001"
    requests.get(f"{origin.url}/feeds/{TOKEN}.ics?email=ada@example.org", headers={"X-Request-Id": marker},
                 timeout=5)
    log_path = origin.folder / "access.log"
    deadline = time.monotonic() + 5
    while marker not in log_path.read_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    text = log_path.read_text() + (origin.folder / "error.log").read_text()
    assert TOKEN not in text and "ada@example.org" not in text and "/feeds/" not in text
    records = [json.loads(line) for line in log_path.read_text().splitlines()]
    mine = [r for r in records if r["request_id"] == marker]
    assert mine == [{**mine[0], "service": "calendar_sync", "status": 404, "method": "GET"}]


def test_a_service_that_is_down_answers_503_problem_json(services, tmp_path):
    """Point notifications at a closed port: its routes answer 503 problem+json, the others keep working."""
    port = free_port()
    upstreams = {"sessions": f"127.0.0.1:{services['sessions'].port}",
                 "calendar_sync": f"127.0.0.1:{services['calendar_sync'].port}",
                 "notifications": f"127.0.0.1:{free_port()}"}
    conf = _local_conf(tmp_path, upstreams, port)
    proc = subprocess.Popen(_nginx_args(tmp_path, conf, "daemon off;"))
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 10
        while True:
            try:
                requests.get(f"{base}/healthz", timeout=1)
                break
            except requests.RequestException:
                assert time.monotonic() < deadline and proc.poll() is None
                time.sleep(0.05)
        down = requests.post(f"{base}/api/v1/subscribers", json={}, timeout=10)
        assert down.status_code == 503 and down.headers["Content-Type"] == "application/problem+json"
        assert requests.get(f"{base}/feeds/{TOKEN}.ics", timeout=10).status_code == 404  # calendar_sync answers
        assert requests.get(f"{base}/api/v1/occurrences", timeout=10).status_code in (200, 401)  # sessions answers
    finally:
        proc.terminate()
        proc.wait(timeout=10)


# --- the feed cache ---------------------------------------------------------------------------------

FEED_SECONDS = 5  # `proxy_cache_valid 200 5s` in nginx.conf: how long nginx answers a feed on its own
BOUND = FEED_SECONDS + 2  # what a calendar app may wait for a change or a revoke (request time on a busy machine)
EVENT_SECRET = "deploy-test-event-secret"  # the `services` fixture's DOCBOX_EVENT_SECRET


def _publish(services, kind: str, state: dict, version: int = 1) -> None:
    """What the sessions relay does: a signed event to calendar_sync on the internal network."""
    import uuid
    from datetime import datetime, timezone

    from docbox_shared import signing
    from docbox_shared.events import dump_event

    body = json.dumps(dump_event(event_id=uuid.uuid4(), occurred_at=datetime.now(timezone.utc), kind=kind,
                                 entry_id=state["id"], version=version, state=state)).encode()
    answer = requests.post(f"{services['calendar_sync'].url}/api/v1/events", data=body, timeout=10,
                           headers={**signing.sign(body, EVENT_SECRET), "Content-Type": "application/json"})
    assert answer.status_code == 200, answer.text


@pytest.fixture(scope="module")
def program(services):
    from datetime import datetime, timezone

    at = datetime.now(timezone.utc)
    state = {"id": "nginx-cache-program", "slug": "nginx-cache", "name": "Cache check", "timezone": "Europe/Berlin",
             "open": True, "description": "", "created_at": at, "updated_at": at}
    _publish(services, "program", state)
    return state


def _session(program: dict, number: int, title: str) -> dict:
    from datetime import datetime, timedelta, timezone

    at = datetime.now(timezone.utc)
    start = (at + timedelta(days=3 + number)).replace(microsecond=0)
    return {"id": f"nginx-cache-session-{number}", "program_id": program["id"], "title": title,
            "description": "", "format": "in_person", "location": "Room 1", "video_url": None, "capacity": None,
            "timezone": "Europe/Berlin", "start": start, "end": start + timedelta(hours=1), "status": "scheduled",
            "created_at": at, "updated_at": at}


def _new_feed(origin, program: dict) -> tuple[str, str]:
    """A subscriber's new feed, made through the proxy: (its path, its token)."""
    answer = requests.post(f"{origin.url}/api/v1/feeds", json={"programs": [program["slug"]]}, timeout=10)
    assert answer.status_code == 201, answer.text
    path = "/feeds/" + answer.json()["url"].rsplit("/feeds/", 1)[1]
    return path, path[len("/feeds/"):-len(".ics")]


def _reached_calendar_sync(services, request_ids: list[str]) -> list[str]:
    """Which of these requests calendar_sync itself answered (its access log names each request id)."""
    time.sleep(0.3)  # its log line is written after the answer
    text = services["calendar_sync"].log()
    return [rid for rid in request_ids if rid in text]


def _seconds_until(check) -> float:
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < 30, "never happened"
        time.sleep(0.1)
    return time.monotonic() - started


def test_an_unchanged_feed_is_answered_by_nginx_and_a_change_shows_within_seconds(services, origin, program):
    _publish(services, "session", _session(program, 1, "Journal club"))
    path, _token = _new_feed(origin, program)
    first = requests.get(origin.url + path, timeout=10)
    assert first.status_code == 200 and "Journal club" in first.text
    etag = first.headers["ETag"]
    # Calendar apps polling an unchanged feed: nginx answers (200s and 304s), calendar_sync is not asked.
    ids = [f"feed-cache-poll-{i:04d}" for i in range(10)]
    for i, rid in enumerate(ids):
        conditional = {"If-None-Match": etag} if i % 2 else {}
        answer = requests.get(origin.url + path, headers={"X-Request-Id": rid, **conditional}, timeout=10)
        assert answer.status_code == (304 if conditional else 200)
        assert answer.headers["X-Request-Id"] == rid  # its own request id, not the one that filled the cache
        assert answer.headers["Cache-Control"] == "private, no-cache"  # clients still ask every time
        assert answer.headers["ETag"] == etag
    assert len(_reached_calendar_sync(services, ids)) <= 1  # one, if the 5 s ran out in the middle
    # A change is in the feed within the bound, also for the app that sends its old ETag.
    _publish(services, "session", _session(program, 2, "Morbidity and mortality"))
    waited = _seconds_until(lambda: "Morbidity and mortality" in requests.get(
        origin.url + path, headers={"If-None-Match": etag}, timeout=10).text)
    assert waited <= BOUND, f"the change took {waited:.1f} s to show"


def test_a_revoked_feed_is_refused_within_seconds_and_its_404_is_never_cached(services, origin, program):
    path, token = _new_feed(origin, program)
    assert requests.get(origin.url + path, timeout=10).status_code == 200  # now in the cache
    assert requests.post(f"{origin.url}/api/v1/feeds/revoke", json={"token": token}, timeout=10).status_code == 204
    waited = _seconds_until(lambda: requests.get(origin.url + path, timeout=10).status_code == 404)
    assert waited <= BOUND, f"the revoked feed was still served after {waited:.1f} s"
    # Refused from then on, each time by calendar_sync itself: nginx keeps no 404 (nor any other error).
    ids = [f"feed-cache-gone-{i:04d}" for i in range(3)]
    for rid in ids:
        answer = requests.get(origin.url + path, headers={"X-Request-Id": rid}, timeout=10)
        assert answer.status_code == 404 and answer.headers["Content-Type"] == "application/problem+json"
        assert requests.head(origin.url + path, timeout=10).status_code == 404
    assert _reached_calendar_sync(services, ids) == ids


def test_feed_tokens_reach_no_disk_and_no_log(services, origin, program):
    """nginx writes each cache key, the feed's path with its token, into the cache file: that file may
    only be in /tmp, which compose mounts as a tmpfs (memory) in a read-only container."""
    import yaml

    path, token = _new_feed(origin, program)
    for _ in range(3):
        requests.get(origin.url + path, timeout=10)
    holding = [p.relative_to(origin.folder) for p in origin.folder.rglob("*")
               if p.is_file() and token.encode() in p.read_bytes()]
    assert holding and all(p.parts[0] == "nginx_feeds" for p in holding), holding  # the cache, nothing else
    text = CONF.read_text()
    assert re.search(r"^\s*proxy_cache_path\s+/tmp/nginx_feeds\s", text, re.MULTILINE)
    # Every path nginx writes in the container is in /tmp (the logs go to stdout and stderr).
    for place in re.findall(r"^\s*(?:\w+_temp_path|proxy_cache_path|pid)\s+(\S+)", text, re.MULTILINE):
        assert place.rstrip(";").startswith("/tmp/"), place
    proxy = yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]["proxy"]
    assert proxy["read_only"] is True and "/tmp" in proxy["tmpfs"]
    assert all(volume.endswith(":ro") for volume in proxy["volumes"])
    logs = (origin.folder / "access.log").read_text() + (origin.folder / "error.log").read_text()
    assert token not in logs and "/feeds/" not in logs
    assert '"cache":"HIT"' in logs  # operators see the cache at work
