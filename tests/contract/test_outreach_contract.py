"""The outreach API keeps its OpenAPI contract (see support/contract.py).

It asks the sessions service who a staff token belongs to, so the real sessions app is served on a free
port for it; the token's holder is an outreach coordinator.
"""

from sqlalchemy import select

from support.contract import contract_test, migrated, poison_test, served, staff_token

SESSIONS = migrated("sessions", EVENT_SUBSCRIBERS=[])
OUTREACH = migrated("outreach", SESSIONS_URL=served(SESSIONS))
TOKEN = staff_token(SESSIONS, "viewer")
with SESSIONS.app_context():
    from docbox_sessions.models import Staff, db
    db.session.scalar(select(Staff).where(Staff.email == "viewer@contract.example")).outreach_role = "coordinator"
    db.session.commit()
test_outreach_api = contract_test(OUTREACH, TOKEN)
test_outreach_api_refuses_poisoned_input = poison_test(OUTREACH, TOKEN)
