"""docker/entrypoint.sh + migrate.py, the PostgreSQL init script and the demo Radicale, run for real."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PG = os.environ.get("DOCBOX_TEST_DATABASE_URL", "")
needs_pg = pytest.mark.skipif(not PG.startswith("postgresql"),
                              reason="needs PostgreSQL: set DOCBOX_TEST_DATABASE_URL")


def _env(service: str, url: str, tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCBOX_")}
    env.update({"PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}", "DOCBOX_SERVICE": service,
                "DOCBOX_VAR_DIR": str(tmp_path / "var"), f"DOCBOX_{service.upper()}_DATABASE_URL": url}, **extra)
    return env


def _tables(url: str) -> set[str]:
    engine = sa.create_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _entrypoint(args, env):
    # As in the image, with /app/migrate.py where the repository keeps it.
    script = (ROOT / "docker" / "entrypoint.sh").read_text().replace("/app/migrate.py",
                                                                       str(ROOT / "docker" / "migrate.py"))
    return subprocess.run(["sh", "-c", script, "entrypoint.sh", *args], env=env, capture_output=True, text=True,
                          timeout=90)


def test_entrypoint_migrates_then_runs_the_command(make_database_url, tmp_path):
    # (The deploy tests' `services` fixture runs docker/migrate.py for each of the three services.)
    url = make_database_url("entry_sessions")
    result = _entrypoint(["python", "-c", "print('command ran')"], _env("sessions", url, tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "command ran"
    assert {"alembic_version", "outbox_events", "programs"} <= _tables(url), _tables(url)
    # A second start finds the schema at head and does nothing but run the command.
    again = _entrypoint(["true"], _env("sessions", url, tmp_path))
    assert again.returncode == 0 and "Running upgrade" not in again.stderr


def test_entrypoint_stops_with_the_missing_secret_named_and_runs_nothing(make_database_url, tmp_path):
    url = make_database_url("entry_prod")
    result = _entrypoint(["python", "-c", "print('command ran')"],
                         _env("sessions", url, tmp_path, DOCBOX_ENV="production"))
    assert result.returncode != 0 and "command ran" not in result.stdout
    assert "DOCBOX_EVENT_SECRET" in result.stderr and "DOCBOX_SESSIONS_SECRET_KEY" in result.stderr


def test_entrypoint_can_skip_migrations_and_refuses_an_unknown_service(make_database_url, tmp_path):
    url = make_database_url("entry_skip")
    skipped = _entrypoint(["true"], _env("sessions", url, tmp_path, DOCBOX_MIGRATE="0"))
    assert skipped.returncode == 0 and "alembic_version" not in _tables(url)
    unknown = _entrypoint(["true"], _env("billing", url, tmp_path))
    assert unknown.returncode != 0 and "DOCBOX_SERVICE" in unknown.stderr


@needs_pg
def test_containers_starting_together_migrate_one_after_the_other(make_database_url, tmp_path):
    url = make_database_url("entry_race")
    env = _env("notifications", url, tmp_path)
    procs = [subprocess.Popen([sys.executable, str(ROOT / "docker" / "migrate.py")], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT) for _ in range(3)]
    outputs = [proc.communicate(timeout=90)[0].decode() for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0, 0], "\n".join(outputs)
    assert sum("Running upgrade  ->" in out for out in outputs) == 1  # exactly one ran the first migration


@needs_pg
@pytest.mark.skipif(shutil.which("psql") is None, reason="needs the PostgreSQL client psql")
def test_postgres_init_script_gives_each_service_its_own_database_and_role(tmp_path):
    import psycopg

    prefix = f"dbxt{uuid.uuid4().hex[:6]}_"
    server = psycopg.conninfo.conninfo_to_dict(PG.replace("postgresql+psycopg://", "postgresql://"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCBOX_")}
    env.update({"PGHOST": server.get("host", "127.0.0.1"), "PGPORT": str(server.get("port", 5432)),
                "POSTGRES_USER": server.get("user", "postgres"), "POSTGRES_DB": server.get("dbname", "postgres"),
                "DOCBOX_DB_PREFIX": prefix, "DOCBOX_SESSIONS_DB_PASSWORD": "pw-sessions-'\"",
                "DOCBOX_CALENDAR_SYNC_DB_PASSWORD": "pw-cal", "DOCBOX_NOTIFICATIONS_DB_PASSWORD": "pw-notif",
                "DOCBOX_OUTREACH_DB_PASSWORD": "pw-outreach"})
    script = ROOT / "docker" / "postgres-init" / "10-docbox-databases.sh"
    names = [f"{prefix}{s}" for s in ("sessions", "calendar_sync", "notifications", "outreach")]
    admin = psycopg.connect(PG.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)
    try:
        for _ in range(2):  # idempotent: run again to set passwords
            result = subprocess.run(["sh", str(script)], env=env, capture_output=True, text=True, timeout=60)
            assert result.returncode == 0, result.stderr
        owners = dict(admin.execute("SELECT datname, pg_get_userbyid(datdba) FROM pg_database "
                                    "WHERE datname = ANY(%s)", (names,)).fetchall())
        assert owners == {name: name for name in names}
        public_connect = admin.execute("SELECT bool_or(has_database_privilege('public', datname, 'CONNECT')) "
                                       "FROM pg_database WHERE datname = ANY(%s)", (names,)).fetchone()[0]
        assert public_connect is False
        # The service's migrations run as its own role, on its own database.
        host, port = env["PGHOST"], env["PGPORT"]
        url = f"postgresql+psycopg://{prefix}sessions:x@{host}:{port}/{prefix}sessions"
        done = subprocess.run([sys.executable, str(ROOT / "docker" / "migrate.py")], env=_env("sessions", url, tmp_path),
                              capture_output=True, text=True, timeout=90)
        assert done.returncode == 0, done.stderr
        with psycopg.connect(PG.replace("postgresql+psycopg://", "postgresql://").rsplit("/", 1)[0]
                             + f"/{prefix}sessions") as conn:
            table_owners = {row[0] for row in conn.execute("SELECT tableowner FROM pg_tables WHERE schemaname = 'public'")}
        assert table_owners == {f"{prefix}sessions"}
    finally:
        for name in names:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'DROP ROLE IF EXISTS "{name}"')
        admin.close()


def test_demo_radicale_configuration_serves_caldav_to_the_configured_user(tmp_path):
    """docker/radicale/config and start.sh, with the paths moved into the test's folder."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = (ROOT / "docker" / "radicale" / "config").read_text()
    config = config.replace("0.0.0.0:5232", f"127.0.0.1:{port}").replace("/var/lib/radicale", str(tmp_path / "data"))
    config = config.replace("/tmp/radicale-htpasswd", str(tmp_path / "htpasswd"))
    (tmp_path / "config").write_text(config)
    start = (ROOT / "docker" / "radicale" / "start.sh").read_text().replace("/tmp/radicale-htpasswd",
                                                                           str(tmp_path / "htpasswd"))
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "RADICALE_USER": "docbox",
           "RADICALE_PASSWORD": "demo-password", "RADICALE_CONFIG": str(tmp_path / "config")}
    missing = subprocess.run(["sh", "-c", start], env={**env, "RADICALE_PASSWORD": ""}, capture_output=True, text=True)
    assert missing.returncode != 0 and "RADICALE_PASSWORD" in missing.stderr
    proc = subprocess.Popen(["sh", "-c", start], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 15
        while True:
            try:
                assert requests.get(f"{base}/.web/", timeout=2).status_code == 200  # the image's health check
                break
            except requests.RequestException:
                assert proc.poll() is None and time.monotonic() < deadline
                time.sleep(0.1)
        calendar = f"{base}/docbox/sessions/"
        made = requests.request("MKCALENDAR", calendar, auth=("docbox", "demo-password"), timeout=10)
        assert made.status_code == 201
        assert requests.request("PROPFIND", calendar, auth=("docbox", "wrong"), timeout=10).status_code == 401
    finally:
        proc.terminate()
        proc.wait(timeout=10)
