"""The one-on-one program's mail, queued in the outreach database (the kit's durable queue).

- When a round opens, each mentor gets one mail with a link to their list
  (a page behind the suite's sign-in; the mail names nobody), and each mentee
  one mail *from the program*, not from their mentor, with a capability link
  (:class:`.models.MenteeLink`: 256 random bits, only the SHA-256 stored,
  revoked when the round closes) to ask for another mentor or to opt out.
- ``REMINDER_DAYS`` before the due date each mentor with mentees not reached
  yet gets one reminder naming only those.

Subjects are neutral ("Doc Box outreach"), so a glance at an inbox tells
nothing. Bodies hold no outcome, note or reason, and the queue deletes them
once sent. Mail is queued in the transaction of its cause: a round that opens
has its mail, one that fails to open has none.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime, timedelta
from email.message import Message
from email.mime.text import MIMEText
from email.utils import format_datetime, parseaddr

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import aliased

from docbox_shared import clock, tokens
from docbox_shared.database import insert_many
from docbox_shared.mail import address_header

from ..models import Member, OutgoingMail, db, mail
from .models import Assignment, Attempt, MenteeLink, OptOut, Round

SUBJECT = "Doc Box outreach"


def _message(recipient: str, text: str) -> Message:
    """A plain-text message. Built with the compat32 policy: a round mails every faculty member at once,
    and the modern policy's header parsing costs milliseconds a message."""
    message = MIMEText(text, "plain", "us-ascii" if text.isascii() else "utf-8")
    message["From"] = current_app.config["MAIL_FROM"]   # written by the queue (docbox_shared.mail.POLICY)
    message["To"] = recipient
    message["Subject"] = SUBJECT
    return message


def _url(path: str) -> str:
    return current_app.config["PUBLIC_URL"].rstrip("/") + path


def round_opened(round_: Round) -> None:
    """Queue the mentors' and the mentees' mail of a round that opens (the caller commits).

    Whatever the number of faculty: two reads (the round's mentees and its mentors, each with
    name and address) and three INSERTs (links, mail), each one statement for all rows.
    """
    mentee, mentor = aliased(Member), aliased(Member)
    mentees = db.session.execute(select(mentee.id, mentee.name, mentee.email).join(
        Assignment, Assignment.mentee_id == mentee.id).where(Assignment.round_id == round_.id)
        .order_by(mentee.id)).all()
    mentors = db.session.execute(select(mentor.id, mentor.name, mentor.email).where(mentor.id.in_(
        select(Assignment.mentor_id).where(Assignment.round_id == round_.id))).order_by(mentor.id)).all()
    _queue_round(round_, mentees, mentors, round_.due_on.strftime("%A %-d %B %Y"))


def _queue_round(round_: Round, mentees, mentors, due: str) -> None:
    batch = []
    mine = _url("/oneonone/mine")
    for mentor_id, name, email in mentors:
        text = (f"Dear {name},\n\nA new round of the outreach network has opened. Your list of colleagues "
                f"to reach out to, and the page to note each attempt, are here (sign in with your staff account):\n\n"
                f"{mine}\n\nPlease reach out by {due}. Note only that you tried and how it went; "
                "never what was said.\n\nThank you,\nThe outreach coordinators\n")
        batch.append((f"oneonone:{round_.id}:mentor:{mentor_id}", email, text))
    now, links, link_base = clock.now(), [], _url("/oneonone/link/")
    for mentee_id, name, email in mentees:
        token = tokens.new_token()
        links.append({"token_hash": tokens.hash_token(token), "member_id": mentee_id, "round_id": round_.id,
                      "created_at": now, "revoked_at": None})
        text = (f"Dear {name},\n\nIn the coming weeks a senior colleague from the department's peer outreach "
                "network will get in touch with you, one on one and in confidence, as with every faculty member.\n\n"
                "If you would rather hear from another colleague, or would rather not be contacted (this time or "
                f"from now on), say so here, no reason needed:\n\n{link_base}{token}\n\n"
                "This link is yours alone: please do not forward it.\n\nThe outreach coordinators\n")
        batch.append((f"oneonone:{round_.id}:mentee:{mentee_id}", email, text))
    if links:
        insert_many(db.session, MenteeLink.__table__, links)
    _queue_new(batch, now)


def _queue_new(batch: list[tuple[str, str, str]], now) -> None:
    """Queue messages whose keys are new (they name a round opening now) in one INSERT.

    The rows are what :meth:`docbox_shared.mail.MailQueue.enqueue` writes (one recipient, the Message-ID it derives from
    the key, ``pending``); it is called once per message for the reminders, but a round mails every
    faculty member at once, and enqueue's duplicate check and the email package's header folding cost
    milliseconds a message: 20,000 faculty would wait minutes.
    """
    if not batch:
        return
    sender = current_app.config["MAIL_FROM"]
    domain = parseaddr(sender)[1].rpartition("@")[2] or "docbox.invalid"
    rows = []
    for key, recipient, text in batch:
        message_id = f"<{hashlib.sha256(key.encode()).hexdigest()[:40]}@{domain}>"
        rows.append({"key": key, "message_id": message_id, "recipient": recipient,
                     "body": _plain_bytes(sender, recipient, message_id, text, now), "due_at": now, "expires_at": None,
                     "status": "pending", "attempts": 0, "created_at": now})
    insert_many(db.session, OutgoingMail.__table__, rows)


def _plain_bytes(sender: str, recipient: str, message_id: str, text: str, now: datetime) -> bytes:
    """A text/plain RFC 5322 message, as :func:`_message` builds it, without the email package's cost."""
    ascii_text = text.isascii()
    body = text.replace("\n", "\r\n") if ascii_text else base64.encodebytes(text.encode()).decode().replace(
        "\n", "\r\n")
    headers = [f"Content-Type: text/plain; charset=\"{'us-ascii' if ascii_text else 'utf-8'}\"\r\n",
               "MIME-Version: 1.0\r\n", f"Content-Transfer-Encoding: {'7bit' if ascii_text else 'base64'}\r\n",
               address_header("From", sender), address_header("To", recipient), f"Subject: {SUBJECT}\r\n",
               f"Message-ID: {message_id}\r\n", f"Date: {format_datetime(now.astimezone(clock.UTC))}\r\n"]
    return ("".join(headers) + "\r\n" + body).encode("ascii")


def reminders_due() -> bool:
    """Queue the reminders of open rounds whose reminder day came; True when some round was reminded."""
    today_ = clock.now().astimezone(current_app.config["OUTREACH_TIMEZONE"]).date()
    days = timedelta(days=current_app.config["REMINDER_DAYS"])
    due = list(db.session.scalars(select(Round).where(Round.opened_at.is_not(None), Round.closed_at.is_(None),
                                                      Round.reminded_at.is_(None))))
    due = [r for r in due if today_ >= r.due_on - days]
    for round_ in due:
        # Reached by *this* mentor: after a swap, an outcome the old mentor logged must not show in the
        # new mentor's reminder (by leaving the mentee out) any more than on their list.
        reached = select(Attempt.id).where(Attempt.assignment_id == Assignment.id, Attempt.outcome == "reached",
                                           Attempt.mentor_id == Assignment.mentor_id).exists()
        out = select(OptOut.member_id).where(OptOut.round_number == round_.number, OptOut.withdrawn_at.is_(None))
        open_rows = db.session.execute(
            select(Assignment.mentor_id, Member.name).join(Member, Member.id == Assignment.mentee_id)
            .where(Assignment.round_id == round_.id, ~reached, Assignment.mentee_id.not_in(out),
                   Member.active.is_(True))  # someone marked as left is nobody to reach
            .order_by(Member.name)).all()
        waiting: dict[int, list[str]] = {}
        for mentor_id, name in open_rows:
            waiting.setdefault(mentor_id, []).append(name)
        mentors = {m.id: m for m in db.session.scalars(select(Member).where(Member.id.in_(waiting)))} if waiting else {}
        for mentor_id, names in waiting.items():
            mentor = mentors[mentor_id]
            listed = "\n".join(f"- {name}" for name in names)
            text = (f"Dear {mentor.name},\n\nA reminder: this round of the outreach network is due on "
                    f"{round_.due_on.strftime('%A %-d %B %Y')}. Not reached yet:\n\n{listed}\n\n"
                    f"Your list: {_url('/oneonone/mine')}\n\nThank you,\nThe outreach coordinators\n")
            mail.enqueue(key=f"oneonone:{round_.id}:reminder:{mentor_id}", recipient=mentor.email,
                         message=_message(mentor.email, text))
        round_.reminded_at = clock.now()
        db.session.commit()
    return bool(due)
