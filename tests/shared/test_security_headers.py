"""Every answer of every service (pages, errors, API, feeds, static files) carries the security headers.

The browser side (the CSP enforced, the copy button still working, an injected
inline script refused) is in tests/browser/test_calendar_sync_faculty_pages.py.
"""

from __future__ import annotations

import pytest
from werkzeug.routing import IntegerConverter

from support.apps import running_app

SERVICES = ("sessions", "calendar_sync", "notifications")


@pytest.fixture(params=SERVICES)
def app(request, make_database_url):
    with running_app(request.param, {"SQLALCHEMY_DATABASE_URI": make_database_url(request.param),
                                     "EVENT_SECRETS": ["test-secret"], "SECRET_KEY": "test-key"}) as app:
        yield app


def _example(converter) -> str | int:
    if isinstance(converter, IntegerConverter):
        return 1
    length = getattr(converter, "regex", "")
    return "a" * 32 if "{32}" in length else "a" * 43 if "{43}" in length else "a"


def every_get_url(app) -> list[str]:
    urls = app.url_map.bind("localhost")
    found = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()):
            continue
        values = {name: _example(converter) for name, converter in rule._converters.items()}
        if rule.endpoint == "docbox.static" or rule.endpoint == "static":
            values = {"filename": "docbox.css"}
        found.append(urls.build(rule.endpoint, values))
    return found


def test_every_get_route_answers_with_csp_nosniff_and_no_framing(app):
    client = app.test_client()
    urls = every_get_url(app)
    assert len(urls) > 5
    for url in urls + ["/no-such-page", "/api/v1/no-such-thing"]:
        answer = client.get(url)
        csp = answer.headers.get("Content-Security-Policy", "")
        assert "frame-ancestors 'none'" in csp, url
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp, url
        assert answer.headers.get("X-Content-Type-Options") == "nosniff", url
        assert answer.headers.get("X-Frame-Options") == "DENY", url
        if answer.mimetype == "text/html":
            page = answer.get_data(as_text=True)
            assert "<script>" not in page and " style=" not in page and "<style" not in page, url
