"""What sessions accepts, every consumer can show: its events are applied by the real
calendar_sync and notifications apps, and the series is in the feed.

Edge inputs the API accepts (the first and last years Doc Box knows, a time
skipped by a clock change, the longest texts, INTERVAL=999 once) go through
the real sessions API; their outbox bodies are delivered, signed, to the two
consumers in-process, each on its own database.
"""

from __future__ import annotations

import pytest

from docbox_sessions.models import OutboxEvent, db
from docbox_shared import signing
from support.apps import dispose, migrated_app

SECRET = "test-secret"

ACCEPTED = [
    ("interval 999 once", {"start": "2027-03-03T19:00:00", "rrule": "FREQ=DAILY;INTERVAL=999;COUNT=1"}),
    ("last friday monthly", {"start": "2027-01-29T19:00:00", "rrule": "FREQ=MONTHLY;BYDAY=-1FR;COUNT=12"}),
    ("ten years yearly", {"start": "2027-03-03T19:00:00", "rrule": "FREQ=YEARLY;COUNT=10"}),
    ("first days of 1970", {"start": "1970-01-01T00:30:00", "rrule": "FREQ=DAILY;COUNT=3"}),
    ("last weeks of 2199", {"start": "2199-12-20T23:30:00", "rrule": "FREQ=WEEKLY;COUNT=3"}),
    ("time skipped by spring forward", {"start": "2027-03-14T02:30:00", "rrule": "FREQ=WEEKLY;COUNT=3"}),
    ("longest texts", {"title": "Ω, ; \\ " + "t" * 192, "description": ("line\twith tab\n" * 400)[:5000],
                       "location": "Room " + "r" * 495}),
    ("southern zone", {"timezone": "Australia/Lord_Howe", "start": "2027-04-04T01:45:00", "rrule": "FREQ=DAILY;COUNT=3"}),
]


@pytest.fixture
def consumers(make_database_url, port):
    calendar = migrated_app("calendar_sync", {"EVENT_SECRETS": [SECRET],
        "SQLALCHEMY_DATABASE_URI": make_database_url("calendar_sync"), "PUBLIC_URL": "https://calendar.example.org",
        "SESSIONS_URL": "http://127.0.0.1:9"})
    notifications = migrated_app("notifications", {"EVENT_SECRETS": [SECRET],
        "SQLALCHEMY_DATABASE_URI": make_database_url("notifications"), "PUBLIC_URL": "https://docbox.test",
        "SECRET_KEYS": ["test-key"], "SMTP_HOST": "127.0.0.1", "SMTP_PORT": port, "ADMIN_TOKEN": "t"})
    yield calendar, notifications
    for app in (calendar, notifications):
        dispose(app)


@pytest.mark.parametrize("name, changes", ACCEPTED, ids=[a[0] for a in ACCEPTED])
def test_an_accepted_series_is_applied_by_every_consumer_and_in_the_feed(app, api, program, consumers, name, changes):
    body = {"program_id": program["id"], "title": "Circle", "format": "in_person", "duration_minutes": 60,
            "start": "2027-03-03T19:00:00", "rrule": "FREQ=WEEKLY;COUNT=4", **changes}
    response = api("organizer").post("/api/v1/series", json=body)
    assert response.status_code == 201, response.json
    with app.app_context():
        bodies = [e.body.encode() for e in db.session.scalars(db.select(OutboxEvent).order_by(OutboxEvent.id))]
    for consumer in consumers:
        client = consumer.test_client()
        for raw in bodies:
            answer = client.post("/api/v1/events", data=raw,
                                 headers={**signing.sign(raw, SECRET), "Content-Type": "application/json"})
            assert answer.status_code == 200, (consumer.name, answer.get_data(as_text=True)[:500])
    calendar = consumers[0].test_client()
    feed = calendar.post("/api/v1/feeds", json={"programs": [program["slug"]]}).get_json()
    text = calendar.get(feed["url"].split("calendar.example.org", 1)[1]).get_data(as_text=True)
    assert response.json["id"] in text and "RRULE:" in text
