"""The notifications API keeps its OpenAPI contract (see support/contract.py)."""

from support.contract import contract_test, migrated, poison_test

NOTIFICATIONS = migrated("notifications", ADMIN_TOKEN="contract-operator-token")
test_notifications_api = contract_test(NOTIFICATIONS, "contract-operator-token")
test_notifications_api_refuses_poisoned_input = poison_test(NOTIFICATIONS, "contract-operator-token")
