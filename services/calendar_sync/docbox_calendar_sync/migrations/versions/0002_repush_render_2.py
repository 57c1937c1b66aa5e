"""Push every CalDAV object again: render version 2 writes time zones every parser reads alike

Objects pushed before carry a VTIMEZONE whose later transitions ical.js,
vobject and Radicale misread (one multi-valued RDATE). Marking every push item
due makes the worker replace them once (If-Match, like any change).

Revision ID: 0002
Revises: 0001
"""
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.execute("UPDATE push_items SET wanted_seq = pushed_seq + 1 WHERE wanted_seq <= pushed_seq")


def downgrade():
    pass  # nothing to undo: the items are simply pushed
