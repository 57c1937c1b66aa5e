"""The notifications API keeps its OpenAPI contract (see support/contract.py)."""

from support.contract import contract_test, migrated

NOTIFICATIONS = migrated("notifications", ADMIN_TOKEN="contract-operator-token")
test_notifications_api = contract_test(NOTIFICATIONS, "contract-operator-token")
