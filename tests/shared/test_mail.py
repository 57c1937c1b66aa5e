"""The kit's mail queue, as a service that stores its messages (outreach) uses it, against a real SMTP server.

The server is the development sink (aiosmtpd writing one .eml file per
message), so what a test reads is what a mail server received.
"""

from __future__ import annotations

import email
import threading
from contextlib import contextmanager
from datetime import timedelta
from email import policy
from email.message import EmailMessage
from types import SimpleNamespace

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import select
from sqlalchemy.orm import DeclarativeBase

from docbox_notifications.mailsink import EmlWriter
from docbox_shared import database
from docbox_shared.mail import MailQueue, StoredMessageMixin


class Mailbox(EmlWriter):
    """The sink, answering every recipient with ``rcpt_reply`` when set (e.g. "550 no such user")."""

    rcpt_reply: str | None = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    def received(self):
        return [email.message_from_bytes(p.read_bytes(), policy=policy.default)
                for p in sorted(self.folder.glob("*.eml"))]


@pytest.fixture
def mailbox(port, tmp_path):
    """A real SMTP server on ``port``; ``mailbox.received()`` parses what it accepted."""
    box = Mailbox(tmp_path / "mail")
    box.port = port
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box
    controller.stop()


@contextmanager
def letters_service(database_url: str, smtp_port: int, lease_seconds: int, **queue):
    """A service made from the kit: its own database, its own queue table (``letters``), its mail to
    ``smtp_port``; ``queue`` are the :class:`MailQueue`'s knobs (``batch``, ``unflushed``)."""

    class Base(DeclarativeBase):
        pass

    db = SQLAlchemy(model_class=Base)

    class Letter(StoredMessageMixin, db.Model):
        __tablename__ = "letters"

    app = Flask("outreach-like")
    app.config.update(SQLALCHEMY_DATABASE_URI=database_url, SMTP_HOST="127.0.0.1", SMTP_PORT=smtp_port,
                      SMTP_TLS="none", SMTP_USERNAME="", SMTP_PASSWORD="",
                      MAIL_FROM="Doc Box outreach <outreach@docbox.test>", LEASE_SECONDS=lease_seconds)
    database.configure(app)
    db.init_app(app)
    with app.app_context():
        db.create_all()
    yield SimpleNamespace(app=app, db=db, Letter=Letter, queue=MailQueue(db, Letter, **queue))
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def service(make_database_url, mailbox):
    with letters_service(make_database_url("mail"), mailbox.port, lease_seconds=300, batch=10) as service:
        yield service


def letter(to: str, text: str = "Your mentor will write to you this week.") -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "Doc Box outreach <outreach@docbox.test>"
    msg["To"] = to
    msg["Subject"] = "Peer support — a new round"
    msg.set_content(text)
    return msg


def enqueue(service, count: int) -> None:
    with service.app.app_context():
        for i in range(count):
            service.queue.enqueue(key=f"round-1:{i}", recipient=f"mentor{i}@hospital.example",
                                  message=letter(f"mentor{i}@hospital.example"))
        service.db.session.commit()


def test_queued_letters_reach_their_one_recipient_once_and_their_bodies_are_deleted(service, mailbox):
    enqueue(service, 3)
    with service.app.app_context():
        assert service.queue.enqueue(key="round-1:0", recipient="mentor0@hospital.example",
                                     message=letter("mentor0@hospital.example")) is None   # already queued
        assert service.queue.run_pass() == {"sent": 3}
        assert service.queue.run_pass() == {}
        rows = service.db.session.scalars(select(service.Letter)).all()
        assert [(row.status, row.body) for row in rows] == [("sent", None)] * 3
        message_ids = [row.message_id for row in rows]
    received = mailbox.received()
    assert sorted(m["To"] for m in received) == [f"mentor{i}@hospital.example" for i in range(3)]
    assert sorted(m["Message-ID"] for m in received) == sorted(message_ids)
    assert received[0].get_content().startswith("Your mentor will write")


def test_a_line_made_of_a_dot_arrives_as_written_and_does_not_end_the_letter(service, mailbox):
    """SMTP ends a message at a line holding only "."; the worker escapes such lines as smtplib does."""
    text = "First line.\n.\n.. two dots\nStill the same letter."
    with service.app.app_context():
        service.queue.enqueue(key="dots", recipient="mentor@hospital.example",
                              message=letter("mentor@hospital.example", text))
        service.db.session.commit()
        assert service.queue.run_pass() == {"sent": 1}
    [received] = mailbox.received()
    assert received.get_content().replace("\r\n", "\n") == text + "\n"


@pytest.mark.parametrize("header, value", [("Cc", "coordinator@hospital.example"),
                                           ("Bcc", "someone@hospital.example")])
def test_a_letter_naming_a_second_recipient_is_refused(service, header, value):
    msg = letter("mentor@hospital.example")
    msg[header] = value
    with service.app.app_context(), pytest.raises(ValueError, match="one recipient"):
        service.queue.enqueue(key="x", recipient="mentor@hospital.example", message=msg)


def test_a_refused_recipient_is_parked_as_bounced_and_a_server_down_keeps_the_letter(service, mailbox):
    enqueue(service, 2)
    with service.app.app_context():
        mailbox.rcpt_reply = "550 5.1.1 no such user"
        assert service.queue.run_pass(limit=1) == {"bounced": 1}
        mailbox.rcpt_reply = None
        port, service.app.config["SMTP_PORT"] = service.app.config["SMTP_PORT"], 1   # nobody listens
        assert service.queue.run_pass() == {"pending": 1}
        service.app.config["SMTP_PORT"] = port
        rows = service.db.session.scalars(select(service.Letter).order_by(service.Letter.id)).all()
        assert [(r.status, r.last_error[:3], r.body is None) for r in rows] == [
            ("bounced", "550", True),                 # parked, never retried, its body deleted
            ("pending", "Con", False)]                # kept for the retry
        retry = rows[1]   # later, in aware UTC instants like every column (on SQLite too)
        assert retry.first_failure_at.utcoffset() == timedelta(0) and retry.due_at > retry.first_failure_at
    assert mailbox.received() == []


def test_two_workers_claiming_batches_at_once_send_each_letter_once(service, mailbox):
    enqueue(service, 120)
    counts = []

    def worker():
        with service.app.app_context():
            counts.append(service.queue.run_pass())

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    received = [m["To"] for m in mailbox.received()]
    assert sorted(received) == sorted(f"mentor{i}@hospital.example" for i in range(120))
    assert sum(c.get("sent", 0) for c in counts) == 120


def test_a_stopped_worker_gives_its_unsent_batch_back_for_the_next_pass(service, mailbox):
    enqueue(service, 25)
    with service.app.app_context():
        counts = service.queue.run_pass(should_stop=lambda: len(mailbox.received()) >= 4)
        assert counts == {"sent": 4}
        statuses = [row.status for row in service.db.session.scalars(select(service.Letter))]
        assert statuses.count("sent") == 4 and statuses.count("pending") == 21   # not left "sending" for a lease
        assert service.queue.run_pass() == {"sent": 21}
    assert len(mailbox.received()) == 25
