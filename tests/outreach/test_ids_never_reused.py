"""An id outlives its row (an audit line "read pairing 7", a bookmark, a request log): it must never be handed to
a later row. PostgreSQL's sequences never do; on SQLite the migrations declare every table with an integer id
AUTOINCREMENT, and upgrading a database that already holds people keeps every row."""

from __future__ import annotations

from datetime import date, datetime, timezone

import flask_migrate
from sqlalchemy import func, select, text

from docbox_outreach import create_app
from docbox_outreach.cases.models import Contact, Pairing, Referral, Supporter, Training
from docbox_outreach.models import NEVER_REUSE_IDS, Member, ReadAudit, db
from docbox_outreach.oneonone.models import Assignment, Mentor, OptOut, Round
from support.apps import TEST_CONFIG, dispose

BEFORE = "7b2e4c9d1a55"   # the last revision whose SQLite tables reused ids
AT = datetime(2026, 3, 2, 14, 0, tzinfo=timezone.utc)


def test_every_table_with_an_integer_id_never_reuses_one(app):
    with app.app_context():
        tables = [t for t in db.metadata.sorted_tables
                  if [c.type.python_type for c in t.primary_key.columns] == [int]
                  and next(iter(t.primary_key.columns)).autoincrement in (True, "auto")
                  and not next(iter(t.primary_key.columns)).foreign_keys]
        assert {t.name for t in tables} >= {"members", "case_pairings", "oneonone_rounds", "case_supporters"}
        assert [t.name for t in tables if not t.dialect_options["sqlite"]["autoincrement"]] == []
        if db.engine.dialect.name == "sqlite":
            created = dict(db.session.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'table'")).all())
            assert [t.name for t in tables if "AUTOINCREMENT" not in created[t.name]] == []
    assert NEVER_REUSE_IDS == {"sqlite_autoincrement": True}


def _department():
    """A department as the previous revision held it: people, a supporter with a training, a pairing with a
    referral and a contact, a round with an assignment, an opt-out, and audit lines naming a pairing and a
    round that were deleted since (ids 9 and 4)."""
    ada = Member(name="Ada Chair", email="ada@hospital.test", division="Medicine")
    cy = Member(name="Cy Patel", email="cy@hospital.test", division="Cardiology", reports_to="ada@hospital.test")
    db.session.add_all([ada, cy])
    db.session.flush()
    eve = Supporter(member_id=ada.id, capacity=2)
    eve.trainings.append(Training(kind="training", trained_on=date(2026, 1, 10)))
    db.session.add_all([eve, Mentor(member_id=ada.id, added_at=AT),
                        OptOut(member_id=cy.id, scope="for_good", round_number=1, created_at=AT)])
    pairing = Pairing(physician_id=cy.id, trigger="litigation", referred_at=AT, status="active", supporter=eve,
                      assigned_at=AT, due_at=AT, attested_at=AT)
    pairing.referrals.append(Referral(trigger="litigation", referred_on=date(2026, 3, 1), received_at=AT))
    pairing.contacts.append(Contact(contacted_at=AT, channel="call", outcome="accepted"))
    round_ = Round(number=1, opened_at=AT, opened_on=AT.date(), due_on=date(2026, 3, 20), seed=1)
    db.session.add_all([pairing, round_])
    db.session.flush()
    db.session.add(Assignment(round_id=round_.id, mentee_id=cy.id, mentor_id=ada.id))
    db.session.add_all([ReadAudit(read_at=AT, staff_email="coord@hospital.test", program="cases", page="cases.pairing",
                                  subject_id=9),
                        ReadAudit(read_at=AT, staff_email="coord@hospital.test", program="oneonone", page="round",
                                  subject_id=4)])
    db.session.commit()


def test_upgrading_keeps_every_row_and_starts_above_the_ids_the_audit_names(make_database_url):
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": make_database_url("outreach_upgraded")})
    try:
        with app.app_context():
            flask_migrate.upgrade(revision=BEFORE)
            _department()
            counted = (Member, Supporter, Training, Mentor, OptOut, Pairing, Referral, Contact, Round, Assignment,
                       ReadAudit)
            before = {m.__tablename__: db.session.scalar(select(func.count()).select_from(m)) for m in counted}
            db.session.remove()
            flask_migrate.upgrade()
            after = {m.__tablename__: db.session.scalar(select(func.count()).select_from(m)) for m in counted}
            assert after == before and all(after.values())
            cy = db.session.scalar(select(Member).where(Member.email == "cy@hospital.test"))
            assert cy.reports_to == "ada@hospital.test"
            assert [p.physician_id for p in db.session.scalars(select(Pairing))] == [cy.id]
            assert db.session.scalars(select(Supporter)).one().trainings[0].trained_on == date(2026, 1, 10)
            # The next pairing and round take ids above those the audit still names (PostgreSQL: above the rows).
            ben = Member(name="Ben Head", email="ben@hospital.test", division="Cardiology")
            db.session.add(ben)
            db.session.flush()
            later = Pairing(physician_id=ben.id, trigger="other", referred_at=AT)
            next_round = Round(number=2, due_on=date(2026, 6, 1), seed=2)
            db.session.add_all([later, next_round])
            db.session.commit()
            if db.engine.dialect.name == "sqlite":
                assert (later.id, next_round.id) == (10, 5)
                assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1   # back on after the rebuild
            assert later.id not in (9, 1) and next_round.id not in (4, 1)
            db.session.remove()   # no transaction of the test holds a table the migration alters
            flask_migrate.downgrade(revision=BEFORE)
            assert db.session.scalar(select(func.count()).select_from(Assignment)) == 1
            db.session.remove()
            flask_migrate.upgrade()
    finally:
        dispose(app)
