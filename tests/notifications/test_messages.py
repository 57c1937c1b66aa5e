"""What a message carries: one recipient, neutral subject, RFC 8058 unsubscribe, manage link."""

from __future__ import annotations

import re
from datetime import datetime

import icalendar
import pytest
from sqlalchemy import func, select

from docbox_notifications.models import Delivery, Following, Link, Subscriber, db
from support.smtp import DISPLAY_NAMES, mailbox_as_read, written_mailbox

from .conftest import UTC


def test_each_message_has_one_recipient_and_no_other_address(calendar, subscribe, smtp, worker, clock):
    calendar.program()
    calendar.session("s1", datetime(2027, 3, 23, 18, 0, tzinfo=UTC), location="Room 4",
                     video_url="https://video.example/abc")
    for person in ("ada@example.org", "bob@example.org", "cy@example.org"):
        subscribe(person)
    smtp.clear()
    clock.set(datetime(2027, 3, 22, 18, 0, tzinfo=UTC))
    worker()
    assert sorted(m.rcpt_tos[0] for m in smtp.messages) == ["ada@example.org", "bob@example.org", "cy@example.org"]
    for message in smtp.messages:
        [me] = message.rcpt_tos
        addresses = set(re.findall(rb"[\w.+-]+@[\w.-]+", message.raw.replace(b"\r\n ", b"")))
        assert {a.decode().lower() for a in addresses if b"example.org" in a} == {me}
        assert message["To"] == me and message["Cc"] is None and message["Bcc"] is None
        assert "Where: Room 4" in message.text and "https://video.example/abc" in message.text
        assert "<img" not in message.raw.decode(errors="replace").lower()
    assert len({m["Message-ID"] for m in smtp.messages}) == 3


def test_subject_is_set_per_program(calendar, subscribe, smtp, worker, clock):
    calendar.program(name="Second victim support", email_subject="Peer meeting — {date}")
    calendar.session("s1", datetime(2027, 3, 23, 18, 0, tzinfo=UTC))
    subscribe()
    smtp.clear()
    clock.set(datetime(2027, 3, 22, 18, 0, tzinfo=UTC))
    worker()
    assert smtp.messages[0]["Subject"] == "Peer meeting — Tuesday 23 March 2027"
    assert "victim" not in smtp.messages[0]["Subject"].lower()


def test_subject_that_looks_like_an_encoded_word_arrives_as_written(calendar, subscribe, smtp, worker, clock):
    # Text shaped like an RFC 2047 encoded-word is text: decoded on the way out, its =0D=0A became a
    # line break in the header and the rest of the "subject" a header of its own (here a Bcc).
    subject = "Peer =?utf-8?q?meeting=0D=0ABcc:_list@evil.example?= {date} =?utf-8?q?x?="
    calendar.program(email_subject=subject)
    calendar.session("s1", datetime(2027, 3, 23, 18, 0, tzinfo=UTC))
    subscribe()
    smtp.clear()
    clock.set(datetime(2027, 3, 22, 18, 0, tzinfo=UTC))
    worker()
    [reminder] = smtp.messages
    head = reminder.raw.split(b"\r\n\r\n", 1)[0]
    assert not re.search(rb"\r\nbcc:", head, re.IGNORECASE)
    assert all(line[:1] in (b" ", b"\t") or b":" in line for line in head.split(b"\r\n"))
    assert reminder["Bcc"] is None
    assert reminder["Subject"] == subject.replace("{date}", "Tuesday 23 March 2027")


def test_one_click_unsubscribe_per_rfc_8058(app, client, calendar, subscribe, smtp, worker, clock):
    calendar.program()
    calendar.session("s1", datetime(2027, 3, 23, 18, 0, tzinfo=UTC))
    calendar.session("s2", datetime(2027, 3, 30, 18, 0, tzinfo=UTC))
    subscribe()
    clock.set(datetime(2027, 3, 22, 18, 0, tzinfo=UTC))
    worker()
    reminder = smtp.messages[-1]
    assert reminder["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    [url] = re.findall(r"<(https://[^>]+)>", reminder["List-Unsubscribe"])
    path = url.removeprefix("https://docbox.test")

    page = client.get(path)                                   # GET only shows a button
    assert page.status_code == 200 and b"<form method=\"post\"" in page.data
    assert page.headers["Referrer-Policy"] == "no-referrer" and page.headers["Cache-Control"] == "no-store"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Subscriber)) == 1

    done = client.post(path, data="List-Unsubscribe=One-Click",
                       headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert done.status_code == 200
    with app.app_context():
        for model in (Subscriber, Following, Link, Delivery):
            assert db.session.scalar(select(func.count()).select_from(model)) == 0
    sent = len(smtp.messages)
    clock.set(datetime(2027, 3, 29, 18, 0, tzinfo=UTC))
    worker()
    assert len(smtp.messages) == sent
    assert client.post(path, data="List-Unsubscribe=One-Click",
                       headers={"Content-Type": "application/x-www-form-urlencoded"}).status_code == 200
    assert client.get(path).status_code == 404


def test_manage_page_changes_offsets_and_programs(client, calendar, subscribe, smtp, worker, clock):
    calendar.program()
    calendar.program("prog-2", name="Resilience")
    calendar.session("s1", datetime(2027, 3, 23, 18, 0, tzinfo=UTC), title="First")
    calendar.session("s2", datetime(2027, 3, 24, 18, 0, tzinfo=UTC), program_id="prog-2", title="Second")
    token = subscribe()
    page = client.get(f"/manage/{token}")
    assert page.status_code == 200 and b"Resilience" in page.data
    saved = client.post(f"/manage/{token}", data={"action": "save", "programs": ["prog-2"], "offsets": ["180"]})
    assert saved.status_code == 303
    smtp.clear()
    for instant in (datetime(2027, 3, 22, 18, 0, tzinfo=UTC), datetime(2027, 3, 23, 17, 0, tzinfo=UTC),
                    datetime(2027, 3, 24, 15, 0, tzinfo=UTC), datetime(2027, 3, 24, 17, 0, tzinfo=UTC)):
        clock.set(instant)
        worker()
    [only] = smtp.messages
    assert only.text.startswith("Second") and only["Date"]
    bad = client.post(f"/manage/{token}", data={"action": "save", "programs": ["nope"], "offsets": ["60"]})
    assert bad.status_code == 422


def test_delete_everything_from_the_manage_page(app, client, calendar, subscribe):
    calendar.program()
    token = subscribe()
    asked = client.post(f"/manage/{token}", data={"action": "delete"})          # first the question
    assert asked.status_code == 200 and b"Yes, delete everything" in asked.data
    assert client.get(f"/manage/{token}").status_code == 200                   # nothing deleted yet
    done = client.post(f"/manage/{token}", data={"action": "delete-everything"})
    assert done.status_code == 200 and b"You are unsubscribed" in done.data
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Subscriber)) == 0
        assert db.session.scalar(select(func.count()).select_from(Link)) == 0
    assert client.get(f"/manage/{token}").status_code == 404


def test_links_are_stored_only_as_hashes(app, calendar, subscribe, smtp):
    calendar.program()
    token = subscribe()
    confirm_token = smtp.messages[0].links("confirm")[0]
    with app.app_context():
        stored = " ".join(str(v) for link in db.session.scalars(select(Link)) for v in vars(link).values())
    assert token not in stored and confirm_token not in stored
    assert len(token) >= 43   # 256 random bits


def test_one_click_unsubscribe_header_is_a_literal_url_of_any_length(app_config, request, smtp):
    """RFC 2369/8058: ``<https://...>`` as written, never an RFC 2047 encoded-word, whatever its length."""
    from docbox_shared.tokens import new_token

    base = "https://docbox.test/"
    base += "p" * (200 - len(base) - len("/unsubscribe/") - len(new_token()))
    app_config["PUBLIC_URL"] = base
    calendar, worker = request.getfixturevalue("calendar"), request.getfixturevalue("worker")
    client = request.getfixturevalue("client")
    calendar.program()
    assert client.post("/api/v1/subscribers", json={"email": "ada@example.org", "programs": ["prog-1"]}).status_code == 202
    worker()
    [message] = smtp.messages
    head = message.raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    fields = re.findall(r"^List-Unsubscribe: ([^\r\n]*(?:\r\n[ \t][^\r\n]*)*)", head, re.MULTILINE)
    assert len(fields) == 1 and "=?" not in fields[0]
    [url] = re.fullmatch(r"<(https://\S+)>", re.sub(r"\r\n[ \t]+", "", fields[0])).groups()
    assert len(url) == 200 and url.startswith(base + "/unsubscribe/")
    assert f"Unsubscribe from all Doc Box email: {url}" in message.text
    assert "\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n" in head + "\r\n"
    assert all(len(line) <= 998 for line in head.split("\r\n"))
    done = client.post(url.removeprefix(base), data="List-Unsubscribe=One-Click",
                       headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert done.status_code == 200


def test_each_invitation_names_its_own_recipient_as_the_one_attendee(calendar, subscribe, smtp, worker, clock):
    """The calendar of an occurrence is built once for all its recipients; the attendee is each one's own."""
    import icalendar

    calendar.program(name="Balint group — Mitte")
    calendar.session("s1", datetime(2027, 3, 23, 18, 0, tzinfo=UTC), title="Fallbesprechung: Überlastung")
    people = ["ada@example.org", "bob.with.a.rather.long.address.that.folds@example.org", "o'neil@example.org"]
    for person in people:
        subscribe(person)
    smtp.clear()
    clock.set(datetime(2027, 3, 22, 18, 0, tzinfo=UTC))
    worker()
    assert sorted(m.rcpt_tos[0] for m in smtp.messages) == sorted(people)
    for message in smtp.messages:
        method, ics = message.invitation()
        assert method == "REQUEST"
        [event] = icalendar.Calendar.from_ical(ics).walk("VEVENT")
        attendee = event["attendee"]
        assert str(attendee) == f"mailto:{message.rcpt_tos[0]}"
        assert (attendee.params["RSVP"], attendee.params["ROLE"]) == ("FALSE", "OPT-PARTICIPANT")
        assert str(event["summary"]) == "Fallbesprechung: Überlastung"
        assert message["Subject"] == "Balint group — Mitte — Tuesday 23 March 2027"
        assert message.text.splitlines()[0] == "Fallbesprechung: Überlastung"


EXPECT = "Come as you are; nothing said leaves the room.\n\nCafé opens at 18:45 — tea and biscuits."


def test_a_reminder_carries_the_programs_what_to_expect_and_contact(calendar, subscribe, smtp, worker, clock):
    calendar.program(what_to_expect=EXPECT, contact_email="peer-support@example.net")
    calendar.session("s1", datetime(2027, 3, 23, 18, 0, tzinfo=UTC))
    subscribe()
    smtp.clear()
    clock.set(datetime(2027, 3, 22, 18, 0, tzinfo=UTC))
    worker()
    [reminder] = smtp.messages
    text = reminder.text
    assert "What to expect\n\nCome as you are; nothing said leaves the room.\n\nCafé opens at 18:45 — tea and biscuits." \
        in text.replace("\r\n", "\n")
    assert "Questions? Write to peer-support@example.net" in text
    # The raw bytes: 7-bit clean (the non-ASCII text is quoted-printable, UTF-8), no header holds the texts.
    raw = reminder.raw
    assert all(b < 128 for b in raw)
    head, _, _ = raw.partition(b"\r\n\r\n")
    assert b"peer-support" not in head and b"expect" not in head.lower()
    [body] = [p for p in reminder.msg.walk() if p.get_content_type() == "text/plain"]
    assert body["Content-Transfer-Encoding"] == "quoted-printable" and body.get_content_charset() == "utf-8"
    assert b"Caf=C3=A9 opens" in raw


def test_a_notice_gives_the_contact_but_a_program_without_one_says_nothing(calendar, subscribe, smtp, worker, clock):
    calendar.program(contact_email="peer-support@example.net")
    session = calendar.session("s1", datetime(2027, 3, 23, 18, 0, tzinfo=UTC))
    calendar.program("prog-2", name="Resilience")
    calendar.session("s2", datetime(2027, 3, 23, 19, 0, tzinfo=UTC), program_id="prog-2", title="Other")
    subscribe(programs=("prog-1", "prog-2"))
    smtp.clear()
    calendar.update("session", session, status="cancelled")
    worker()
    [notice] = smtp.messages
    assert notice["Subject"].startswith("Cancelled:") and "Questions? Write to peer-support@example.net" in notice.text
    assert "What to expect" not in notice.text
    smtp.clear()
    clock.set(datetime(2027, 3, 22, 19, 0, tzinfo=UTC))
    worker()
    [other] = smtp.messages
    assert other.text.startswith("Other") and "Questions?" not in other.text and "What to expect" not in other.text



def test_a_long_non_ascii_subject_arrives_with_every_space(calendar, subscribe, smtp, worker, clock):
    # Folded by the email package, this subject lost the space before the dash ("Anästhesie— Tuesday"):
    # it put the two words in encoded-words on separate lines, and the space between them is not read.
    name = "Peer-Gesprächsgruppe für Ärztinnen und Ärzte der Notaufnahme, Intensivstation und Anästhesie"
    calendar.program(name=name)
    calendar.session("s1", datetime(2027, 3, 23, 18, 0, tzinfo=UTC))
    subscribe()
    smtp.clear()
    clock.set(datetime(2027, 3, 22, 18, 0, tzinfo=UTC))
    worker()
    [reminder] = smtp.messages
    assert reminder["Subject"] == f"{name} — Tuesday 23 March 2027"
    [subject] = re.findall(rb"\r\nSubject: .*?\r\n(?![ \t])", reminder.raw, re.DOTALL)
    assert all(b < 128 for b in subject) and all(len(line) <= 78 for line in subject.split(b"\r\n"))

def test_a_long_non_ascii_title_arrives_intact_to_every_recipient(calendar, subscribe, smtp, worker, clock):
    """The text and invitation every recipient shares are encoded once; each message must still be valid bytes
    (CRLF, 7-bit, lines within limits) that decode to the title as written, with its reader's own links."""
    import icalendar

    title = "Fallbesprechung über Überlastung, Schlafmangel und Zweifel nach einem Behandlungsfehler " * 2
    name = "Peer-Gesprächsgruppe für Ärztinnen und Ärzte der Notaufnahme und Intensivstation"
    calendar.program(name=name, what_to_expect="Tee ☕ " * 60)
    calendar.session("s1", datetime(2027, 3, 23, 18, 0, tzinfo=UTC), title=title.strip(), location="Raum 4 — Süd")
    people = ["ada@example.org", "bob@example.org"]
    for person in people:
        subscribe(person)
    smtp.clear()
    clock.set(datetime(2027, 3, 22, 18, 0, tzinfo=UTC))
    worker()
    assert sorted(m.rcpt_tos[0] for m in smtp.messages) == people
    for message in smtp.messages:
        raw = message.raw
        assert all(b < 128 for b in raw) and b"\r" not in raw.replace(b"\r\n", b"")
        assert b"\n" not in raw.replace(b"\r\n", b"")
        head, _, body = raw.partition(b"\r\n\r\n")
        assert all(len(line) <= 998 for line in head.split(b"\r\n"))
        assert all(len(line) <= 78 for line in body.split(b"\r\n"))
        assert not any(part.defects for part in message.msg.walk())
        assert message["Subject"] == f"{name} — Tuesday 23 March 2027" and message["To"] == message.rcpt_tos[0]
        lines = message.text.splitlines()
        assert lines[0] == title.strip() and "Where: Raum 4 — Süd" in lines
        assert "Tee ☕ " * 59 + "Tee ☕" in lines
        [part] = message.calendar_parts()
        [event] = icalendar.Calendar.from_ical(part.get_content()).walk("VEVENT")
        assert str(event["summary"]) == title.strip() and str(event["attendee"]) == f"mailto:{message.rcpt_tos[0]}"
    # Each reader's own link, and no other's.
    manage = [m.links("manage") for m in smtp.messages]
    assert all(len(links) == 1 for links in manage) and manage[0] != manage[1]


@pytest.mark.parametrize("name", DISPLAY_NAMES)
def test_the_senders_name_arrives_as_the_operator_wrote_it(app, calendar, subscribe, smtp, worker, clock, name):
    """DOCBOX_MAIL_FROM's display name, read back from the raw bytes, is the name: the email package's
    folding wrote two encoded-words on separate lines with the name's space between them, which RFC 2047
    readers drop ("Département demédecine"), and the address stays as it is, outside any encoded-word."""
    app.config["MAIL_FROM"] = written_mailbox(name, "reminders@docbox.test")
    calendar.program()
    calendar.session("s1", datetime(2027, 3, 23, 18, 0, tzinfo=UTC))
    subscribe()
    clock.set(datetime(2027, 3, 22, 18, 0, tzinfo=UTC))
    worker()
    assert len(smtp.messages) == 2   # the confirmation and the reminder with its invitation
    for message in smtp.messages:
        assert mailbox_as_read(message, "From") == (name, "reminders@docbox.test")
        assert mailbox_as_read(message, "To") == ("", "ada@example.org")
    _method, ics = smtp.messages[-1].invitation()
    [event] = icalendar.Calendar.from_ical(ics).walk("VEVENT")
    assert (event["ORGANIZER"].params["CN"], str(event["ORGANIZER"])) == (name, "mailto:reminders@docbox.test")
