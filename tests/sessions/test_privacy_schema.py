"""Nothing in the sessions database can identify a person who attended.

Staff (the people who use Doc Box) are named in ``staff`` and referenced by id;
attendance is numbers per occurrence. A new column that could hold a name, an
email, a user or person id next to attendance fails here.
"""

from __future__ import annotations

import re

import sqlalchemy as sa

ATTENDANCE_TABLES = {
    "attendance_counts": {"occurrence_id", "in_person", "virtual", "recorded_dt"},
    "attendance_audit": {"id", "occurrence_id", "recorded_by_staff_id", "recorded_dt"},
}
IDENTIFYING = re.compile(r"(name|email|mail|phone|user|person|member|attendee|participant|ip_?addr|device|badge)", re.I)
# Columns allowed to look identifying: they name staff or programs, never attendees.
ALLOWED = {("staff", "email"), ("staff", "name"), ("programs", "name"), ("programs", "email_subject"),
           ("attendance_audit", "recorded_by_staff_id"),
           ("programs", "contact_email"),  # the program's public address for questions (a department's)
           ("api_tokens", "name"),  # the label an admin gives a staff API token ("CSV export")
           ("attendance_counts", "in_person"),  # a number of people, not a person
           ("released_numbers", "in_person"), ("released_numbers", "in_person_withheld"),
           ("held_month_cells", "in_person")}  # a month's sum of counts


def _columns(app):
    from docbox_sessions.models import db
    with app.app_context():
        inspector = sa.inspect(db.engine)
        return {table: {c["name"] for c in inspector.get_columns(table)} for table in inspector.get_table_names()}


def test_attendance_tables_hold_only_counts(app):
    columns = _columns(app)
    for table, allowed in ATTENDANCE_TABLES.items():
        assert columns[table] == allowed, f"{table} gained {columns[table] - allowed}"


def test_no_table_has_a_column_that_could_identify_an_attendee(app):
    suspicious = {(t, c) for t, cols in _columns(app).items() for c in cols if IDENTIFYING.search(c)}
    assert suspicious <= ALLOWED, f"columns that could identify a person: {sorted(suspicious - ALLOWED)}"


def test_audit_rows_point_at_staff_only(app):
    from docbox_sessions.models import db
    with app.app_context():
        fks = sa.inspect(db.engine).get_foreign_keys("attendance_audit")
    assert [fk["referred_table"] for fk in fks] == ["staff"]
