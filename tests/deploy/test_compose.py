"""compose.yaml, the Dockerfile and .env.example agree with each other and with the code they run.

No Docker engine runs in CI: what an engine would find at ``docker compose up``
(an invalid file, a command that does not exist, a setting nobody passes, a
secret left at its development value) is found here instead.
"""

from __future__ import annotations

import importlib
import json
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import jsonschema
import pytest

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = Path(__file__).with_name("compose-spec.json")


def _docbox_services(kit):
    """``{compose service: docbox service package}`` for the containers running Doc Box."""
    found = {}
    for name in kit.compose["services"]:
        target = kit.environment(name).get("DOCBOX_SERVICE")
        if target:
            found[name] = target
    return found


def test_compose_file_is_valid_against_the_compose_specification(kit):
    schema = json.loads(SCHEMA.read_text())
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(kit.compose), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{'/'.join(map(str, e.path))}: {e.message}" for e in errors)


def test_schema_copy_names_its_origin():
    readme = (Path(__file__).parent / "README.md").read_text()
    assert "compose-spec/compose-spec" in readme and "170098ba07d9" in readme and "Apache" in readme


def test_every_doc_box_process_is_in_compose(kit):
    commands = {name: " ".join(spec.get("command") or []) for name, spec in kit.compose["services"].items()}
    for service in ("sessions", "calendar_sync", "notifications", "outreach"):
        assert any(f"docbox_{service}.wsgi:app" in c for c in commands.values()), f"no web process for {service}"
    assert any(c.endswith("docbox_sessions relay") for c in commands.values())
    assert any(c.endswith("docbox_calendar_sync worker") for c in commands.values())
    assert any(c.endswith("docbox_notifications worker") for c in commands.values())
    assert any(c.endswith("docbox_outreach worker") for c in commands.values())
    assert {"postgres", "proxy", "mailpit", "radicale"} <= set(kit.compose["services"])


# Checks run inside a fresh interpreter per service with exactly the container's environment: the
# settings are read in production mode, the way the container reads them, and the commands are looked
# up in the same click groups `flask --app ...` uses (Flask-Migrate's `db` comes in through an entry point).
_CHECK = r"""
import importlib, json, sys
import click
from flask.cli import FlaskGroup, ScriptInfo

_apps = {}

def _app(package):
    # one app per package and process: the one gunicorn would serve (its wsgi module), else create_app()
    if package not in _apps:
        try:
            _apps[package] = importlib.import_module(package + ".wsgi").app
        except ModuleNotFoundError:
            _apps[package] = importlib.import_module(package).create_app()
    return _apps[package]

def check(argv):
    if argv[0] == "gunicorn":
        config = argv[argv.index("--config") + 1]
        module, _, attr = argv[-1].partition(":")
        app = getattr(importlib.import_module(module), attr)
        _apps[module.rsplit(".", 1)[0]] = app
        return {"config": config, "app": app.name, "env": app.config["DOCBOX_ENV"]}
    if argv[0] != "flask":
        return {"error": f"unknown program {argv[0]}"}
    package = argv[argv.index("--app") + 1]
    app = _app(package)
    group = FlaskGroup(create_app=lambda: app)
    ctx = click.Context(group, obj=ScriptInfo(create_app=lambda: app))
    command, path = group, []
    for word in argv[argv.index("--app") + 2:]:
        if word.startswith("-"):
            continue
        if not isinstance(command, click.Group):
            break
        command = command.get_command(ctx, word)
        if command is None:
            return {"error": f"no command {' '.join(path + [word])!r} in {package}"}
        path.append(word)
    return {"command": path, "env": app.config["DOCBOX_ENV"]}

results = []
for argv in json.loads(sys.argv[1]):
    try:
        results.append(check(argv))
    except BaseException as exc:  # SystemExit from a refused setting included
        results.append({"error": f"{type(exc).__name__}: {exc}"})
print(json.dumps(results))
"""

# Commands docs/deploy.md tells operators to run: they must exist as written.
ADMIN_COMMANDS = {
    "sessions": [
        ["flask", "--app", "docbox_sessions", "db", "upgrade"],
        ["flask", "--app", "docbox_sessions", "staff", "add", "ada@example.org", "--role", "admin"],
        ["flask", "--app", "docbox_sessions", "staff", "set-password", "ada@example.org"],
        ["flask", "--app", "docbox_sessions", "seed-demo"],
        ["flask", "--app", "docbox_sessions", "outbox", "republish", "http://calendar-sync:5002/api/v1/events"],
    ],
    "calendar-sync": [
        ["flask", "--app", "docbox_calendar_sync", "db", "upgrade"],
        ["flask", "--app", "docbox_calendar_sync", "rotate-secrets"],
    ],
    "notifications": [
        ["flask", "--app", "docbox_notifications", "db", "upgrade"],
    ],
    "outreach": [
        ["flask", "--app", "docbox_outreach", "db", "upgrade"],
    ],
}


def _child_env(kit, service, tmp_path, overrides=None):
    env = kit.environment(service, overrides)
    env["PATH"] = f"{Path(sys.executable).parent}:/usr/bin:/bin"
    env["DOCBOX_VAR_DIR"] = str(tmp_path)  # the image's /tmp/docbox: only SQLite would write there
    return env


@pytest.fixture(scope="module")
def checked(kit, tmp_path_factory):
    """``{(compose service, argv tuple): result}`` for every container's command and the admin commands."""
    tmp_path = tmp_path_factory.mktemp("checks")
    # Containers with the same environment (a web process and its relay or worker) share one interpreter.
    groups: dict[tuple, list[tuple[str, list[str]]]] = {}
    for name in _docbox_services(kit):
        env = _child_env(kit, name, tmp_path)
        key = tuple(sorted(env.items()))
        groups.setdefault(key, [])
        groups[key] += [(name, kit.compose["services"][name]["command"])]
        groups[key] += [(name, argv) for argv in ADMIN_COMMANDS.get(name, [])]
    jobs = []
    for key, items in groups.items():
        argvs = [argv for _, argv in items]
        jobs.append((items, subprocess.Popen([sys.executable, "-c", _CHECK, json.dumps(argvs)], cwd=tmp_path,
                                             env=dict(key), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                             text=True)))
    results = {}
    for items, proc in jobs:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, f"{items[0][0]}: the check did not run:\n{err[-3000:]}"
        for (name, argv), result in zip(items, json.loads(out.strip().splitlines()[-1])):
            results[(name, tuple(argv))] = result
    return results


def test_every_command_exists_and_starts_in_production_with_the_compose_environment(kit, checked):
    checked_count = 0
    for name, package in _docbox_services(kit).items():
        argv = kit.compose["services"][name]["command"]
        out = checked[(name, tuple(argv))]
        assert "error" not in out, f"{name}: {argv}: {out.get('error')}"
        assert out["env"] == "production", name
        if argv[0] == "gunicorn":
            assert out["app"] == f"docbox_{package}"
            assert out["config"] in _copied_files(kit), f"{out['config']} is not copied into the image"
        checked_count += 1
    assert checked_count == 8  # four web processes, the relay, three workers


@pytest.mark.parametrize("service,argv", [(s, a) for s, argvs in ADMIN_COMMANDS.items() for a in argvs],
                         ids=lambda v: " ".join(v[2:4]) if isinstance(v, list) else v)
def test_admin_commands_in_the_deploy_guide_exist(checked, service, argv):
    out = checked[(service, tuple(argv))]
    assert "error" not in out, out.get("error")
    assert out["command"] == [w for w in argv[3:] if not w.startswith("-")][:len(out["command"])]
    assert " ".join(argv) in (ROOT / "docs" / "deploy.md").read_text(), "the guide should show the command"


def test_a_service_refuses_to_start_when_a_secret_is_left_at_its_development_value(kit, tmp_path):
    env = _child_env(kit, "notifications", tmp_path,
                     {"DOCBOX_NOTIFICATIONS_ADMIN_TOKEN": "dev-admin-token-not-for-production"})
    result = subprocess.run([sys.executable, "-c", "import docbox_notifications.wsgi"], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "DOCBOX_NOTIFICATIONS_ADMIN_TOKEN" in result.stderr


def test_compose_refuses_to_start_without_the_secrets(kit):
    with pytest.raises(ValueError, match="DOCBOX_EVENT_SECRET"):
        kit.environment("sessions", {"DOCBOX_EVENT_SECRET": ""})


def test_every_setting_of_every_service_is_wired_and_its_secrets_are_required(kit):
    """Each setting in a service's config.py reaches each of its containers; secrets come from .env, required."""
    for name, package in _docbox_services(kit).items():
        config = importlib.import_module(f"docbox_{package}.config")
        declared = kit.compose["services"][name]["environment"]
        for setting in config.SETTINGS:
            assert setting.env in declared, f"{name}: {setting.env} ({setting.help}) is not passed"
            if setting.secret:
                raw = str(declared[setting.env])
                assert re.search(r"\$\{[A-Z0-9_]+:\?", raw), f"{name}: secret {setting.env} must be ${{VAR:?...}}"
                assert kit.environment(name)[setting.env], f"{name}: {setting.env} is empty"


def test_services_that_share_a_variable_name_get_their_own_keys(kit):
    # DOCBOX_SECRET_KEYS means Fernet keys to calendar_sync and HMAC keys to notifications.
    assert kit.environment("calendar-sync")["DOCBOX_SECRET_KEYS"] != kit.environment("notifications")["DOCBOX_SECRET_KEYS"]
    from cryptography.fernet import Fernet

    for key in kit.environment("calendar-sync")["DOCBOX_SECRET_KEYS"].split(","):
        Fernet(key)


def test_every_variable_compose_reads_is_documented_in_env_example(kit):
    documented = {}
    lines = (ROOT / ".env.example").read_text().splitlines()
    for number, line in enumerate(lines):
        match = re.match(r"^([A-Z][A-Z0-9_]*)=", line)
        if match:
            above = number - 1  # a comment may explain a block of variables: skip up over the block
            while above >= 0 and re.match(r"^[A-Z][A-Z0-9_]*=", lines[above]):
                above -= 1
            documented[match.group(1)] = above >= 0 and lines[above].startswith("#")
    used = set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)", kit.compose_text))
    assert used, "compose.yaml reads no variables?"
    missing = sorted(used - set(documented))
    assert not missing, f"not in .env.example: {missing}"
    uncommented = sorted(name for name in used if not documented[name])
    assert not uncommented, f"no comment above: {uncommented}"


def test_env_example_holds_no_secret_value_and_new_env_fills_every_one(kit):
    example = dict(re.findall(r"^([A-Z][A-Z0-9_]*)=(.*)$", (ROOT / ".env.example").read_text(), re.MULTILINE))
    secret_vars = set()
    for name, spec in kit.compose["services"].items():
        package = kit.environment(name).get("DOCBOX_SERVICE")
        if not package:
            continue
        config = importlib.import_module(f"docbox_{package}.config")
        for setting in config.SETTINGS:
            if setting.secret:
                secret_vars.update(re.findall(r"\$\{([A-Z0-9_]+)", str(spec["environment"][setting.env])))
    for spec in kit.compose["services"].values():
        for key, value in (spec.get("environment") or {}).items():
            if "PASSWORD" in key:
                secret_vars.update(re.findall(r"\$\{([A-Z0-9_]+)", str(value)))
    secret_vars.discard("DOCBOX_SMTP_PASSWORD")  # your mail provider's, not ours to generate
    for name in sorted(secret_vars):
        assert example[name] == "", f".env.example must not ship a value for {name}"
        assert len(kit.dotenv[name]) >= 40, f"docker/new-env.py did not generate {name}"
    values = [kit.dotenv[name] for name in secret_vars]
    assert len(set(values)) == len(values), "every secret must be generated separately"


def _copied_files(kit) -> dict[str, Path]:
    """``{path in the image: source in the repository}`` of the Dockerfile's COPY lines (not --from)."""
    copied = {}
    for lines in kit.stages.values():
        for line in lines:
            if not line.upper().startswith("COPY ") or "--from" in line:
                continue
            words = [w for w in line.split()[1:] if not w.startswith("--")]
            *sources, dest = words
            for source in sources:
                path = ROOT / source
                assert path.exists(), f"Dockerfile copies {source}, which does not exist"
                if dest.endswith("/"):
                    copied[dest + Path(source).name] = path
                else:
                    copied[dest] = path
    return copied


def test_every_file_the_dockerfile_copies_exists(kit):
    copied = _copied_files(kit)
    assert copied["/app/entrypoint.sh"] == ROOT / "docker" / "entrypoint.sh"
    assert copied["/app/gunicorn.conf.py"] == ROOT / "docker" / "gunicorn.conf.py"
    # the entrypoint runs /app/migrate.py: it must be in the image too
    assert "/app/migrate.py" in (ROOT / "docker" / "entrypoint.sh").read_text()
    assert copied["/app/migrate.py"] == ROOT / "docker" / "migrate.py"
    ignore = (ROOT / "docker" / "Dockerfile.dockerignore").read_text()
    for source in copied.values():
        relative = source.relative_to(ROOT).as_posix()
        assert any(relative == line[1:].rstrip("/") or relative.startswith(line[1:].rstrip("/") + "/")
                   for line in ignore.splitlines() if line.startswith("!")), f"{relative} is excluded from the context"


def test_images_are_multi_stage_and_run_as_a_non_root_user(kit):
    for target in ("sessions", "calendar_sync", "notifications", "outreach", "radicale"):
        lines = kit.stages[target]
        users = [line.split()[1] for line in lines if line.upper().startswith("USER ")]
        assert users and users[-1] not in ("root", "0"), f"{target} runs as root"
        assert any("from=builder" in line for line in lines), f"{target} does not install from the builder"
        assert not any(re.search(r"curl[^|]*\|\s*(ba)?sh", line) for line in lines)
    assert re.search(r"^FROM \$\{PYTHON_IMAGE\} AS builder", kit.dockerfile, re.MULTILINE)
    assert "python:3.11-slim" in kit.dockerfile


def test_build_targets_files_and_volumes_exist(kit):
    for name, spec in kit.compose["services"].items():
        build = spec.get("build")
        if build:
            assert (ROOT / build["context"] / build["dockerfile"]).exists()
            assert build["target"] in kit.stages, f"{name}: no stage {build['target']}"
        for volume in spec.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (ROOT / source).exists(), f"{name}: {source} does not exist"
        for dependency, condition in (spec.get("depends_on") or {}).items():
            assert dependency in kit.compose["services"]
            if condition["condition"] == "service_healthy":
                assert "test" in kit.compose["services"][dependency].get("healthcheck", {}) or \
                    "HEALTHCHECK" in " ".join(kit.stages.get(kit.compose["services"][dependency].get("build", {})
                                                              .get("target", ""), []))
    for name in ("pgdata",):
        assert name in kit.compose["volumes"]


def test_web_health_checks_ports_and_event_subscribers_match_the_services(kit):
    """The ports of health checks, the relay's subscriber URLs and nginx all point at what listens."""
    ports = {}
    for name, package in _docbox_services(kit).items():
        spec = kit.compose["services"][name]
        if spec["command"][0] != "gunicorn":
            # Relays and workers answer no HTTP: their own check, so that `up --wait` waits for them too.
            assert spec["healthcheck"]["test"] == ["CMD", "python", "/app/healthcheck.py"], name
            assert "/app/healthcheck.py" in _copied_files(kit), "docker/healthcheck.py is not copied into the image"
            continue
        port = kit.environment(name)["PORT"]
        ports[name] = (port, package)
        assert f"127.0.0.1:{port}/readyz" in " ".join(spec["healthcheck"]["test"])
        assert spec["restart"] == "unless-stopped" and spec["depends_on"]["postgres"]["condition"] == "service_healthy"
    subscribers = kit.environment("sessions")["DOCBOX_EVENT_SUBSCRIBERS"].split(",")
    assert len(subscribers) == 2
    for url in subscribers:
        parts = urlsplit(url)
        port, package = ports[parts.hostname]
        assert str(parts.port) == port and parts.path == "/api/v1/events"
        app = importlib.import_module(f"docbox_{package}").create_app(
            {"SQLALCHEMY_DATABASE_URI": "sqlite://", "EVENT_SECRETS": ["x"]})
        assert any(rule.rule == parts.path and "POST" in rule.methods for rule in app.url_map.iter_rules())
    nginx = (ROOT / "docker" / "nginx" / "nginx.conf").read_text()
    for host, (port, _) in ports.items():
        assert f"{host}:{port};" in nginx


def test_every_runtime_dependency_is_pinned_for_the_images():
    from importlib import metadata

    from packaging.requirements import Requirement

    pins = dict(re.findall(r"^([a-z0-9-]+)==(\S+)$", (ROOT / "docker" / "constraints.txt").read_text(), re.MULTILINE))
    seen: set[str] = set()

    def walk(name: str, extras=()):
        key = re.sub(r"[-_.]+", "-", name).lower()
        if key in seen:
            return
        seen.add(key)
        for text in metadata.distribution(name).requires or []:
            req = Requirement(text)
            if req.marker is None or any(req.marker.evaluate({"extra": e}) for e in ("", *extras)):
                walk(req.name, tuple(req.extras))

    for name, extras in (("docbox-sessions", ()), ("docbox-calendar-sync", ()),
                         ("docbox-notifications", ("postgres",)), ("docbox-outreach", ("postgres",)),
                         ("gunicorn", ()), ("radicale", ())):
        walk(name, extras)
    unpinned = sorted(n for n in seen if not n.startswith("docbox-") and n not in pins)
    assert not unpinned, f"add to docker/constraints.txt: {unpinned}"


def test_the_dockerfile_builds_without_fetching_a_frontend_image(kit):
    """A `# syntax=` line makes BuildKit pull a frontend image before line 2: fatal without a registry."""
    assert not re.search(r"^#\s*syntax\s*=", kit.dockerfile, re.MULTILINE | re.IGNORECASE)
    for folder in (ROOT / "tests" / "deploy" / "stack" / "standins").iterdir():
        assert not re.search(r"^#\s*syntax\s*=", (folder / "Dockerfile").read_text(), re.MULTILINE)


TESTED_IMAGES = {  # the images compose.yaml was written and tested with: the settings' defaults
    "postgres": ("DOCBOX_POSTGRES_IMAGE", "postgres:16-alpine"),
    "proxy": ("DOCBOX_NGINX_IMAGE", "nginxinc/nginx-unprivileged:1.27-alpine"),
    "mailpit": ("DOCBOX_MAILPIT_IMAGE", "axllent/mailpit:v1.20.0"),
    "radicale": ("DOCBOX_RADICALE_IMAGE", "docbox-radicale-demo:latest"),
}


def test_images_from_a_registry_are_named_by_settings_with_the_tested_defaults(kit):
    """A site whose registry is a mirror names its own images in .env, without editing compose.yaml."""
    for service, spec in kit.compose["services"].items():
        if service in TESTED_IMAGES:
            setting, default = TESTED_IMAGES[service]
            assert spec["image"] == f"${{{setting}:-{default}}}", service
            assert kit.interpolate(spec["image"], {}) == default
            assert kit.interpolate(spec["image"], {setting: "mirror.example/x:1"}) == "mirror.example/x:1"
        else:
            assert spec["image"].startswith("docbox-"), f"{service}: a third-party image without a setting"
        if "build" in spec:  # every image built here starts from the base the setting names
            assert spec["build"]["args"]["PYTHON_IMAGE"] == "${DOCBOX_PYTHON_IMAGE:-python:3.11-slim-bookworm}", service
    assert re.search(r"^ARG PYTHON_IMAGE=python:3.11-slim-bookworm$", kit.dockerfile, re.MULTILINE)


def test_every_long_running_container_has_a_health_check(kit):
    """`docker compose up --wait` fails while any started container has none."""
    for service, spec in kit.compose["services"].items():
        check = spec.get("healthcheck")
        assert check and not check.get("disable") and check.get("test"), f"{service} has no health check"


def _healthcheck(kit, service, url, tmp_path):
    env = {**_child_env(kit, service, tmp_path), f"DOCBOX_{kit.environment(service)['DOCBOX_SERVICE'].upper()}_DATABASE_URL": url}
    return subprocess.run([sys.executable, str(ROOT / "docker" / "healthcheck.py")], env=env,
                          capture_output=True, text=True, timeout=60)


def test_the_worker_health_check_passes_while_the_database_answers_and_fails_when_it_does_not(
        kit, tmp_path, make_database_url):
    url = make_database_url("health")
    ok = _healthcheck(kit, "notifications-worker", url, tmp_path)
    assert ok.returncode == 0, ok.stderr
    closed = f"postgresql+psycopg://docbox:s3cret-password@127.0.0.1:{_closed_port()}/docbox"
    down = _healthcheck(kit, "relay", closed, tmp_path)
    assert down.returncode == 1 and "does not answer" in down.stderr
    assert "s3cret-password" not in down.stdout + down.stderr


def _closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
