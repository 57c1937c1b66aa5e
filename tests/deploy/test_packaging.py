"""The images install each service as a wheel (not the source tree): every file it needs must be in it.

Setuptools puts a package's ``.py`` files in the wheel, and other files only
when a ``[tool.setuptools.package-data]`` pattern of that package names them.
A template left out works in the editable development install and in every
test, and fails in the image. Patterns are expanded the way setuptools does
(``glob`` relative to the package folder, ``**`` recursive).
"""

from __future__ import annotations

import glob
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROJECTS = {"docbox_shared": ROOT / "shared", "docbox_sessions": ROOT / "services" / "sessions",
            "docbox_calendar_sync": ROOT / "services" / "calendar_sync",
            "docbox_notifications": ROOT / "services" / "notifications"}


@pytest.mark.parametrize("package", sorted(PROJECTS))
def test_wheel_includes_every_data_file_of_the_package(package):
    project = PROJECTS[package]
    config = tomllib.loads((project / "pyproject.toml").read_text())
    package_data = config.get("tool", {}).get("setuptools", {}).get("package-data", {})
    included: set[Path] = set()
    for pkg, patterns in package_data.items():
        base = project / Path(*pkg.split("."))
        for pattern in patterns:
            included |= {base / p for p in glob.glob(pattern, root_dir=base, recursive=True)}
    missing = []
    for path in (project / package).rglob("*"):
        if not path.is_file() or "__pycache__" in path.parts or path.suffix in (".py", ".pyc"):
            continue
        if path not in included:
            missing.append(str(path.relative_to(project)))
    assert not missing, (f"not in the wheel, so not in the image: {sorted(missing)[:8]} ... "
                         f"add a pattern to [tool.setuptools.package-data] of {project.relative_to(ROOT)}/pyproject.toml")
