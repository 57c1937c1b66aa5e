"""Alembic environment of this service: the one all Doc Box services share."""

from docbox_shared.migrations import run

run()
