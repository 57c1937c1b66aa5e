"""Settings of the notifications service, read once from the environment.

Every setting is declared once here (name, default, help); the README lists
the same table. Secrets have development defaults that production refuses
(see :mod:`docbox_shared.settings`).
"""

from __future__ import annotations

from docbox_shared.mail import SMTP_SETTINGS
from docbox_shared.settings import COMMON, Setting, as_list, var_database


def _offsets(value: str) -> list[int]:
    return [int(v) for v in as_list(value)]


SETTINGS = COMMON + [
    Setting("DOCBOX_NOTIFICATIONS_DATABASE_URL", "SQLALCHEMY_DATABASE_URI",
            var_database("notifications"),
            "SQLAlchemy URL of the notifications database (postgresql+psycopg://... in production)."),
    Setting("DOCBOX_NOTIFICATIONS_URL", "PUBLIC_URL", "http://127.0.0.1:5003",
            "Public base URL of this service, used in confirm/manage/unsubscribe links (https in production).",
            public_url=True),
    Setting("DOCBOX_CALENDAR_SYNC_URL", "CALENDAR_SYNC_URL", "http://127.0.0.1:5002",
            "Public base URL of calendar_sync: the reminder pages link to its calendar feeds.", public_url=True),
    Setting("DOCBOX_SECRET_KEYS", "SECRET_KEYS", ["dev-secret-key-not-for-production"],
            "Keys (newest first, comma-separated) for the HMAC that turns email and client addresses into "
            "lookup keys; older keys still match, so a key can be rotated. The newest also signs the "
            "subscribe form's CSRF cookie.", as_list, secret=True),
    Setting("DOCBOX_NOTIFICATIONS_ADMIN_TOKEN", "ADMIN_TOKEN", "dev-admin-token-not-for-production",
            "Bearer token for the operator endpoints (GET /api/v1/deliveries).", secret=True),
    *SMTP_SETTINGS,
    Setting("DOCBOX_NOTIFICATIONS_OFFSETS", "DEFAULT_OFFSETS", [1440, 60],
            "Default reminder offsets in minutes before the start.", _offsets),
    Setting("DOCBOX_NOTIFICATIONS_HORIZON_DAYS", "HORIZON_DAYS", 35,
            "How far ahead reminder rows are planned; the worker extends it on each pass.", int),
    Setting("DOCBOX_NOTIFICATIONS_NOTICE_DAYS", "NOTICE_DAYS", 14,
            "A moved occurrence starting within this many days sends a notice.", int),
    Setting("DOCBOX_NOTIFICATIONS_LEASE_SECONDS", "LEASE_SECONDS", 300,
            "How long a claimed message counts as in flight before another worker may retry it.", int),
    Setting("DOCBOX_NOTIFICATIONS_RETRY_HOURS", "RETRY_HOURS", 24,
            "Temporary SMTP failures are retried with backoff for this long, then marked failed.", int),
    Setting("DOCBOX_NOTIFICATIONS_MAX_BOUNCES", "MAX_BOUNCES", 3,
            "Permanent failures in a row after which a subscriber is paused.", int),
    Setting("DOCBOX_NOTIFICATIONS_RATE_PER_CLIENT", "RATE_PER_CLIENT", 10,
            "Subscription requests per client address per hour (429 above).", int),
    Setting("DOCBOX_NOTIFICATIONS_RATE_PER_EMAIL", "RATE_PER_EMAIL", 3,
            "Confirmation emails per address per day (silently not sent above).", int),
    Setting("DOCBOX_NOTIFICATIONS_POLL_SECONDS", "POLL_SECONDS", 5.0,
            "Pause of the worker loop between passes when nothing was due.", float),
]

