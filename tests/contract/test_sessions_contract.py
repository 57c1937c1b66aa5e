"""The sessions API keeps its OpenAPI contract (see support/contract.py)."""

from support.contract import contract_test, migrated, staff_token

SESSIONS = migrated("sessions", EVENT_SUBSCRIBERS=[])
test_sessions_api = contract_test(SESSIONS, staff_token(SESSIONS))
