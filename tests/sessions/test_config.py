"""Settings: production refuses to start without real secrets, and says which."""

from __future__ import annotations

import subprocess
import sys

import pytest


def start(env: dict) -> subprocess.CompletedProcess:
    code = "from docbox_sessions import create_app; create_app(); print('started')"
    return subprocess.run([sys.executable, "-c", code], env={"PATH": "/usr/bin:/bin", **env},
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("env, missing", [
    ({}, "DOCBOX_EVENT_SECRET"),
    ({"DOCBOX_EVENT_SECRET": "dev-event-secret-not-for-production"}, "DOCBOX_EVENT_SECRET"),
    ({"DOCBOX_EVENT_SECRET": "s3cret-enough-really"}, "DOCBOX_SESSIONS_SECRET_KEY"),
])
def test_production_refuses_missing_or_development_secrets(tmp_path, env, missing):
    result = start({"DOCBOX_ENV": "production", "DOCBOX_VAR_DIR": str(tmp_path), **env})
    assert result.returncode != 0
    assert missing in result.stderr and "started" not in result.stdout


def test_production_starts_with_its_secrets(tmp_path):
    result = start({"DOCBOX_ENV": "production", "DOCBOX_VAR_DIR": str(tmp_path),
                    "DOCBOX_EVENT_SECRET": "a-real-secret-1", "DOCBOX_SESSIONS_SECRET_KEY": "a-real-secret-2"})
    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout


def test_development_starts_with_defaults(tmp_path):
    result = start({"DOCBOX_VAR_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr


def test_bad_number_is_named(tmp_path):
    result = start({"DOCBOX_VAR_DIR": str(tmp_path), "DOCBOX_MIN_CELL": "five"})
    assert result.returncode != 0 and "DOCBOX_MIN_CELL" in result.stderr
