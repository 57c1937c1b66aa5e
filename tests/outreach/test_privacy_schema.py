"""No free text where outreach records what happened: attempts, assignments and opt-outs hold ids, dates,
flags and fixed codes only, in the migrated database itself (not just in the models)."""

from __future__ import annotations

import pytest
from sqlalchemy import Boolean, Column, Date, DateTime, Integer, MetaData, String, Table, Text, inspect

from docbox_outreach.domain.vocabulary import AttemptOutcome, Channel, OptOutScope
from docbox_outreach.models import db

GUARDED = ("oneonone_attempts", "oneonone_assignments", "oneonone_opt_outs")
# The only string columns allowed: each holds a member of a fixed list, whose longest value fits.
CODES = {("oneonone_attempts", "channel"): Channel, ("oneonone_attempts", "outcome"): AttemptOutcome,
         ("oneonone_opt_outs", "scope"): OptOutScope}
MAX_CODE = 30


def free_text_columns(columns_by_table: dict[str, list[tuple[str, object]]]) -> list[str]:
    """``table.column`` of every column that could hold words someone typed."""
    found = []
    for table, columns in columns_by_table.items():
        for name, type_ in columns:
            if isinstance(type_, (Integer, Boolean, Date, DateTime)):
                continue
            if isinstance(type_, String) and not isinstance(type_, Text) and (table, name) in CODES \
                    and (type_.length or 10**6) <= MAX_CODE:
                continue
            found.append(f"{table}.{name}")
    return found


def test_the_migrated_tables_have_no_free_text_column(app):
    with app.app_context():
        inspector = inspect(db.engine)
        columns = {t: [(c["name"], c["type"]) for c in inspector.get_columns(t)] for t in GUARDED}
    assert all(columns.values())
    assert free_text_columns(columns) == []


def test_each_code_column_fits_every_code_of_its_list():
    for (table, column), codes in CODES.items():
        length = db.metadata.tables[table].c[column].type.length
        assert max(len(c.value) for c in codes) <= length <= MAX_CODE


@pytest.mark.parametrize("column", [Column("notes", Text), Column("reason", String(200)),
                                    Column("outcome", String(500)), Column("mood", String(20))])
def test_the_check_catches_a_column_for_words(column):
    table = Table("oneonone_attempts", MetaData(), Column("id", Integer), column)
    assert free_text_columns({table.name: [(c.name, c.type) for c in table.columns]}) == [f"{table.name}.{column.name}"]
