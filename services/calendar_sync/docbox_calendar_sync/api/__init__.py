"""JSON API of calendar_sync (flask-smorest), documented at ``/api/v1/openapi.json``.

- ``feeds``: create, rotate and revoke feed capability URLs.
- ``targets``: CalDAV targets (admin only) and their push status.
"""

from __future__ import annotations

from flask_smorest import Api

api = Api()


def init_app(app) -> None:
    from . import feeds, targets

    app.config.setdefault("API_TITLE", "Doc Box calendar_sync")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", "/api/v1")
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    api.init_app(app)
    api.register_blueprint(feeds.blp)
    api.register_blueprint(targets.blp)
