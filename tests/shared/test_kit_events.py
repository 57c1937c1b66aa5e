"""Two services made from the kit alone exchange a signed event, database to database, over HTTP.

The publisher writes the event into its own outbox in the transaction of its
change; the kit's relay (its ``flask relay --once`` command) signs it and
POSTs it to the consumer, served on a real port, whose kit inbox verifies the
signature and applies the entry to its own replica. No Doc Box service is
involved (see tests/support/kit_events.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from support import kit_events

SECRET = "kit-test-secret"


def program(name: str) -> dict:
    at = datetime(2027, 3, 1, 9, 0, tzinfo=timezone.utc)
    return {"id": "outreach", "slug": "outreach", "name": name, "description": "", "timezone": "Europe/Berlin",
            "open": True, "default_format": None, "default_location": None, "default_video_url": None,
            "email_subject": None, "created_at": at, "updated_at": at}


@pytest.fixture
def services(make_database_url, serve):
    def make(consumer_secrets=(SECRET,)):
        consumer = kit_events.consumer(make_database_url("kit_consumer"), consumer_secrets[0])
        consumer.app.config["EVENT_SECRETS"] = list(consumer_secrets)
        url = serve(consumer.app) + "/api/v1/events"
        publisher = kit_events.publisher(make_database_url("kit_publisher"), [url], SECRET)
        made.extend((consumer, publisher))
        return publisher, consumer

    made = []
    yield make
    kit_events.dispose(*made)


def relay_once(publisher) -> str:
    return publisher.app.test_cli_runner().invoke(args=["relay", "--once"]).output


def metric(app, name: str) -> str:
    return next(line for line in app.test_client().get("/metrics").get_data(as_text=True).splitlines()
                if line.startswith(name + " "))


def test_an_event_published_by_one_kit_service_is_applied_by_another(services):
    publisher, consumer = services()
    publisher.publish("program", program("Outreach"))
    assert metric(publisher.app, "docbox_outbox_pending") == "docbox_outbox_pending 1.0"
    assert relay_once(publisher) == "attempted 1 deliveries\n"
    assert consumer.entries()[("program", "outreach")]["name"] == "Outreach"
    assert metric(publisher.app, "docbox_outbox_pending") == "docbox_outbox_pending 0.0"
    # A change travels the same way; a second relay pass finds nothing left to send.
    publisher.publish("program", program("Outreach network"))
    assert relay_once(publisher) == "attempted 1 deliveries\n"
    assert relay_once(publisher) == "attempted 0 deliveries\n"
    assert consumer.entries()[("program", "outreach")]["name"] == "Outreach network"
    assert consumer.changes == [("program", "outreach", 1), ("program", "outreach", 2)]


def test_a_consumer_that_does_not_know_the_secret_applies_nothing_and_the_event_waits(services):
    publisher, consumer = services(consumer_secrets=("another-secret",))
    publisher.publish("program", program("Outreach"))
    relay_once(publisher)
    assert consumer.entries() == {}
    with publisher.app.app_context():
        status = publisher.outbox.status()
    assert status["pending"] == 1 and status["subscribers"][0]["failing"]
    assert status["subscribers"][0]["last_error"] == "HTTP 401"
    # The consumer learns the publisher's secret (a rotation: both accepted): the kept event arrives.
    consumer.app.config["EVENT_SECRETS"].append(SECRET)
    publisher.app.config["CLOCK"] = lambda: datetime.now(timezone.utc) + timedelta(seconds=10)  # its next try is due
    assert relay_once(publisher) == "attempted 1 deliveries\n"
    assert consumer.entries()[("program", "outreach")]["name"] == "Outreach"
