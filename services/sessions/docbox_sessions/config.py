"""Settings of the sessions service, read once from the environment.

Every setting is declared once here (name, default, help); the README's
configuration table lists the same. Secrets have development defaults that
production refuses (see :mod:`docbox_shared.settings`).
"""

from __future__ import annotations

from docbox_shared import outbox
from docbox_shared.mail import SMTP_SETTINGS
from docbox_shared.settings import COMMON, Setting, as_bool, at_least, var_database

SETTINGS = COMMON + outbox.SETTINGS + SMTP_SETTINGS + [  # SMTP: the staff mail (invitations, reset links)
    Setting("DOCBOX_SESSIONS_DATABASE_URL", "SQLALCHEMY_DATABASE_URI", var_database("sessions"),
            "SQLAlchemy URL of the sessions database (postgresql+psycopg://... in production)."),
    Setting("DOCBOX_SESSIONS_URL", "PUBLIC_URL", "http://127.0.0.1:5001", "Public base URL of this service.",
            public_url=True),
    # The other services' public URLs: the sign-in page returns to their staff pages (`next=`), to no other site.
    Setting("DOCBOX_CALENDAR_SYNC_URL", "CALENDAR_SYNC_URL", "http://127.0.0.1:5002",
            "Public base URL of calendar_sync; after signing in, staff may be sent back to its pages."),
    Setting("DOCBOX_NOTIFICATIONS_URL", "NOTIFICATIONS_URL", "http://127.0.0.1:5003",
            "Public base URL of notifications; after signing in, staff may be sent back to its pages."),
    Setting("DOCBOX_OUTREACH_URL", "OUTREACH_URL", "http://127.0.0.1:5004",
            "Public base URL of outreach; after signing in, staff may be sent back to its pages."),
    Setting("DOCBOX_MIN_CELL", "MIN_CELL", 5, "Small-cell threshold K: counts 1..K-1 are withheld from viewers.",
            at_least(2, "below 2 nothing would be withheld")),
    Setting("DOCBOX_STATS_GRACE_DAYS", "STATS_GRACE_DAYS", 7,
            "Days after a month ends (UTC) before it enters the statistics release; later counts reach organizers only.",
            int),
    Setting("DOCBOX_CALENDAR_SYNC_INTERNAL_URL", "CALENDAR_SYNC_INTERNAL_URL", "http://127.0.0.1:5002",
            "Where sessions asks calendar_sync, server to server and signed, how many feeds each program has "
            "(the programs page); empty: not asked."),
    Setting("DOCBOX_NOTIFICATIONS_INTERNAL_URL", "NOTIFICATIONS_INTERNAL_URL", "http://127.0.0.1:5003",
            "Where sessions asks notifications, server to server and signed, how many reminder subscriptions "
            "each program has (the programs page); empty: not asked."),
    Setting("DOCBOX_SESSIONS_SECRET_KEY", "SECRET_KEY", "dev-session-key-not-for-production",
            "Key signing the staff web login cookie.", secret=True),
    Setting("DOCBOX_OIDC_ISSUER", "OIDC_ISSUER", "",
            "Issuer URL of the institution's OpenID Connect provider (https:// in production); empty: no single sign-on."),
    Setting("DOCBOX_OIDC_CLIENT_ID", "OIDC_CLIENT_ID", "", "Client id of Doc Box at the OpenID provider."),
    Setting("DOCBOX_OIDC_CLIENT_SECRET", "OIDC_CLIENT_SECRET", "", "Client secret of Doc Box at the OpenID provider."),
    Setting("DOCBOX_SSO_ONLY", "SSO_ONLY", False,
            "`true`: staff sign in by single sign-on only, passwords are off (needs DOCBOX_OIDC_ISSUER).", as_bool),
]



def sso_problems(config: dict) -> list[str]:
    """What is wrong with the single sign-on settings taken together (each one alone is fine)."""
    problems = []
    issuer = config.get("OIDC_ISSUER", "")
    if not issuer:
        if config.get("SSO_ONLY"):
            problems.append("DOCBOX_SSO_ONLY=true needs single sign-on: set DOCBOX_OIDC_ISSUER")
        return problems
    for variable, key in (("DOCBOX_OIDC_CLIENT_ID", "OIDC_CLIENT_ID"), ("DOCBOX_OIDC_CLIENT_SECRET", "OIDC_CLIENT_SECRET")):
        if not config.get(key, "").strip():
            problems.append(f"{variable} is required when DOCBOX_OIDC_ISSUER is set")
    if config.get("DOCBOX_ENV") == "production" and not issuer.startswith("https://"):
        problems.append("DOCBOX_OIDC_ISSUER must be an https:// URL in production (the ID token's keys come from it)")
    return problems
