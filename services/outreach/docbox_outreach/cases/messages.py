"""The program's mail, through the service's durable queue (bodies deleted once sent).

Subjects are neutral (a mailbox preview or a shared screen tells nothing).
A supporter's mail names the physician, their work contact, the time by which
to reach out and a short suggested first message; of the trigger only its
type. Escalations name no one: the coordinator reads the pairing on the page.
Keys start with ``case:`` so the retention pass can delete the rows once
final (a sent row still says who was written to).
"""

from __future__ import annotations

import uuid
from email.message import EmailMessage

from flask import current_app

from . import host
from .host import mail, public_url

SUBJECT = "Doc Box peer support: something to do"


def _local(moment) -> str:
    return moment.astimezone(current_app.config["OUTREACH_TIMEZONE"]).strftime("%A %d %B %Y, %H:%M")


def _message(recipient: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = current_app.config.get("MAIL_FROM", "Doc Box <docbox@localhost>")
    message["To"] = recipient
    message["Subject"] = subject
    message.set_content(body)
    return message


def suggested_first_message(first_name: str) -> str:
    return (f"Hi {first_name}, I'm one of the department's peer supporters. Colleagues going through a review "
            "or a claim often find it helps to talk to someone who has been there. Would you like to meet "
            "for a coffee or a call this week? There is no need to reply if now is not a good time.")


def assignment(pairing) -> None:
    physician, supporter = pairing.physician, pairing.supporter.member
    first = physician.name.split()[0] if physician.name.split() else physician.name
    body = (f"Hello {supporter.name},\n\n"
            f"Please reach out to a colleague: {physician.name} ({physician.division}), {physician.email}.\n"
            f"Please make a first contact by {_local(pairing.due_at)}.\n"
            f"Referral type: {pairing.trigger.label}. Doc Box holds nothing more, on purpose.\n\n"
            f"Before you reach out, confirm on your page that you are not involved in the case, not reviewing it "
            f"and not in their reporting line, or refuse the pairing:\n{public_url('/cases/mine')}\n\n"
            f"A first message you could send:\n\n  {suggested_first_message(first)}\n\n"
            "Log each contact on your page as a time, a channel and an outcome. Write notes nowhere.\n")
    mail.enqueue(key=f"case:{pairing.id}:assigned:{pairing.supporter_id}:{pairing.assigned_at.timestamp()}",
                       recipient=supporter.email, message=_message(supporter.email, SUBJECT, body))


def reminder(pairing) -> None:
    supporter = pairing.supporter.member
    body = (f"Hello {supporter.name},\n\nA first contact you took on was due {_local(pairing.due_at)} and none "
            f"is logged yet. Please reach out, and log it on your page:\n{public_url('/cases/mine')}\n\n"
            "If you cannot, tell the coordinator so that someone else can.\n")
    mail.enqueue(key=f"case:{pairing.id}:reminder:{pairing.assigned_at.timestamp()}",
                       recipient=supporter.email, message=_message(supporter.email, SUBJECT, body))


def reoffer(pairing) -> None:
    """The re-offer date came: the supporter is reminded, with no name, no date and no outcome in the mail
    (that a colleague declined or deferred support is theirs to keep); the page says who."""
    supporter = pairing.supporter.member
    body = (f"Hello {supporter.name},\n\nA date you set to offer support again has come. Your page says to "
            f"whom:\n{public_url('/cases/mine')}\n\n"
            "If you cannot offer it now, tell the coordinator so that someone else can.\n")
    mail.enqueue(key=f"case:{pairing.id}:reoffer:{pairing.reoffer_on.isoformat()}",
                 recipient=supporter.email, message=_message(supporter.email, SUBJECT, body))


def escalation(pairing) -> None:
    body = ("Hello,\n\nA pairing of the case-based program is overdue: no first contact has been logged and the "
            f"supporter was reminded. See the queue:\n{public_url('/cases/queue')}\n")
    for email in host.coordinator_emails():
        mail.enqueue(key=f"case:{pairing.id}:escalation:{pairing.assigned_at.timestamp()}:{email.lower()}",
                           recipient=email, message=_message(email, SUBJECT, body))


def survey(round_id: int, member, token: str) -> None:
    body = (f"Hello {member.name},\n\nOnce a year the department's peer support program asks the colleagues it "
            "supported whether it helped. Three questions, about a minute. Your answer is stored without your "
            "name or any link to you or to this message, and only counted with others.\n\n"
            f"{public_url('/cases/survey/' + token)}\n\nThe link works once. Thank you.\n")
    # The key names the round and a random part: neither the person nor anything of the link.
    mail.enqueue(key=f"case:survey:{round_id}:{uuid.uuid4().hex}", recipient=member.email,
                       message=_message(member.email, "Doc Box peer support: one minute of your time", body))
