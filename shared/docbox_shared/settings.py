"""Settings: every option declared once, read from the environment once.

Each service lists its :class:`Setting` objects (name, default, help, type)
in its ``config.py``; :func:`load` turns them into Flask config. The README's
configuration table lists the same declarations. In production
(``DOCBOX_ENV=production``) a secret that is missing or still set to its
development value stops the service with a message naming the variable.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any


def as_bool(value: str) -> bool:
    if value.strip().lower() in ("1", "true", "yes", "on"):
        return True
    if value.strip().lower() in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"expected true or false, got {value!r}")


def as_list(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


@dataclasses.dataclass(frozen=True)
class Setting:
    env: str                     # environment variable
    key: str                     # Flask config key
    default: Any                 # used when the variable is unset (development value for secrets)
    help: str
    convert: Callable[[str], Any] = str
    secret: bool = False         # must be set, to a non-development value, in production


class ConfigError(SystemExit):
    """Start-up refused: a setting is missing or invalid."""


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
        if raw is None or raw == "":
            if setting.secret and production:
                problems.append(f"{setting.env} is required in production ({setting.help})")
                continue
            config[setting.key] = setting.default
            continue
        try:
            value = setting.convert(raw)
        except ValueError as exc:
            problems.append(f"{setting.env}: {exc}")
            continue
        if setting.secret and production and _is_development_value(value, setting.default):
            problems.append(f"{setting.env} still holds the development value; set a real secret")
            continue
        config[setting.key] = value
    if config.get("DOCBOX_ENV", "development") not in ("development", "production"):
        problems.append("DOCBOX_ENV must be development or production")
    if problems:
        raise ConfigError("Doc Box cannot start:\n  " + "\n  ".join(problems))
    return config


def _is_development_value(value: Any, default: Any) -> bool:
    values = value if isinstance(value, list) else [value]
    defaults = default if isinstance(default, list) else [default]
    return any(v in defaults or "not-for-production" in str(v) for v in values)
