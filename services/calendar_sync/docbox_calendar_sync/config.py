"""Settings of calendar_sync: every environment variable it reads, declared once.

The README's settings table lists these declarations. Secrets (the event
secret, the keys that encrypt CalDAV passwords) must be set to real values in
production; the development defaults only serve one machine.
"""

from __future__ import annotations

from docbox_shared import staff
from docbox_shared.settings import COMMON, Setting, as_bool, as_list, var_database

# A valid Fernet key that everyone can read: development only (refused in production).
DEV_SECRET_KEY = "ZGV2LWtleS1ub3QtZm9yLXByb2R1Y3Rpb24tLS0tLS0="

SETTINGS = COMMON + staff.SETTINGS + [  # staff: who signed in, asked of the sessions service
    Setting("DOCBOX_CALENDAR_SYNC_DATABASE_URL", "SQLALCHEMY_DATABASE_URI",
            var_database("calendar_sync"),
            "SQLAlchemy URL of this service's database (SQLite file under DOCBOX_VAR_DIR by default)."),
    Setting("DOCBOX_CALENDAR_SYNC_URL", "PUBLIC_URL", "http://127.0.0.1:5002",
            "Public base URL of this service; feed URLs are built on it (https:// in production).", public_url=True),
    Setting("DOCBOX_NOTIFICATIONS_URL", "NOTIFICATIONS_URL", "http://127.0.0.1:5003",
            "Public base URL of the notifications service; program pages link to its "
            "`/subscribe?programs=<id>` (email reminders).", public_url=True),
    Setting("DOCBOX_SECRET_KEYS", "SECRET_KEYS", [DEV_SECRET_KEY],
            "Fernet keys encrypting stored CalDAV passwords, comma-separated, newest first; the page cookie key "
            "is derived from them.",
            as_list, secret=True),
    Setting("DOCBOX_FEED_REFRESH_MINUTES", "FEED_REFRESH_MINUTES", 60,
            "REFRESH-INTERVAL / X-PUBLISHED-TTL advertised in feeds, in minutes.", int),
    Setting("DOCBOX_CALDAV_TIMEOUT", "CALDAV_TIMEOUT", 15.0, "Seconds before a CalDAV request is given up.", float),
    Setting("DOCBOX_CALDAV_VERIFY_TLS", "CALDAV_VERIFY_TLS", True,
            "Verify CalDAV servers' TLS certificates (turn off only for self-signed test servers).", as_bool),
    Setting("DOCBOX_CALDAV_RECONCILE_MINUTES", "CALDAV_RECONCILE_MINUTES", 60,
            "How often the worker compares each target's calendar with Doc Box's (one PROPFIND).", int),
    Setting("DOCBOX_CALDAV_LEASE_SECONDS", "CALDAV_LEASE_SECONDS", 300.0,
            "Seconds a worker holds claimed pushes; a killed worker's pushes wait this long.", float),
    Setting("DOCBOX_WORKER_INTERVAL", "WORKER_INTERVAL", 5.0, "Seconds the worker sleeps between passes.", float),
]
