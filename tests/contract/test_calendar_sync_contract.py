"""The calendar_sync API keeps its OpenAPI contract (see support/contract.py).

It checks staff tokens with the sessions service, so the real sessions app is
served on a free port for it.
"""

from support.contract import contract_test, migrated, poison_test, served, staff_token

SESSIONS = migrated("sessions", EVENT_SUBSCRIBERS=[])
CALENDAR_SYNC = migrated("calendar_sync", SESSIONS_URL=served(SESSIONS))
TOKEN = staff_token(SESSIONS)
test_calendar_sync_api = contract_test(CALENDAR_SYNC, TOKEN)
test_calendar_sync_api_refuses_poisoned_input = poison_test(CALENDAR_SYNC, TOKEN)
