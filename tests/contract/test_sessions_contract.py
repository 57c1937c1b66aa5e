"""The sessions API keeps its OpenAPI contract (see support/contract.py)."""

from support.contract import contract_test, migrated, poison_test, staff_token

SESSIONS = migrated("sessions", EVENT_SUBSCRIBERS=[])
TOKEN = staff_token(SESSIONS)
test_sessions_api = contract_test(SESSIONS, TOKEN)
test_sessions_api_refuses_poisoned_input = poison_test(SESSIONS, TOKEN)
