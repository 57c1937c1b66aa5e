"""ids are never reused: on SQLite every table with an integer id is rebuilt with AUTOINCREMENT, rows kept, and
the pairings' and rounds' counters start above every id the audit of reads still names (PostgreSQL's sequences
never hand an id out twice); and a pairing may close for "no activity" (the worker closes idle ones)

Revision ID: 5e8a1c3f9d27
Revises: 7b2e4c9d1a55
Create Date: 2026-11-30 22:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5e8a1c3f9d27'
down_revision = '7b2e4c9d1a55'
branch_labels = None
depends_on = None

TABLES = ('members', 'outgoing_mail', 'read_audit', 'case_supporters', 'case_trainings', 'case_pairings',
          'case_referrals', 'case_contacts', 'case_summaries', 'case_survey_rounds', 'oneonone_rounds',
          'oneonone_assignments', 'oneonone_attempts', 'oneonone_opt_outs', 'oneonone_mentee_links')
NAMED_BY_THE_AUDIT = {'case_pairings': 'cases', 'oneonone_rounds': 'oneonone'}  # table: program of its lines
WITH_A_CLOSING_REASON = ('case_pairings', 'case_summaries')
REASONS = ('support_given', 'declined', 'no_response', 'moved_on')


def upgrade():
    _rebuild(True, REASONS + ('no_activity',))


def downgrade():
    for table in WITH_A_CLOSING_REASON:
        op.execute(sa.text(f"UPDATE {table} SET closing_reason = 'no_response' WHERE closing_reason = 'no_activity'"))
    _rebuild(False, REASONS)


def _rebuild(autoincrement, reasons):
    """On SQLite, copy each table into one declared with(out) AUTOINCREMENT, with foreign keys off: SQLite's
    DROP TABLE of the old copy would otherwise delete (cascade) or refuse for the rows that point at it. The
    pragma only changes between transactions, hence the commits around it. Elsewhere, only the closing
    reasons' CHECK constraints change."""
    sqlite = op.get_context().dialect.name == 'sqlite'
    context, bind = op.get_context(), op.get_bind()
    if sqlite:
        with context.autocommit_block():
            op.execute('PRAGMA foreign_keys=OFF')
    try:
        for table in TABLES if sqlite else WITH_A_CLOSING_REASON:
            with op.batch_alter_table(table, recreate='always' if sqlite else 'auto',
                                      table_kwargs={'sqlite_autoincrement': autoincrement}) as batch_op:
                if table in WITH_A_CLOSING_REASON:
                    name = op.f(f'ck_{table}_closing_reason')
                    batch_op.drop_constraint(name, type_='check')
                    batch_op.create_check_constraint(name, sa.column('closing_reason').in_(reasons))
        if sqlite and autoincrement:
            for table, program in NAMED_BY_THE_AUDIT.items():
                named = bind.scalar(sa.text('SELECT MAX(subject_id) FROM read_audit WHERE program = :program'),
                                    {'program': program})
                if named is not None:
                    bind.execute(sa.text('DELETE FROM sqlite_sequence WHERE name = :table'), {'table': table})
                    bind.execute(sa.text(f'INSERT INTO sqlite_sequence (name, seq) SELECT :table, MAX(:named, '
                                         f'COALESCE(MAX(id), 0)) FROM {table}'), {'table': table, 'named': named})
        if sqlite and (broken := bind.execute(sa.text('PRAGMA foreign_key_check')).all()):
            raise RuntimeError(f'rows point at rows that do not exist: {broken[:5]}')
    except BaseException:
        if sqlite:   # undo the copies, and give the connection back as every other one is
            raw = bind.connection.dbapi_connection
            raw.rollback()
            raw.execute('PRAGMA foreign_keys=ON')
        raise
    if sqlite:
        with context.autocommit_block():
            op.execute('PRAGMA foreign_keys=ON')
