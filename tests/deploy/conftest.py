"""What the deploy tests share: the repository's compose file, a generated .env, running services.

``kit`` (session fixture) holds the parsed ``compose.yaml``, the Dockerfile's
stages, a ``.env`` freshly written by ``docker/new-env.py`` and
``environment(service)``: the environment compose gives that container, with
``${VAR}`` interpolated the way compose does. ``gunicorn`` starts a service
with ``docker/gunicorn.conf.py`` on a migrated database and waits for /readyz.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests
import yaml

from support.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SERVICES = ("sessions", "calendar_sync", "notifications", "outreach")

_INTERPOLATION = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")


def interpolate(text: str, env: dict[str, str]) -> str:
    """Compose's ``${VAR}``, ``${VAR:-default}``, ``${VAR-default}``, ``${VAR:?error}``, ``${VAR?error}``."""

    def one(match: re.Match) -> str:
        name, op, arg = match.group(1), match.group(2), match.group(3) or ""
        value = env.get(name)
        if op in (":-", ":?"):
            missing = not value
        else:
            missing = value is None
        if not missing:
            return value
        if op in (":?", "?"):
            raise ValueError(f"{name}: {arg}")
        return arg if op in (":-", "-") else ""

    return _INTERPOLATION.sub(one, text.replace("$$", "\0")).replace("\0", "$")


def read_dotenv(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text().splitlines():
        match = re.match(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", line)
        if match:
            values[match.group(1)] = match.group(2)
    return values


def dockerfile_stages(text: str) -> dict[str, list[str]]:
    """``{stage name: [instruction lines]}``, continuation lines joined."""
    stages: dict[str, list[str]] = {}
    current = None
    for line in re.sub(r"\\\n", " ", text).splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = re.match(r"FROM\s+\S+(?:\s+AS\s+(\S+))?", line, re.IGNORECASE)
        if match:
            current = match.group(1) or f"<unnamed {len(stages)}>"
            stages[current] = [line]
        elif current is not None:
            stages[current].append(line)
    return stages


@pytest.fixture(scope="session")
def kit(tmp_path_factory):
    compose_text = (ROOT / "compose.yaml").read_text()
    dotenv_path = tmp_path_factory.mktemp("env") / ".env"
    subprocess.run([sys.executable, str(ROOT / "docker" / "new-env.py"), "--output", str(dotenv_path)],
                   check=True, capture_output=True)
    dotenv = read_dotenv(dotenv_path)
    compose = yaml.safe_load(compose_text)

    def environment(service: str, overrides: dict[str, str] | None = None) -> dict[str, str]:
        """The container environment of a compose service: its Dockerfile target's ENV, then compose's."""
        spec = compose["services"][service]
        env = {}
        target = spec.get("build", {}).get("target") or _target_of_image(spec.get("image", ""))
        for line in stages.get(target, []):
            if line.upper().startswith("ENV "):
                env.update(dict(re.findall(r"(\w+)=(\S+)", line[4:])))
        source = {**dotenv, **(overrides or {})}
        for key, value in (spec.get("environment") or {}).items():
            env[key] = interpolate(str(value), source) if value is not None else ""
        return env

    def _target_of_image(image: str) -> str | None:
        for spec in compose["services"].values():
            if spec.get("image") == image and spec.get("build"):
                return spec["build"].get("target")
        return None

    dockerfile = (ROOT / "docker" / "Dockerfile").read_text()
    stages = {}
    stages.update(dockerfile_stages(dockerfile))
    # The service images build on the `runtime` stage: their environment includes its ENV lines.
    for name, lines in list(stages.items()):
        base = re.match(r"FROM\s+(\S+)", lines[0], re.IGNORECASE).group(1)
        if base in stages:
            stages[name] = stages[base][1:] + lines
    return SimpleNamespace(root=ROOT, compose=compose, compose_text=compose_text, dotenv=dotenv,
                           dotenv_path=dotenv_path, dockerfile=dockerfile, stages=stages,
                           environment=environment, interpolate=interpolate)


EVENT_SECRET = "deploy-test-event-secret"


def _local_env(service: str, database_url: str, var_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DOCBOX_", "GUNICORN_"))}
    env.update({
        "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        "DOCBOX_SERVICE": service,
        "DOCBOX_VAR_DIR": str(var_dir),
        f"DOCBOX_{service.upper()}_DATABASE_URL": database_url,
    })
    return env


class Databases:
    """Fresh databases for a whole test session: SQLite files, or PostgreSQL databases when
    DOCBOX_TEST_DATABASE_URL is set (as the root conftest's ``make_database_url``, session-wide)."""

    def __init__(self, folder: Path):
        self.folder, self.created = folder, []
        self.server = os.environ.get("DOCBOX_TEST_DATABASE_URL", "")

    def admin(self):
        import psycopg

        return psycopg.connect(self.server.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)

    def url(self, name: str) -> str:
        if not self.server.startswith("postgresql"):
            return f"sqlite:///{self.folder / (name + '.sqlite')}"
        db_name = f"docbox_test_{name}_{uuid.uuid4().hex[:10]}"
        with self.admin() as conn:
            conn.execute(f'CREATE DATABASE "{db_name}"')
        self.created.append(db_name)
        base = self.server.replace("postgresql://", "postgresql+psycopg://", 1).rsplit("/", 1)[0]
        return f"{base}/{db_name}"

    def drop_all(self):
        for db_name in self.created:
            with self.admin() as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def services(tmp_path_factory):
    """The four services as real gunicorn processes with docker/gunicorn.conf.py, each on a database its
    entrypoint migrated (docker/migrate.py), configured as compose does: one trusted proxy hop.
    ``services[name]`` has ``url``, ``port`` and ``log()``; notifications allows 2 requests per client."""
    folder = tmp_path_factory.mktemp("services")
    databases = Databases(folder)
    started, result = [], {}
    try:
        envs = {}
        for service in SERVICES:
            env = _local_env(service, databases.url(f"deploy_{service}"), folder / "var")
            env.update({"GUNICORN_WORKERS": "1", "DOCBOX_TRUSTED_PROXIES": "1", "DOCBOX_EVENT_SECRET": EVENT_SECRET,
                        "DOCBOX_NOTIFICATIONS_RATE_PER_CLIENT": "2"})
            envs[service] = env
        migrations = {s: subprocess.Popen([sys.executable, str(ROOT / "docker" / "migrate.py")], env=envs[s],
                                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT) for s in SERVICES}
        for service, proc in migrations.items():
            out = proc.communicate(timeout=240)[0]  # the shared CI machine may be busy
            assert proc.returncode == 0, f"{service} migrations failed:\n{out.decode()}"
        for service in SERVICES:
            port = free_port()
            env = {**envs[service], "GUNICORN_BIND": f"127.0.0.1:{port}"}
            log_path = folder / f"{service}.log"
            log = open(log_path, "wb")
            proc = subprocess.Popen([str(BIN / "gunicorn"), "--config", str(ROOT / "docker" / "gunicorn.conf.py"),
                                     f"docbox_{service}.wsgi:app"], env=env, stdout=log, stderr=subprocess.STDOUT,
                                    cwd=folder)
            started.append((proc, log))
            result[service] = SimpleNamespace(url=f"http://127.0.0.1:{port}", port=port, proc=proc,
                                              log=lambda p=log_path: p.read_text())
        deadline = time.monotonic() + 120  # four gunicorns importing Flask apps on a busy 2-core machine
        for service, server in result.items():
            while True:
                try:
                    if requests.get(f"{server.url}/readyz", timeout=2).status_code == 200:
                        break
                except requests.RequestException:
                    pass
                if server.proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"gunicorn for {service} did not start:\n{server.log()}")
                time.sleep(0.1)
        yield result
    finally:
        for proc, _log in started:
            proc.terminate()
        for proc, log in started:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            log.close()
        databases.drop_all()
