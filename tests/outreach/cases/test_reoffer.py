"""A re-offer date, years ahead: on that day the supporter gets one mail that names nobody.

Decision: only the supporter is written to. The physician declined or deferred; offering again is the
supporter's own, personal step (a program mail to a physician under review or in a lawsuit could be read
by whoever reads their inbox), and the coordinator's queue already marks the date as due.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timezone

from docbox_outreach.cases import pairings, run_due
from docbox_outreach.cases.host import OutgoingMail, db, mail
from docbox_outreach.cases.models import Pairing

from .helpers import make_supporters, matched

UTC = timezone.utc
DAY = date(2029, 3, 11)   # three years ahead, the Sunday New York's clocks spring forward


def _passes(times=3):
    for _ in range(times):
        run_due()
        mail.run_pass()


def _declined(app, roster, coordinator, smtp, clock, reoffer_on=DAY):
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp.port)
    (eve,) = make_supporters(roster, roster.peer1)
    pairing = matched(roster, coordinator, eve)
    clock.advance(hours=3)
    pairings.log_contact(pairing, None, "call", "declined", reoffer_on=reoffer_on)
    db.session.commit()
    pairing_id = pairing.id
    _passes(1)
    smtp.messages.clear()
    return pairing_id


def test_on_the_reoffer_date_the_supporter_gets_one_neutral_mail_naming_nobody(app, roster, coordinator, smtp,
                                                                                 clock):
    _declined(app, roster, coordinator, smtp, clock)
    clock.set(datetime(2029, 3, 11, 4, 59, tzinfo=UTC))   # 23:59 on the eve, in New York
    _passes()
    assert smtp.messages == []
    clock.set(datetime(2029, 3, 11, 5, 0, tzinfo=UTC))    # midnight: the day has come
    _passes()
    [message] = smtp.messages
    assert message.rcpt_tos == ["eve@hospital.test"]
    raw = message.raw.decode("ascii")                      # 7-bit, as it travels
    head = raw.split("\r\n\r\n", 1)[0]
    assert "\r\nTo: eve@hospital.test\r\n" in head and "\nCc:" not in head and "\nBcc:" not in head
    assert message["Subject"] == "Doc Box peer support: something to do"
    text = message.text
    assert "https://docbox.test/outreach/cases/mine" in text and "Eve Stone" in text
    # The Date says when it was sent, as every mailbox shows anyway; nothing else tells the day it was due.
    assert message.origination_date() == clock()
    undated = re.sub(r"\r\nDate: [^\r]*", "", raw)
    for secret in ("Cy", "Patel", "cy@", "Cardiology", "declin", "defer", "review", "litigation", "2029"):
        assert secret not in undated, secret
    assert all(len(line) <= 78 for line in raw.split("\r\n"))
    # Once sent, the row goes (it would say who was written to); more passes send nothing more.
    clock.advance(days=2)
    _passes()
    assert len(smtp.messages) == 1 and db.session.query(OutgoingMail).count() == 0


def test_a_new_date_gets_its_own_mail_and_a_closed_or_accepted_pairing_none(app, roster, coordinator, smtp,
                                                                              clock):
    pairing_id = _declined(app, roster, coordinator, smtp, clock, date(2026, 6, 1))

    def pairing():   # the worker's passes end the session: read the pairing again each time
        return db.session.get(Pairing, pairing_id)

    clock.set(datetime(2026, 6, 1, 12, 0, tzinfo=UTC))
    _passes()
    assert len(smtp.messages) == 1
    pairings.log_contact(pairing(), None, "text", "deferred", reoffer_on=date(2026, 9, 1))
    db.session.commit()
    clock.set(datetime(2026, 9, 1, 12, 0, tzinfo=UTC))
    _passes()
    assert len(smtp.messages) == 2
    # The physician came back on their own before the next date: no re-offer is due.
    pairings.log_contact(pairing(), None, "text", "deferred", reoffer_on=date(2026, 12, 1))
    clock.advance(hours=1)
    pairings.log_contact(pairing(), None, "call", "accepted")
    db.session.commit()
    clock.set(datetime(2026, 12, 1, 12, 0, tzinfo=UTC))
    _passes()
    assert len(smtp.messages) == 2
    # Closed before its date: nothing either.
    clock.advance(hours=1)
    pairings.log_contact(pairing(), None, "call", "declined", reoffer_on=date(2027, 3, 1))
    clock.advance(hours=1)
    pairings.close(pairing(), "declined")
    db.session.commit()
    clock.set(datetime(2027, 3, 2, 12, 0, tzinfo=UTC))
    _passes()
    assert len(smtp.messages) == 2
    assert not [m for m in smtp.messages if "cy@hospital.test" in m.rcpt_tos]
