"""The app for gunicorn: ``gunicorn docbox_outreach.wsgi:app``."""

from . import create_app

app = create_app()
