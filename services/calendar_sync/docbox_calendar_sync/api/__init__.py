"""JSON API of calendar_sync (flask-smorest), documented at ``/api/v1/openapi.json``.

- ``feeds``: create, rotate and revoke feed capability URLs.
- ``targets``: CalDAV targets (admin only) and their push status.
"""

from __future__ import annotations

from . import feeds, targets

BLUEPRINTS = [feeds.blp, targets.blp]
