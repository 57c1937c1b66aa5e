"""Where a session happens: the format decides which of location and video link it needs."""

from __future__ import annotations

from urllib.parse import urlsplit


def place_errors(format: str, location: str | None, video_url: str | None) -> dict[str, list[str]]:
    """Field errors for a format with its location and video link; empty when they fit."""
    errors: dict[str, list[str]] = {}
    if format in ("in_person", "hybrid") and not (location or "").strip():
        errors["location"] = [f"A location is required for a {format.replace('_', '-')} session."]
    if format in ("virtual", "hybrid") and not (video_url or "").strip():
        errors["video_url"] = [f"A video link is required for a {format.replace('_', '-')} session."]
    if video_url and not is_https_url(video_url):
        errors["video_url"] = ["The video link must be an https:// URL."]
    return errors


def is_https_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme == "https" and bool(parts.hostname) and not any(c.isspace() for c in value)
