"""Consumers apply each entry's newest version once, whatever the order or repetition."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone

import pytest

from docbox_shared import events, signing

NOW = datetime(2027, 1, 15, 12, tzinfo=timezone.utc)


def program_event(version: int, name: str = "Doc Box", entry_id: str = "p1") -> bytes:
    state = dict(id=entry_id, slug="doc-box", name=name, description="", timezone="UTC", open=True,
                 created_at=NOW, updated_at=NOW)
    envelope = events.dump_event(event_id=uuid.uuid4(), occurred_at=NOW, kind="program", entry_id=entry_id,
                                 version=version, state=state)
    return json.dumps(envelope).encode()


def deliver(client, body: bytes, secret: str = "test-secret", now: float | None = None):
    headers = {"Content-Type": "application/json", **signing.sign(body, secret, now=now)}
    return client.post("/api/v1/events", data=body, headers=headers)


def test_newer_versions_win_whatever_the_order(consumer):
    client = consumer.app.test_client()
    v1, v2, v3 = program_event(1, "one"), program_event(2, "two"), program_event(3, "three")
    assert [deliver(client, b).json["status"] for b in (v2, v3, v1, v2)] == ["applied", "applied", "stale", "duplicate"]
    assert consumer.entries() == {("program", "p1"): 3}


def test_a_repeated_event_is_applied_once(consumer):
    client = consumer.app.test_client()
    body = program_event(1)
    assert deliver(client, body).json["status"] == "applied"
    assert deliver(client, body).json["status"] == "duplicate"


@pytest.mark.parametrize("mangle, status", [
    (lambda body: (body, "wrong-secret", None), 401),
    (lambda body: (body, "test-secret", datetime(2027, 1, 1).timestamp()), 401),  # replay of an old delivery
    (lambda body: (body.replace(b"Doc Box", b"Doc Bux"), None, None), 401),      # body changed after signing
    (lambda body: (b'{"event_id": "x"}', "test-secret", None), 422),
])
def test_unsigned_old_or_malformed_deliveries_change_nothing(consumer, mangle, status):
    client = consumer.app.test_client()
    good = program_event(1)
    body, secret, now = mangle(good)
    if secret is None:  # sign the original, send the tampered body
        headers = {"Content-Type": "application/json", **signing.sign(good, "test-secret")}
        response = client.post("/api/v1/events", data=body, headers=headers)
    else:
        response = deliver(client, body, secret, now)
    assert response.status_code == status
    assert response.content_type == "application/problem+json"
    assert consumer.entries() == {}


def test_a_rotated_secret_still_verifies(consumer):
    consumer.app.config["EVENT_SECRETS"] = ["new-secret", "test-secret"]
    client = consumer.app.test_client()
    assert deliver(client, program_event(1), "test-secret").status_code == 200
    assert deliver(client, program_event(2), "new-secret").status_code == 200

