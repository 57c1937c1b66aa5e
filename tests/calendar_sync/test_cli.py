"""The commands as an operator runs them: environment only, separate processes."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from docbox_calendar_sync import create_app

FLASK = [str(Path(sys.executable).parent / "flask"), "--app", "docbox_calendar_sync"]


def run(args, env, cwd):
    return subprocess.run(FLASK + args, env=env, cwd=cwd, capture_output=True, text=True, timeout=120)


def test_schema_and_worker_run_from_the_environment(make_database_url, tmp_path):
    env = {**os.environ, "DOCBOX_CALENDAR_SYNC_DATABASE_URL": make_database_url("cli"),
           "DOCBOX_VAR_DIR": str(tmp_path / "var")}
    upgraded = run(["db", "upgrade"], env, tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr
    once = run(["worker", "--once"], env, tmp_path)
    assert once.returncode == 0, once.stderr
    assert "pushed=0 failed=0 conflicts=0 requests=0" in once.stdout
    rotated = run(["rotate-secrets"], env, tmp_path)
    assert rotated.returncode == 0 and "re-encrypted 0 password(s)" in rotated.stdout


@pytest.mark.parametrize("missing, variable", [
    ({"DOCBOX_SECRET_KEYS": ""}, "DOCBOX_SECRET_KEYS"),
    ({"DOCBOX_EVENT_SECRET": ""}, "DOCBOX_EVENT_SECRET"),
    ({"DOCBOX_CALENDAR_SYNC_URL": "http://calendar.example.org"}, "DOCBOX_CALENDAR_SYNC_URL"),
    ({"DOCBOX_SECRET_KEYS": "not-a-fernet-key-but-long-enough"}, "DOCBOX_SECRET_KEYS"),
    ({"DOCBOX_SECRET_KEYS": "ZGV2LWtleS1ub3QtZm9yLXByb2R1Y3Rpb24tLS0tLS0="}, "DOCBOX_SECRET_KEYS"),  # the dev key
    ({"DOCBOX_SECRET_KEYS": ","}, "DOCBOX_SECRET_KEYS"),
    ({"DOCBOX_NOTIFICATIONS_URL": "http://docbox.example.org/reminders"}, "DOCBOX_NOTIFICATIONS_URL"),
    ({"DOCBOX_STAFF_LOGIN_URL": "http://docbox.example.org/login"}, "DOCBOX_STAFF_LOGIN_URL"),  # passwords typed there
])
def test_production_start_refuses_missing_or_weak_settings_naming_them(monkeypatch, tmp_path, missing, variable):
    from cryptography.fernet import Fernet

    monkeypatch.setenv("DOCBOX_ENV", "production")
    monkeypatch.setenv("DOCBOX_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("DOCBOX_EVENT_SECRET", "a-real-event-secret-0123456789-abcdefgh")
    monkeypatch.setenv("DOCBOX_NOTIFICATIONS_URL", "https://docbox.example.org/reminders")
    monkeypatch.setenv("DOCBOX_SECRET_KEYS", Fernet.generate_key().decode())
    monkeypatch.setenv("DOCBOX_CALENDAR_SYNC_URL", "https://calendar.example.org")
    monkeypatch.setenv("DOCBOX_STAFF_LOGIN_URL", "https://docbox.example.org/login")
    monkeypatch.setenv("DOCBOX_CALENDAR_SYNC_DATABASE_URL", f"sqlite:///{tmp_path / 'x.sqlite'}")
    for name, value in missing.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as refused:
        create_app()
    assert variable in str(refused.value)


def test_worker_outlives_a_database_outage_and_stops_cleanly_on_sigterm(tmp_path):
    """The worker's tables vanish under it (a database in trouble): it logs, keeps trying, and ends on SIGTERM."""
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    db_file = tmp_path / "calendar_sync.sqlite"
    env = {**os.environ, "DOCBOX_CALENDAR_SYNC_DATABASE_URL": f"sqlite:///{db_file}", "DOCBOX_VAR_DIR": str(tmp_path),
           "DOCBOX_WORKER_INTERVAL": "0.2"}
    flask = [str(Path(sys.executable).parent / "flask"), "--app", "docbox_calendar_sync"]
    subprocess.run([*flask, "db", "upgrade"], env=env, check=True, capture_output=True)
    worker = subprocess.Popen([*flask, "worker"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    import sqlite3
    import threading
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(worker.stderr), daemon=True).start()
    with sqlite3.connect(db_file) as conn:
        for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
            conn.execute(f'DROP TABLE "{table}"')
    deadline = time.monotonic() + 60
    while sum("push pass failed; retrying" in line for line in lines) < 2 and time.monotonic() < deadline:
        assert worker.poll() is None, "the worker died with its database:\n" + "".join(lines)
        time.sleep(0.1)
    assert sum("push pass failed; retrying" in line for line in lines) >= 2, "".join(lines)  # it kept trying
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(10) == 0
