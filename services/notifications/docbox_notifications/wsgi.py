"""The app for gunicorn: ``gunicorn docbox_notifications.wsgi:app``."""

from . import create_app

app = create_app()
