"""The compose stack for real: images built from clean checkouts, run on a Docker engine.

Runs only when ``DOCBOX_STACK_TEST=1`` (``scripts/deploy-test.sh`` sets it and provides the
engine); ``make test`` skips it. ``Stack`` drives ``docker compose`` in one checkout (the commit
under test, or the previous one for the upgrade) with one ``.env`` made by that commit's
``docker/new-env.py``; both checkouts share one compose project, so one ``pgdata`` volume.

Third-party images: where no registry is reachable (``DOCBOX_STACK_STANDINS=1``, the default)
the stand-ins in ``standins/`` are built on ``DOCBOX_PYTHON_IMAGE`` and named through the
settings ``DOCBOX_POSTGRES_IMAGE``, ``DOCBOX_NGINX_IMAGE`` and ``DOCBOX_MAILPIT_IMAGE``; with
``DOCBOX_STACK_STANDINS=0`` compose pulls the real ones.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from support.ports import free_port

ROOT = Path(__file__).resolve().parents[3]
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # makes web.py importable as `web`
PROJECT = "docbox-stacktest"
PUBLIC_URL = "https://docbox.stack-test.example"
STANDINS = {  # compose setting -> (stand-in folder, image name)
    "DOCBOX_POSTGRES_IMAGE": ("postgres", "docbox-standin/postgres:15"),
    "DOCBOX_NGINX_IMAGE": ("nginx", "docbox-standin/nginx:bookworm"),
    "DOCBOX_MAILPIT_IMAGE": ("mailpit", "docbox-standin/mailpit:bookworm"),
}


def docker_env() -> dict[str, str]:
    """This process's environment without settings that would override a stack's .env."""
    return {k: v for k, v in os.environ.items()
            if not k.startswith(("DOCBOX_", "COMPOSE_", "POSTGRES_", "GUNICORN_", "RADICALE_", "MAILPIT_"))}


def run(argv: list[str], cwd: Path | None = None, timeout: float = 600, check: bool = True,
        input: str | None = None) -> subprocess.CompletedProcess:
    started = time.monotonic()
    result = subprocess.run(argv, cwd=cwd, env=docker_env(), capture_output=True, text=True, timeout=timeout,
                            input=input)
    print(f"$ {' '.join(argv)}  ({time.monotonic() - started:.0f} s, exit {result.returncode})", file=sys.stderr)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(argv)} failed ({result.returncode}):\n{result.stdout[-4000:]}\n"
                             f"{result.stderr[-6000:]}")
    return result


def checkout(rev: str, into: Path) -> Path:
    """A clean checkout of ``rev``: the committed files only (git archive), nothing of the work tree."""
    into.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", rev], check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


class Stack:
    """``docker compose`` in one checkout, under the shared project name."""

    def __init__(self, folder: Path, files: list[str] | None = None):
        self.folder, self.files = folder, files or ["compose.yaml"]

    def compose(self, *args: str, timeout: float = 600, check: bool = True, input: str | None = None):
        argv = ["docker", "compose", "--project-name", PROJECT]
        for name in self.files:
            argv += ["--file", str(self.folder / name)]
        return run(argv + list(args), cwd=self.folder, timeout=timeout, check=check, input=input)

    def env(self) -> dict[str, str]:
        values = {}
        for line in (self.folder / ".env").read_text().splitlines():
            match = re.match(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", line)
            if match:
                values[match.group(1)] = match.group(2)
        return values

    def write_env(self, settings: dict[str, str], secrets_from: Path | None = None) -> None:
        """``.env`` from this checkout's docker/new-env.py (or the secrets of an earlier one), plus ``settings``."""
        path = self.folder / ".env"
        if secrets_from is None:
            run([sys.executable, str(self.folder / "docker" / "new-env.py"), "--public-url", PUBLIC_URL,
                 "--output", str(path)])
            text = path.read_text()
        else:
            text = secrets_from.read_text()
        for name, value in settings.items():
            text, found = re.subn(rf"^{name}=.*$", f"{name}={value}", text, flags=re.MULTILINE)
            if not found:
                text += f"\n{name}={value}\n"
        path.write_text(text)
        path.chmod(0o600)

    def logs(self) -> str:
        return self.compose("logs", "--no-color", "--tail", "60", check=False, timeout=60).stdout

    def containers(self) -> list[dict]:
        out = self.compose("ps", "--all", "--format", "json", timeout=60).stdout.strip()
        if out.startswith("["):
            return json.loads(out)
        return [json.loads(line) for line in out.splitlines() if line.strip()]

    def up_until_healthy(self, services: list[str], timeout: float = 420) -> None:
        """``up --detach`` for a compose file whose containers may lack health checks (no ``--wait``):
        until each is healthy, or running without a check. A container left "created" because its
        dependency was not healthy in time (a busy host) is started again by another ``up``."""
        deadline = time.monotonic() + timeout
        self.compose("up", "--detach", *services, timeout=timeout, check=False)
        while True:
            states = {c["Service"]: (c.get("State"), c.get("Health") or "") for c in self.containers()}
            if any(states.get(s, ("missing", ""))[0] in ("created", "missing") for s in services) and all(
                    health != "starting" for _, health in states.values()):
                self.compose("up", "--detach", *services, timeout=timeout, check=False)
                states = {c["Service"]: (c.get("State"), c.get("Health") or "") for c in self.containers()}
            waiting = [s for s in services if states.get(s, ("missing", ""))[0] != "running"
                       or states[s][1] not in ("", "healthy")]
            if not waiting:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"not healthy after {timeout:.0f} s: {waiting} ({states})\n{self.logs()}")
            time.sleep(2)


@pytest.fixture(scope="session")
def engine():
    if os.environ.get("DOCBOX_STACK_TEST") != "1":
        pytest.skip("the compose stack test needs a Docker engine: run `bash scripts/deploy-test.sh` "
                    "(.ci/run does, once)")
    if shutil.which("docker") is None or run(["docker", "compose", "version"], check=False).returncode != 0:
        pytest.fail("DOCBOX_STACK_TEST=1 but no `docker compose` reaches an engine")
    if os.environ.get("DOCBOX_STACK_STANDINS", "1") == "1":
        base = os.environ.get("DOCBOX_PYTHON_IMAGE", "local/python:3.11-bookworm")
        for folder, image in STANDINS.values():
            run(["docker", "build", "--quiet", "--build-arg", f"PYTHON_IMAGE={base}", "--tag", image,
                 str(HERE / "standins" / folder)], timeout=900)
    return True


def settings() -> dict[str, str]:
    """What the test sets in .env beyond the generated secrets: free ports, stand-ins, a small footprint."""
    values = {
        "DOCBOX_HTTP_PORT": str(free_port()),
        "MAILPIT_PORT": str(free_port()),
        "RADICALE_PORT": str(free_port()),
        "COMPOSE_PROFILES": "demo",
        "GUNICORN_WORKERS": "2",              # two cores shared by everything here
        "DOCBOX_NOTIFICATIONS_POLL_SECONDS": "1",
        "DOCBOX_WORKER_INTERVAL": "1",
        "DOCBOX_RELAY_MAX_BACKOFF": "10",
    }
    if os.environ.get("DOCBOX_PYTHON_IMAGE"):
        values["DOCBOX_PYTHON_IMAGE"] = os.environ["DOCBOX_PYTHON_IMAGE"]
    if os.environ.get("DOCBOX_STACK_STANDINS", "1") == "1":
        values.update({setting: image for setting, (_, image) in STANDINS.items()})
    return values


@pytest.fixture(scope="module")
def stacks(engine, tmp_path_factory):
    """The stack of the commit under test (``new``) and of the one before it (``old``, or None)."""
    folder = tmp_path_factory.mktemp("stack")
    rev = os.environ.get("DOCBOX_STACK_REV", "HEAD")
    new = Stack(checkout(rev, folder / "new"))
    new.write_env(settings())
    previous = os.environ.get("DOCBOX_UPGRADE_FROM", f"{rev}~1")
    old = None
    if previous and subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--verify", "--quiet", f"{previous}^{{commit}}"],
                                   capture_output=True).returncode == 0:
        old = Stack(checkout(previous, folder / "old"), ["compose.yaml", "compose.standins.yaml"])
        old.write_env({"DOCBOX_IMAGE_TAG": "previous"}, secrets_from=new.folder / ".env")
        _adapt_previous(old)
    new.compose("down", "--volumes", "--remove-orphans", timeout=300, check=False)  # a run killed midway
    try:
        yield {"new": new, "old": old, "previous": previous}
    finally:
        new.compose("down", "--volumes", "--remove-orphans", timeout=300, check=False)


def _adapt_previous(old: Stack) -> None:
    """What a commit from before issue 15 needs to build and run without a registry.

    Its Dockerfile starts with ``# syntax=docker/dockerfile:1`` (BuildKit would fetch that frontend
    image first) and its compose file names the third-party images literally: drop the line, and
    name the stand-ins in an override file. Nothing else of the old commit is changed.
    """
    dockerfile = old.folder / "docker" / "Dockerfile"
    dockerfile.write_text(re.sub(r"\A# syntax=[^\n]*\n", "", dockerfile.read_text()))
    override = {"services": {}}
    if os.environ.get("DOCBOX_STACK_STANDINS", "1") == "1":
        override["services"] = {"postgres": {"image": STANDINS["DOCBOX_POSTGRES_IMAGE"][1]},
                                "proxy": {"image": STANDINS["DOCBOX_NGINX_IMAGE"][1]},
                                "mailpit": {"image": STANDINS["DOCBOX_MAILPIT_IMAGE"][1]}}
    (old.folder / "compose.standins.yaml").write_text(json.dumps(override, indent=2))
