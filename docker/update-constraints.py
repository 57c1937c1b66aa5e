#!/usr/bin/env python3
"""Rewrite docker/constraints.txt: the versions installed here of everything the images install.

    .venv/bin/python docker/update-constraints.py

Run it with the project's virtualenv after upgrading a dependency (or when
tests/deploy says a runtime dependency is not pinned): the images then install
exactly the versions the test suite ran against.
"""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

ROOTS = [("docbox-sessions", ()), ("docbox-calendar-sync", ()), ("docbox-notifications", ("postgres",)),
         ("docbox-outreach", ("postgres",)),
         ("gunicorn", ()), ("radicale", ())]


def closure() -> dict[str, str]:
    seen: dict[str, str] = {}

    def walk(name: str, extras=()):
        key = re.sub(r"[-_.]+", "-", name).lower()
        if key in seen:
            return
        dist = metadata.distribution(name)
        seen[key] = dist.version
        for text in dist.requires or []:
            req = Requirement(text)
            if req.marker is None or any(req.marker.evaluate({"extra": e}) for e in ("", *extras)):
                walk(req.name, tuple(req.extras))

    for name, extras in ROOTS:
        walk(name, extras)
    return {k: v for k, v in seen.items() if not k.startswith("docbox-")}


def main() -> None:
    lines = ["# Versions the images install: the ones the test suite ran against (the runtime",
             "# dependencies of the three services, gunicorn and the demo Radicale, as installed",
             "# in the development virtualenv). Regenerate: .venv/bin/python docker/update-constraints.py"]
    lines += [f"{name}=={version}" for name, version in sorted(closure().items())]
    Path(__file__).with_name("constraints.txt").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
