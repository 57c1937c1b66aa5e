"""No column of the outreach database can hold a patient identifier, a case or claim number, a narrative or a note.

Read from the migrated database, not the models: what counts is what can be
stored. A character column passes only when a CHECK constraint limits it to
fixed values, or when it is listed below with why it cannot carry case
detail. Any new text column, in any table, fails here until someone writes
down that reason; so does any column whose name says what it would hold.
"""

from __future__ import annotations

import re

import sqlalchemy as sa

from docbox_outreach.models import db

# (table, column): why it cannot hold a patient, a case, a narrative or a note.
ALLOWED = {
    ("alembic_version", "version_num"): "the schema's revision",
    ("members", "email"): "a faculty member's work email: whom to reach (the roster)",
    ("members", "name"): "a faculty member's name (the roster)",
    ("members", "division"): "a division of the department (the roster)",
    ("members", "reports_to"): "another member's work email (the roster's reporting line)",
    ("outgoing_mail", "recipient"): "the one address a queued message goes to",
    ("outgoing_mail", "body"): "a queued message, cleared once final; the program's rows go once final",
    ("outgoing_mail", "key"): "the queue's idempotency key, made by the code (ids and codes)",
    ("outgoing_mail", "message_id"): "a Message-ID derived from the key",
    ("outgoing_mail", "status"): "the queue's state code",
    ("outgoing_mail", "last_error"): "an SMTP server's answer, addresses removed",
    ("read_audit", "staff_email"): "the staff member who read",
    ("read_audit", "program"): "a program's code",
    ("read_audit", "page"): "a page's code",
    ("oneonone_attempts", "channel"): "a code of the one-on-one program's fixed list",
    ("oneonone_attempts", "outcome"): "a code of the one-on-one program's fixed list",
    ("oneonone_opt_outs", "scope"): "a code of the one-on-one program's fixed list",
    ("oneonone_mentee_links", "token_hash"): "a capability token's SHA-256",
    ("oneonone_round_summaries", "tally"): "a round's counts by code",
    ("case_released_quarters", "rows"): "a released quarter's pairings as codes and numbers (trigger, contacts, hours, outcome)",
    ("case_guidelines", "body"): "the program's written guidelines, published by the coordinator, about no one",
    ("case_survey_answers", "id"): "a random id (uuid4 hex)",
    ("case_survey_links", "token_hash"): "a survey token's SHA-256",
}
# What a column would be called if it held what outreach must never store.
FORBIDDEN_NAME = re.compile(r"patient|mrn|medical_record|record_(no|number|id)|case_(no|number|ref)|claim|docket|"
                            r"narrative|allegation|incident|note|comment|remark|description|detail|free_?text|"
                            r"diagnos|story|reason_text|why|summary_text|mood|feeling", re.I)
CHARACTER = (sa.String, sa.Text, sa.LargeBinary, sa.JSON)


def _schema(app):
    with app.app_context():
        inspector = sa.inspect(db.engine)
        return {table: (inspector.get_columns(table), [c["sqltext"] for c in inspector.get_check_constraints(table)])
                for table in inspector.get_table_names()}


def _fixed_values(column: str, checks: list[str]) -> bool:
    """A CHECK lists the column's values (SQLite keeps ``x IN ('a', 'b')``, PostgreSQL shows
    ``(x)::text = ANY (ARRAY[...])``), or fixes its shape to a quarter label (``LIKE`` / ``~~``)."""
    name = rf'\(?"?{re.escape(column)}"?\)?(::text)?'
    return any(re.search(rf"{name} (IN \(|= ANY \(\(?ARRAY\[)", check)
               or re.search(rf"{name} (LIKE|~~) '[_Q-]+'", check) for check in checks)


def free_text_columns(schema) -> list[tuple[str, str]]:
    return sorted((table, c["name"]) for table, (columns, checks) in schema.items() for c in columns
                  if isinstance(c["type"], CHARACTER) and (table, c["name"]) not in ALLOWED
                  and not _fixed_values(c["name"], checks))


def test_every_character_column_is_a_fixed_code_or_has_a_written_reason(app):
    assert free_text_columns(_schema(app)) == []


def test_no_column_is_named_for_case_detail(app):
    named = [(t, c["name"]) for t, (columns, _) in _schema(app).items() for c in columns
             if FORBIDDEN_NAME.search(c["name"])]
    assert named == []


def test_the_check_fails_on_a_new_free_text_column(app):
    """The test above can fail: a notes column, or a case number stored as text, is found."""
    with app.app_context(), db.engine.begin() as connection:
        connection.execute(sa.text("ALTER TABLE case_contacts ADD COLUMN case_ref VARCHAR(40)"))
        connection.execute(sa.text("ALTER TABLE case_pairings ADD COLUMN remarks TEXT"))
    schema = _schema(app)
    assert free_text_columns(schema) == [("case_contacts", "case_ref"), ("case_pairings", "remarks")]
    assert any(FORBIDDEN_NAME.search(c["name"]) for c in schema["case_pairings"][0])


def test_every_fixed_code_column_admits_only_its_codes(app):
    """A CHECK constraint, not only the code, refuses an outcome written in words."""
    import pytest
    from sqlalchemy.exc import IntegrityError
    with app.app_context():
        with pytest.raises(IntegrityError), db.engine.begin() as connection:
            connection.execute(sa.text("INSERT INTO case_summaries (trigger, quarter, contacts, closing_reason) "
                                       "VALUES ('litigation', '2026-Q1', 1, 'he said the patient died')"))
