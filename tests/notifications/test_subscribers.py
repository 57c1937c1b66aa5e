"""Subscribing: double opt-in, answers that reveal nothing, rate limits, bad input."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select

from docbox_notifications.models import Delivery, RateHit, Subscriber, db

from .conftest import UTC


def count(app, model):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_confirmation_first_then_reminders_only_after_the_link_is_used(client, calendar, smtp, worker, clock):
    calendar.program()
    calendar.session("s1", datetime(2027, 3, 23, 18, 0, tzinfo=UTC))
    response = client.post("/api/v1/subscribers", json={"email": "Ada@Example.org", "programs": ["prog-1"]})
    assert response.status_code == 202
    worker()
    [confirmation] = smtp.messages
    assert confirmation.rcpt_tos == ["ada@example.org"]
    assert "confirm" in confirmation["Subject"].lower()
    token = confirmation.links("confirm")[0]

    # Without the link, nothing else is ever sent, even when reminders would be due.
    clock.set(datetime(2027, 3, 23, 17, 30, tzinfo=UTC))
    worker()
    assert len(smtp.messages) == 1

    clock.set(datetime(2027, 3, 20, 13, 0, tzinfo=UTC))
    assert client.get(f"/confirm/{token}").status_code == 200      # GET only shows a button
    worker()
    assert len(smtp.messages) == 1
    page = client.post(f"/confirm/{token}")
    assert page.status_code == 303 and "/manage/" in page.headers["Location"]
    assert client.get(page.headers["Location"]).status_code == 200
    assert client.post(f"/confirm/{token}").status_code == 404     # single use

    clock.set(datetime(2027, 3, 22, 18, 0, tzinfo=UTC))            # 24 h before
    worker()
    assert [m["Subject"] for m in smtp.messages[1:]] == ["Balint group — Tuesday 23 March 2027"]


def test_the_answer_is_the_same_for_new_and_known_addresses(client, calendar, subscribe):
    calendar.program()
    new = client.post("/api/v1/subscribers", json={"email": "new@example.org", "programs": ["prog-1"]})
    subscribe("known@example.org")
    known = client.post("/api/v1/subscribers", json={"email": "known@example.org", "programs": ["prog-1"]})
    assert new.status_code == known.status_code == 202
    assert new.get_json() == known.get_json()
    assert new.headers["Content-Type"] == known.headers["Content-Type"]


def test_per_address_limit_stops_flooding_an_inbox_without_telling_the_caller(app, client, calendar, smtp, worker):
    calendar.program()
    answers = []
    for i in range(6):
        answers.append(client.post("/api/v1/subscribers", json={"email": "victim@example.org", "programs": ["prog-1"]},
                                   environ_base={"REMOTE_ADDR": f"10.0.0.{i}"}))
        worker()
    assert {a.status_code for a in answers} == {202}
    assert len({a.get_data() for a in answers}) == 1
    assert len(smtp.to("victim@example.org")) == app.config["RATE_PER_EMAIL"]


def test_per_client_limit_answers_429_with_retry_after(app, client, calendar, clock):
    calendar.program()
    limit = app.config["RATE_PER_CLIENT"]
    for i in range(limit):
        ok = client.post("/api/v1/subscribers", json={"email": f"p{i}@example.org", "programs": ["prog-1"]})
        assert ok.status_code == 202
    refused = client.post("/api/v1/subscribers", json={"email": "one-more@example.org", "programs": ["prog-1"]})
    assert refused.status_code == 429
    assert refused.headers["Content-Type"] == "application/problem+json"
    # The window slides: the first request leaves it an hour after it was made, all at T0 here.
    assert refused.headers["Retry-After"] == "3600"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Subscriber)) == limit
    clock.advance(minutes=59)
    later = client.post("/api/v1/subscribers", json={"email": "one-more@example.org", "programs": ["prog-1"]})
    assert later.status_code == 429 and later.headers["Retry-After"] == "60"
    clock.advance(minutes=1)
    assert client.post("/api/v1/subscribers",
                       json={"email": "one-more@example.org", "programs": ["prog-1"]}).status_code == 202


@pytest.mark.parametrize("body, field", [
    ({"email": "not-an-address", "programs": ["prog-1"]}, "email"),
    ({"email": "a@example.org\r\nBcc: b@example.org", "programs": ["prog-1"]}, "email"),
    ({"email": "a@example.org", "programs": ["no-such-program"]}, "programs"),
    ({"email": "a@example.org", "programs": []}, "programs"),
    ({"email": "a@example.org"}, "programs"),
    ({"email": "a@example.org", "programs": ["prog-1"], "offsets_minutes": [1]}, "offsets_minutes"),
    ({"email": "a@example.org", "programs": ["prog-1"], "timezone": "Mars/Base"}, "timezone"),
    ({"email": "a@example.org", "programs": ["prog-1"], "admin": True}, "admin"),
    # Accepted, these were never sent: every pass "crashed" on them for a day, the person heard nothing.
    ({"email": "josé@example.org", "programs": ["prog-1"]}, "email"),
])
def test_bad_input_is_a_problem_and_stores_nothing(app, client, calendar, body, field):
    calendar.program()
    response = client.post("/api/v1/subscribers", json=body)
    assert response.status_code == 422
    assert response.headers["Content-Type"] == "application/problem+json"
    assert field in response.get_json()["errors"]
    assert count(app, Subscriber) == count(app, Delivery) == count(app, RateHit) == 0


def test_an_address_at_an_internationalized_domain_gets_its_mail(client, calendar, smtp, worker):
    # The SMTP envelope is ASCII: the domain goes out in its IDNA form (it crashed every pass before).
    calendar.program()
    response = client.post("/api/v1/subscribers", json={"email": "Ana@Bücher.example", "programs": ["prog-1"]})
    assert response.status_code == 202
    worker()
    [confirmation] = smtp.messages
    assert confirmation.rcpt_tos == ["ana@xn--bcher-kva.example"]
    assert confirmation["To"] == "ana@xn--bcher-kva.example"
    assert confirmation.links("confirm")


def test_a_closed_program_is_refused_like_an_unknown_one(app, client, calendar):
    closed = calendar.program("prog-closed", name="Leadership circle")
    calendar.publish("program", {**closed, "open": False})  # the organizer closed it
    answers = [client.post("/api/v1/subscribers", json={"email": "a@example.org", "programs": [program]})
               for program in ("prog-closed", "prog-nonexistent")]
    assert [a.status_code for a in answers] == [422, 422]
    assert answers[0].get_json()["detail"] == answers[1].get_json()["detail"]
    assert count(app, Subscriber) == count(app, Delivery) == 0


def test_oversized_and_non_json_bodies_are_refused(app, client, calendar):
    calendar.program()
    big = client.post("/api/v1/subscribers", data=b"{" + b" " * (1024 * 1024 + 10) + b"}",
                      headers={"Content-Type": "application/json"})
    assert big.status_code == 413 and big.headers["Content-Type"] == "application/problem+json"
    form = client.post("/api/v1/subscribers", data={"email": "a@example.org", "programs": "prog-1"})
    assert form.status_code == 415 and form.headers["Content-Type"] == "application/problem+json"
    broken = client.post("/api/v1/subscribers", data=b"{nope", headers={"Content-Type": "application/json"})
    assert broken.status_code in (400, 422) and broken.headers["Content-Type"] == "application/problem+json"
    assert count(app, Subscriber) == count(app, Delivery) == 0


def test_unconfirmed_addresses_are_forgotten_after_a_week(app, client, calendar, worker, clock):
    calendar.program()
    client.post("/api/v1/subscribers", json={"email": "maybe@example.org", "programs": ["prog-1"]})
    worker()
    clock.advance(days=9)
    worker()
    assert count(app, Subscriber) == 0


def test_addresses_are_never_logged(client, calendar, subscribe, worker, clock, caplog):
    caplog.set_level("DEBUG")
    calendar.program()
    calendar.session("s1", datetime(2027, 3, 23, 18, 0, tzinfo=UTC))
    token = subscribe("secret.person@example.org")
    clock.set(datetime(2027, 3, 23, 17, 5, tzinfo=UTC))
    worker()
    client.post(f"/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"})
    # "mail.log" is aiosmtpd, the test's stand-in for the outside mail server: not Doc Box's log.
    ours = [r for r in caplog.records if not r.name.startswith("mail.log")]
    assert ours, "Doc Box logged its work"
    logged = "".join(f"{r.getMessage()} {r.__dict__}" for r in ours)
    assert "secret.person" not in logged
    assert token not in logged
