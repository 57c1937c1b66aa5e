"""The programs this service serves, found by their subpackages.

A program is a subpackage of ``docbox_outreach`` (``oneonone/``, ``cases/``)
whose ``__init__.py`` defines ``PROGRAM = Program(...)``: its key, its title,
its page blueprints, its API blueprints, the links it adds to the navigation
(with the outreach roles that see each one) and an optional ``init(app)``
(commands, gauges) and ``jobs`` the worker runs each pass (reminders, purges). Its tables are in its own ``models.py`` on the shared
``db`` (imported by its ``__init__``, so the migrations see them). A new
program joins without editing any other program's files.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from flask import Blueprint, Flask


@dataclass(frozen=True)
class NavLink:
    label: str
    endpoint: str
    roles: frozenset[str]


@dataclass(frozen=True)
class Program:
    key: str
    title: str
    blueprints: Sequence[Blueprint] = ()
    api_blueprints: Sequence = ()
    nav: Sequence[NavLink] = ()
    csrf_exempt: Sequence[Blueprint] = ()   # pages whose URL holds a capability token
    init: Callable[[Flask], None] | None = None
    jobs: Sequence[Callable[[], bool]] = ()  # the worker's due work each pass (True: did something)
    home: str | None = field(default=None)  # endpoint of the program's start page


def discover() -> list[Program]:
    """Every program subpackage's ``PROGRAM``, in the order of their names."""
    import docbox_outreach
    found = []
    for info in sorted(pkgutil.iter_modules(docbox_outreach.__path__), key=lambda i: i.name):
        if not info.ispkg:
            continue
        module = importlib.import_module(f"docbox_outreach.{info.name}")
        program = getattr(module, "PROGRAM", None)
        if isinstance(program, Program):
            found.append(program)
    return found
