"""The README a newcomer reads stays true: its commands exist and it lists every setting."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
SERVICES = sorted(p.name for p in (ROOT / "services").iterdir() if (p / "pyproject.toml").exists())


def test_quick_start_is_make_run_and_make_test():
    quick = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"^make \w+", quick, re.M)
    assert commands == ["make run", "make test"]


@pytest.mark.parametrize("service", SERVICES)
def test_every_setting_is_documented(service):
    config = importlib.import_module(f"docbox_{service}.config")
    missing = [s.env for s in config.SETTINGS if f"`{s.env}`" not in README]
    assert missing == [], f"add these to the README's configuration table: {missing}"
