"""The current time, replaceable in tests (``app.config["CLOCK"]``)."""

from __future__ import annotations

from datetime import datetime, timezone

from flask import current_app, has_app_context


def now() -> datetime:
    if has_app_context() and current_app.config.get("CLOCK"):
        return current_app.config["CLOCK"]()
    return datetime.now(timezone.utc)
