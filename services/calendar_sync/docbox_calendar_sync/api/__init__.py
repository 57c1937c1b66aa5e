"""JSON API of calendar_sync (flask-smorest), documented at ``/api/v1/openapi.json``.

- ``feeds``: create, rotate and revoke feed capability URLs.
- ``targets``: CalDAV targets (admin only) and their push status.
"""

from __future__ import annotations

from docbox_shared.api import Api, api_config


def init_app(app) -> Api:
    from . import feeds, targets

    for key, value in api_config("Doc Box calendar_sync").items():
        app.config.setdefault(key, value)
    api = Api(app)
    api.register_blueprint(feeds.blp)
    api.register_blueprint(targets.blp)
    return api
