"""The service's clock: ``now()`` is UTC-aware, and tests replace it through ``app.config["NOW"]``."""

from __future__ import annotations

from datetime import datetime, timezone

from flask import current_app, has_app_context


def now() -> datetime:
    if has_app_context():
        override = current_app.config.get("NOW")
        if override is not None:
            return override()
    return datetime.now(timezone.utc)
