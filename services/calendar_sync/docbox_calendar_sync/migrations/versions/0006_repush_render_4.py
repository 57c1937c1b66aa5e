"""Push every CalDAV object again: render version 4 writes a monthly or yearly rule's day out

A series starting on the 29th to 31st was pushed with the day left to DTSTART, as RFC 5545
allows; ical.js and recurring-ical-events roll such a rule over into the next month
(29 February 2028, then 1 March 2029) where Doc Box and RFC 5545 skip it. Render version 4
writes BYMONTHDAY (and BYMONTH) out (:func:`docbox_shared.recurrence.explicit_rule`); feeds
change with the version in their ETag, CalDAV objects only when pushed again. Marking every
push item due makes the worker replace them once (If-Match, like any change), as 0002 did.

Revision ID: 0006
Revises: 0005
"""
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.execute("UPDATE push_items SET wanted_seq = pushed_seq + 1 WHERE wanted_seq <= pushed_seq")


def downgrade():
    pass  # nothing to undo: the items are simply pushed
