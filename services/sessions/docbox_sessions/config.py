"""Settings of the sessions service, read once from the environment.

Every setting is declared once here (name, default, help); the README's
configuration table lists the same. Secrets have development defaults that
production refuses (see :mod:`docbox_shared.settings`).
"""

from __future__ import annotations

import os
from pathlib import Path

from docbox_shared import outbox
from docbox_shared.settings import COMMON, Setting

VAR_DIR = Path(os.environ.get("DOCBOX_VAR_DIR", "var")).resolve()

SETTINGS = COMMON + outbox.SETTINGS + [
    Setting("DOCBOX_SESSIONS_DATABASE_URL", "SQLALCHEMY_DATABASE_URI", f"sqlite:///{VAR_DIR / 'sessions.sqlite'}",
            "SQLAlchemy URL of the sessions database (postgresql+psycopg://... in production)."),
    Setting("DOCBOX_SESSIONS_URL", "PUBLIC_URL", "http://127.0.0.1:5001", "Public base URL of this service.",
            public_url=True),
    Setting("DOCBOX_MIN_CELL", "MIN_CELL", 5, "Small-cell threshold K: counts 1..K-1 are withheld from viewers.", int),
    Setting("DOCBOX_STATS_GRACE_DAYS", "STATS_GRACE_DAYS", 7,
            "Days after a month ends (UTC) before it enters the statistics release; later counts reach organizers only.",
            int),
    Setting("DOCBOX_SESSIONS_SECRET_KEY", "SECRET_KEY", "dev-session-key-not-for-production",
            "Key signing the staff web login cookie.", secret=True),
]

