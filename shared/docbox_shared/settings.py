"""Settings: every option declared once, read from the environment once.

Each service lists its :class:`Setting` objects (name, default, help, type)
in its ``config.py``; :func:`load` turns them into Flask config. The README's
configuration table lists the same declarations.

In production (``DOCBOX_ENV=production``) the service refuses to start, with
a message naming the variable, while a secret is missing, blank or only
separators (``" "``, ``","``), shorter than 32 characters, made of a handful of
characters repeated, or a known value (a development default, ``changeme``
and its kin), and while a public URL is not ``https://``. A list of secrets is
checked item by item and must hold at least one.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import os
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any


def var_database(name: str) -> str:
    """The development database URL: ``<name>.sqlite`` under ``DOCBOX_VAR_DIR`` (default ``var``)."""
    return f"sqlite:///{Path(os.environ.get('DOCBOX_VAR_DIR', 'var')).resolve() / f'{name}.sqlite'}"


def as_bool(value: str) -> bool:
    if value.strip().lower() in ("1", "true", "yes", "on"):
        return True
    if value.strip().lower() in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"expected true or false, got {value!r}")


def as_list(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def at_least(minimum: int, why: str) -> Callable[[str], int]:
    """A converter to an integer no smaller than ``minimum``; ``why`` ends the refusal's message."""
    def convert(value: str) -> int:
        number = int(value)
        if number < minimum:
            raise ValueError(f"must be {minimum} or more ({why}), got {number}")
        return number
    return convert


@dataclasses.dataclass(frozen=True)
class Setting:
    env: str                     # environment variable
    key: str                     # Flask config key
    default: Any                 # used when the variable is unset (development value for secrets)
    help: str
    convert: Callable[[str], Any] = str
    secret: bool = False         # must be set, to a strong non-development value, in production
    public_url: bool = False     # a URL people's browsers, mail and calendar clients open: https:// in production


class ConfigError(SystemExit):
    """Start-up refused: a setting is missing or invalid."""


MIN_SECRET_LENGTH = 32
# Values people leave in place; compared without case and without separators ("Change-Me" is "changeme").
KNOWN_WEAK = {"changeme", "changethis", "changeit", "secret", "password", "default", "example", "test",
              "development", "dev", "admin", "docbox", "notforproduction", "replaceme", "todo", "xxx"}


COMMON = [
    Setting("DOCBOX_ENV", "DOCBOX_ENV", "development", "`development` or `production`."),
    Setting("DOCBOX_EVENT_SECRET", "EVENT_SECRETS", ["dev-event-secret-not-for-production"],
            "Secret(s) signing events between services, comma-separated: the first signs, all verify.",
            as_list, secret=True),
    Setting("DOCBOX_LOG_LEVEL", "LOG_LEVEL", "INFO", "Python log level."),
    Setting("DOCBOX_TRUSTED_PROXIES", "TRUSTED_PROXIES", 0,
            "Reverse proxies in front that set X-Forwarded-For/-Proto/-Host (1 behind compose's nginx); "
            "rate limits per client address need it.", int),
]


def load(settings: Sequence[Setting], environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    environ = os.environ if environ is None else environ
    production = environ.get("DOCBOX_ENV", "development") == "production"
    config: dict[str, Any] = {}
    problems = []
    for setting in settings:
        raw = environ.get(setting.env)
        if raw is None or raw == "" or (setting.secret and not raw.strip()):
            if setting.secret and production:
                problems.append(f"{setting.env} is required in production ({setting.help})")
                continue
            value = setting.default
        else:
            try:
                value = setting.convert(raw)
            except ValueError as exc:
                problems.append(f"{setting.env}: {exc}")
                continue
        if production:
            problem = (secret_problem(value, setting.default) if setting.secret else None) or \
                (url_problem(value) if setting.public_url else None)
            if problem:
                problems.append(f"{setting.env} {problem}")
                continue
        config[setting.key] = value
    if config.get("DOCBOX_ENV", "development") not in ("development", "production"):
        problems.append("DOCBOX_ENV must be development or production")
    if problems:
        raise ConfigError("Doc Box cannot start:\n  " + "\n  ".join(problems))
    return config


def secret_problem(value: Any, default: Any = None) -> str | None:
    """Why ``value`` (one secret or a list of them) is not fit for production, or None."""
    values = value if isinstance(value, list) else [value]
    defaults = default if isinstance(default, list) else [default]
    if not values:
        return "holds no secret (only separators); set at least one real secret"
    for item in values:
        item = str(item)
        if item.strip() != item or not item:
            return "has a secret with blanks around it or an empty one between separators; remove them"
        if item in defaults or _known(item):
            return "holds a development default or a well-known value; set a real secret"
        if len(item) < MIN_SECRET_LENGTH:
            return f"is shorter than {MIN_SECRET_LENGTH} characters; use a random value (python3 docker/new-env.py)"
        if len(set(item)) < 8:
            return "repeats a few characters; use a random value (python3 docker/new-env.py)"
    return None


def _known(item: str) -> bool:
    """A known value, also when base64 hides it (a Fernet key made of a readable phrase)."""
    candidates = [item]
    try:
        candidates.append(base64.urlsafe_b64decode(item.encode() + b"==").decode())
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    for text in candidates:
        bare = re.sub(r"[^a-z0-9]", "", text.lower())
        if "notforproduction" in bare or bare in KNOWN_WEAK or re.fullmatch(r"(changeme)+|(secret)+|(password)+", bare):
            return True
    return False


def url_problem(value: Any) -> str | None:
    """Why a public URL is not fit for production, or None."""
    if not re.fullmatch(r"https://[^/\s:]+(:\d+)?(/\S*)?", str(value)):
        return f"must be an https:// URL in production, not {str(value)!r} (people open links built on it)"
    return None
