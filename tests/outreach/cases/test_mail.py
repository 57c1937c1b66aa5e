"""The program's mail through the outreach worker into a real SMTP server; the rows go once sent."""

from __future__ import annotations

from sqlalchemy import select

from docbox_outreach.cases import run_due
from docbox_outreach.cases.host import OutgoingMail, db, mail

from .helpers import make_supporters, matched


def test_the_supporter_gets_one_neutral_mail_and_its_row_is_deleted_once_sent(app, roster, coordinator, smtp, clock):
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp.port)
    (eve,) = make_supporters(roster, roster.peer1)
    matched(roster, coordinator, eve)
    mail.run_pass()
    [message] = smtp.to("eve@hospital.test")
    assert message["Subject"] == "Doc Box peer support: something to do"
    text = message.text
    assert "Cy Patel (Cardiology), cy@hospital.test" in text and "Referral type: quality review" in text
    assert "https://docbox.test/outreach/cases/mine" in text
    assert len(smtp.messages) == 1
    # The worker's next pass deletes the sent row: it would only say who was written to.
    assert run_due() is True
    assert db.session.scalars(select(OutgoingMail)).all() == []


def test_the_supporters_mail_arrives_dated_so_strict_providers_take_it(app, roster, coordinator, smtp, clock):
    """Gmail refuses a message without a Date ("not RFC 5322 compliant"): the supporter would never hear."""
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp.port)
    (eve,) = make_supporters(roster, roster.peer1)
    matched(roster, coordinator, eve)
    written = clock()
    clock.advance(minutes=30)
    mail.run_pass()
    [message] = smtp.to("eve@hospital.test")
    assert message.origination_date() == written
