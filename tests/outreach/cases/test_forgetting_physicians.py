"""What the outreach database holds about a referred physician once the pairing closed and the schedule ran:
every row of every table, dumped, searched for their name, their email and any key that points at them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from docbox_outreach.cases import pairings
from docbox_outreach.cases.host import OutgoingMail, db
from docbox_outreach.cli import due_work
from docbox_outreach.roster import set_active
from support.outreach import traces

from .helpers import make_supporters, matched


def who(member) -> dict:
    return {"id": member.id, "name": member.name, "email": member.email}


def mail_went_out():
    """The worker sent every queued message (its body is cleared once sent)."""
    for row in db.session.scalars(select(OutgoingMail)):
        row.status, row.body = "sent", None
    db.session.commit()


@pytest.mark.parametrize("outcome, reason", [("accepted", "support_given"), ("declined", "declined")])
def test_a_referred_physician_is_only_a_roster_line_a_year_after_closing_and_nothing_once_they_left(
        app, roster, coordinator, clock, outcome, reason):
    (eve,) = make_supporters(roster, roster.peer1)
    pairing = matched(roster, coordinator, eve)
    pairings.for_coordinator(coordinator, pairing.id)          # an audited read of the pairing
    clock.advance(hours=5)
    pairings.log_contact(pairing, None, "call", outcome)
    pairings.close(pairing, reason)
    db.session.commit()
    mail_went_out()
    cy = who(roster.phys)
    closed_at = pairing.closed_at
    due_work(app)
    assert any(t.startswith("case_pairings.physician_id") for t in traces(app, cy))   # kept for the year
    clock.set(closed_at.replace(year=closed_at.year + 1) + timedelta(minutes=1))
    due_work(app)
    # Still on the roster (Cy works here): the roster line, and nothing of the referral.
    assert sorted(t.split(":")[0].split(" ")[0] for t in traces(app, cy)) == [
        "members.email", "members.id", "members.name"]
    eve_member = who(roster.peer1)
    set_active(roster.phys, False)
    set_active(roster.peer1, False)                             # the supporter leaves too
    clock.advance(days=app.config["LEAVER_RETENTION_DAYS"])
    due_work(app)
    assert traces(app, cy) == [] and traces(app, eve_member) == []


def test_a_physician_who_left_stays_while_their_pairing_is_kept_and_goes_with_it(app, roster, coordinator, clock):
    (eve,) = make_supporters(roster, roster.peer1)
    pairing = matched(roster, coordinator, eve)
    set_active(roster.phys, False)
    set_active(roster.peer1, False)
    clock.advance(days=app.config["LEAVER_RETENTION_DAYS"] + 1)
    due_work(app)
    cy, eve_member = who(roster.phys), who(roster.peer1)
    assert traces(app, cy)                    # an open pairing: the supporter still needs to reach them
    assert traces(app, eve_member)            # and it names its supporter
    pairings.close(pairing, "moved_on")
    db.session.commit()
    mail_went_out()
    clock.advance(days=366)
    due_work(app)
    assert traces(app, cy) == [] and traces(app, eve_member) == []
