"""The app for gunicorn: ``gunicorn docbox_sessions.wsgi:app``."""

from . import create_app

app = create_app()
