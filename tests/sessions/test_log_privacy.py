"""A failing statement never puts its values in a log: not as parameters, not quoted by the database's message.

PostgreSQL only (a trigger makes the database refuse one INSERT, the way a
full disk or a constraint a DBA added would): SQLite has no such message to
quote, and its parameters are hidden by the same engine option.
"""

from __future__ import annotations

import logging
import os

import pytest
import sqlalchemy as sa

from docbox_shared.frame import JsonFormatter

pytestmark = pytest.mark.skipif(not os.environ.get("DOCBOX_TEST_DATABASE_URL", "").startswith("postgresql"),
                                reason="needs PostgreSQL (DOCBOX_TEST_DATABASE_URL): the fault is a PL/pgSQL trigger")

EMAIL = "dr.jane.roe@hospital.example"


@pytest.mark.parametrize("raise_", [
    "RAISE EXCEPTION 'disk trouble'",                                                      # statement and parameters
    "RAISE EXCEPTION USING MESSAGE = 'refused ' || NEW.email, DETAIL = 'Key (email)=(' || NEW.email || ')'",  # quoted
])
def test_a_database_error_with_a_staff_email_in_the_statement_logs_no_email(app, api, caplog, raise_):
    with app.app_context():
        from docbox_sessions.models import db
        db.session.execute(sa.text(f"CREATE FUNCTION refuse_staff() RETURNS trigger AS $$ BEGIN {raise_}; END $$ "
                                   "LANGUAGE plpgsql"))
        db.session.execute(sa.text("CREATE TRIGGER refuse_staff BEFORE INSERT ON staff FOR EACH ROW "
                                   "EXECUTE FUNCTION refuse_staff()"))
        db.session.commit()
    caplog.set_level(logging.DEBUG)
    answer = api("admin").post("/api/v1/staff", json={"email": EMAIL, "role": "viewer"})
    assert answer.status_code == 500 and answer.mimetype == "application/problem+json"
    assert EMAIL not in answer.get_data(as_text=True)
    logged = "\n".join(JsonFormatter().format(record) for record in caplog.records)
    assert "unhandled error" in logged and "INSERT INTO staff" in logged  # the failure is logged, usefully
    assert "jane" not in logged.lower() and "hospital.example" not in logged


def test_a_failed_statement_does_not_carry_its_parameters_in_its_text(app):
    """Code that logs ``str(error)`` still logs no value: the engine hides parameters."""
    with app.app_context():
        from docbox_sessions.models import db
        with pytest.raises(sa.exc.DBAPIError) as failed:
            db.session.execute(sa.text("SELECT 1 / 0 WHERE :email <> ''"), {"email": EMAIL})
        db.session.rollback()
    assert "SELECT 1 / 0" in str(failed.value) and EMAIL not in str(failed.value)
