#!/usr/bin/env python3
"""Write a new ``.env`` for compose.yaml: ``.env.example`` with every secret freshly generated.

    python3 docker/new-env.py                                  # writes ./.env (mode 600)
    python3 docker/new-env.py --public-url https://docbox.example.org --output /srv/docbox/.env

Each secret gets its own random value (256 bits from :mod:`secrets`, URL-safe
so database passwords can sit in database URLs); the calendar_sync keys are
Fernet keys. Other values are copied as they are in ``.env.example``. An
existing file is never overwritten: secrets are not to be replaced by accident
(the encrypted CalDAV passwords and the subscribers' lookup keys depend on them).
Standard library only, so it runs before anything is installed.
"""

from __future__ import annotations

import argparse
import base64
import os
import re
import secrets
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parent.parent / ".env.example"

TOKENS = (
    "POSTGRES_PASSWORD",
    "DOCBOX_SESSIONS_DB_PASSWORD",
    "DOCBOX_CALENDAR_SYNC_DB_PASSWORD",
    "DOCBOX_NOTIFICATIONS_DB_PASSWORD",
    "DOCBOX_OUTREACH_DB_PASSWORD",
    "DOCBOX_EVENT_SECRET",
    "DOCBOX_SESSIONS_SECRET_KEY",
    "DOCBOX_NOTIFICATIONS_SECRET_KEYS",
    "DOCBOX_OUTREACH_SECRET_KEYS",
    "DOCBOX_NOTIFICATIONS_ADMIN_TOKEN",
    "RADICALE_PASSWORD",
)
FERNET_KEYS = ("DOCBOX_CALENDAR_SYNC_SECRET_KEYS",)
SECRETS = TOKENS + FERNET_KEYS


def new_value(name: str) -> str:
    if name in FERNET_KEYS:
        return base64.urlsafe_b64encode(os.urandom(32)).decode()
    return secrets.token_urlsafe(32)


def render(example: str, public_url: str | None = None) -> str:
    def line(match: re.Match) -> str:
        name, value = match.group(1), match.group(2)
        if name in SECRETS and not value:
            return f"{name}={new_value(name)}"
        if name == "DOCBOX_PUBLIC_URL" and public_url:
            return f"{name}={public_url}"
        return match.group(0)

    return re.sub(r"^([A-Z][A-Z0-9_]*)=(.*)$", line, example, flags=re.MULTILINE)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", "-o", default=".env", help="file to write (default ./.env)")
    parser.add_argument("--public-url", help="DOCBOX_PUBLIC_URL, e.g. https://docbox.example.org")
    args = parser.parse_args(argv)
    text = render(EXAMPLE.read_text(), args.public_url)
    try:
        fd = os.open(args.output, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        print(f"{args.output} exists already; not replacing its secrets", file=sys.stderr)
        return 1
    with os.fdopen(fd, "w") as f:
        f.write(text)
    print(f"wrote {args.output} with new secrets; review it, then keep a copy with your backups", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
