"""The skeleton's tables, created from its models.

Revision ID: 0001
Revises:
"""

from alembic import op

revision, down_revision, branch_labels, depends_on = "0001", None, None, None


def upgrade():
    from skeleton import db

    db.metadata.create_all(op.get_bind())


def downgrade():
    from skeleton import db

    db.metadata.drop_all(op.get_bind())
