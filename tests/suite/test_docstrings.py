"""What the code says about itself stays true: every module, function and class a docstring points a
reader to (``:mod:`.feeds```, ``:func:`~docbox_shared.clock.aware```) exists.

A docstring that sends a newcomer to a module that was renamed or merged (``:mod:`.secrets``` after the
kit's tokens module took its place) fails here, naming the file and the reference.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ROLE = re.compile(r":(mod|func|class|data|meth|attr|exc):`~?([\w.]+)`")
PACKAGES = sorted(p.parent for base in [ROOT / "shared", *(ROOT / "services").iterdir()]
                  for p in base.glob("docbox_*/__init__.py"))


def _modules(package: Path):
    for path in sorted(package.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        yield path, ".".join(parts[:-1] if parts[-1] == "__init__" else parts), path.name == "__init__.py"


def _resolves(name: str, module) -> bool:
    """``name`` as a dotted path from the top, or a name in ``module`` or on one of its classes."""
    names = name.split(".")
    for i in range(len(names), 0, -1):
        try:
            obj = importlib.import_module(".".join(names[:i]))
        except ImportError:
            continue
        try:
            for part in names[i:]:
                obj = getattr(obj, part)
            return True
        except AttributeError:
            break
    for scope in [module, *(c for _, c in inspect.getmembers(module, inspect.isclass) if c.__module__ == module.__name__)]:
        obj = scope
        try:
            for part in names:
                obj = getattr(obj, part)
            return True
        except AttributeError:
            continue
    return False


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.name)
def test_every_docstring_reference_names_something_that_exists(package):
    broken = []
    for path, dotted, is_package in _modules(package):
        module = importlib.import_module(dotted)
        here = dotted.split(".") if is_package else dotted.split(".")[:-1]
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for role, target in ROLE.findall(ast.get_docstring(node, clean=False) or ""):
                if target.startswith("."):   # relative to the module's package, as in an import
                    dots = len(target) - len(target.lstrip("."))
                    target = ".".join([*here[:len(here) - dots + 1], *filter(None, target[dots:].split("."))])
                if not _resolves(target, module):
                    broken.append(f"{path.relative_to(ROOT)}: :{role}:`{target}`")
    assert broken == [], "\n".join(broken)


def test_the_new_service_page_names_what_the_kit_has():
    """docs/new-service.md's table of what the kit gives: each module and each name in brackets exists."""
    page = (ROOT / "docs" / "new-service.md").read_text()
    table = page.split("## What the kit gives, and where", 1)[1].split("\n## ", 1)[0]
    kit, missing = importlib.import_module("docbox_shared"), []
    rows = re.findall(r"^\|.*\| (`docbox_shared[^|]*)\|$", table, re.M)
    for cell in rows:
        path, *names = re.findall(r"`([\w.]+)`", cell)
        missing += [name for name in [path, *(f"{path}.{n}" for n in names)] if not _resolves(name, kit)]
    assert len(rows) >= 10 and missing == []
