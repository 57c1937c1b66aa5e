"""The app for gunicorn: ``gunicorn -b 127.0.0.1:5002 docbox_calendar_sync.wsgi:app``."""

from docbox_calendar_sync import create_app

app = create_app()
