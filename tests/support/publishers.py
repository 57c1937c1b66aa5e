"""Stand-ins for the sessions relay: they deliver entry states as signed event envelopes.

A ``Publisher`` keeps the newest state and version of each entry and POSTs
each change to a consumer's ``/api/v1/events``, signed with HMAC exactly as
the relay signs it. ``post`` is a Flask test client's ``post`` or
``over_http(base_url)`` for an app served on a real port. The folders'
fixtures (``sessions`` in calendar_sync, ``calendar`` in notifications) add
builders for the entry states their tests need.
"""

from __future__ import annotations

import json
import uuid

import requests

from docbox_shared import signing
from docbox_shared.events import dump_event


def over_http(base_url: str):
    """A ``post(path, data=, headers=)`` that sends to ``base_url`` over real HTTP."""
    http = requests.Session()
    http.trust_env = False
    return lambda path, **kwargs: http.post(base_url + path, timeout=10, **kwargs)


def _text(response) -> str:
    return response.text if isinstance(response, requests.Response) else response.get_data(as_text=True)


class Publisher:
    """Delivers entry states, signed, with a version that grows by one per change of an entry."""

    def __init__(self, post, secret: str, clock):
        self.post, self.secret, self.clock = post, secret, clock
        self.states: dict[tuple[str, str], dict] = {}
        self.versions: dict[tuple[str, str], int] = {}

    def deliver(self, kind: str, state: dict, version: int | None = None, event_id=None, expect: int = 200):
        """POST one envelope; ``version`` defaults to the entry's next; asserts the answer is ``expect``."""
        key = (kind, state["id"])
        if version is None:
            version = self.versions.get(key, 0) + 1
        self.versions[key] = max(version, self.versions.get(key, 0))
        self.states[key] = state
        envelope = dump_event(event_id=event_id or uuid.uuid4(), occurred_at=self.clock(), kind=kind,
                              entry_id=state["id"], version=version, state=state)
        body = json.dumps(envelope).encode()
        headers = {**signing.sign(body, self.secret), "Content-Type": "application/json",
                   "X-Request-Id": uuid.uuid4().hex}
        response = self.post("/api/v1/events", data=body, headers=headers)
        assert response.status_code == expect, _text(response)
        return response
