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


GOOD = {"DOCBOX_ENV": "production", "DOCBOX_EVENT_SECRET": "kY3-u0Qv9ZrT1pWm7sLx2NbA5cHd8eFg4JiO6",
        "DOCBOX_SESSIONS_SECRET_KEY": "Rz8fW2qLm5tYv1XcN7bK3pJh9sDg4AeU0iO6", "DOCBOX_SESSIONS_URL": "https://docbox.example.org"}


def test_production_starts_with_its_secrets(tmp_path):
    result = start({**GOOD, "DOCBOX_VAR_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout


@pytest.mark.parametrize("variable, value", [
    ("DOCBOX_SESSIONS_SECRET_KEY", " "),                                  # a single space
    ("DOCBOX_EVENT_SECRET", ","),                                         # a comma: no event secret at all
    ("DOCBOX_EVENT_SECRET", " , ,"),
    ("DOCBOX_SESSIONS_SECRET_KEY", "x"),                                  # one character
    ("DOCBOX_SESSIONS_SECRET_KEY", "changeme"),
    ("DOCBOX_SESSIONS_SECRET_KEY", "Change-Me"),
    ("DOCBOX_SESSIONS_SECRET_KEY", "dev-session-key-not-for-production"),  # the development default
    ("DOCBOX_EVENT_SECRET", "kY3-u0Qv9ZrT1pWm7sLx2NbA5cHd8eFg4JiO6,short"),  # every secret of a list counts
    ("DOCBOX_SESSIONS_SECRET_KEY", "changemechangemechangemechangeme"),   # long, still well known
    ("DOCBOX_SESSIONS_SECRET_KEY", "abababababababababababababababab"),   # long, not random
    ("DOCBOX_SESSIONS_URL", "http://docbox.example.org"),                  # links people open
    ("DOCBOX_SESSIONS_URL", "https://"),
])
def test_production_refuses_weak_secrets_and_http_public_urls_naming_the_setting(tmp_path, variable, value):
    result = start({**GOOD, "DOCBOX_VAR_DIR": str(tmp_path), variable: value})
    assert result.returncode != 0 and "started" not in result.stdout
    assert variable in result.stderr
    lines = [line for line in result.stderr.splitlines() if "DOCBOX_" in line]
    assert all(variable in line for line in lines), lines  # only the weak setting is named


def test_development_starts_with_defaults(tmp_path):
    result = start({"DOCBOX_VAR_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr


def test_bad_number_is_named(tmp_path):
    result = start({"DOCBOX_VAR_DIR": str(tmp_path), "DOCBOX_MIN_CELL": "five"})
    assert result.returncode != 0 and "DOCBOX_MIN_CELL" in result.stderr


@pytest.mark.parametrize("value", ["1", "0"])
def test_a_small_cell_threshold_below_two_is_refused_at_start_up(tmp_path, value):
    """K=1 would withhold no count at all (1..K-1 is empty): the service says so instead of publishing them."""
    result = start({"DOCBOX_VAR_DIR": str(tmp_path), "DOCBOX_MIN_CELL": value})
    assert result.returncode != 0 and "started" not in result.stdout
    assert f"DOCBOX_MIN_CELL: must be 2 or more (below 2 nothing would be withheld), got {value}" in result.stderr


def test_a_small_cell_threshold_of_two_starts(tmp_path):
    result = start({"DOCBOX_VAR_DIR": str(tmp_path), "DOCBOX_MIN_CELL": "2"})
    assert result.returncode == 0, result.stderr


def test_production_refuses_the_tests_cheap_password_hashing_and_hashes_at_full_cost():
    """The tests hash staff passwords at argon2's cheapest cost (support/apps.py); production never does."""
    from docbox_sessions import config, create_app
    from docbox_sessions.web.passwords import hash_password, verify_password
    from docbox_shared.settings import ConfigError, load

    production = {**load(config.SETTINGS, GOOD), "SQLALCHEMY_DATABASE_URI": "sqlite://"}
    with pytest.raises(ConfigError, match="PASSWORD_HASH_PROFILE CHEAPEST is for tests"):
        create_app({**production, "PASSWORD_HASH_PROFILE": "CHEAPEST"})
    with pytest.raises(ConfigError, match="PASSWORD_HASH_PROFILE must be"):
        create_app({**production, "PASSWORD_HASH_PROFILE": "PRE_21_2"})
    with create_app(production).app_context():
        stored = hash_password("a long passphrase")
        assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")  # 64 MiB, 3 passes, 4 lanes
        assert verify_password(stored, "a long passphrase") and not verify_password(stored, "a wrong passphrase")
        assert not verify_password(None, "a long passphrase")
