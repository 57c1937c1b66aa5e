"""The development SMTP sink of `make run` writes each message to a .eml file."""

from __future__ import annotations

import smtplib
import subprocess
import sys
from email.message import EmailMessage

from .conftest import wait_for


def test_mailsink_writes_each_message_as_eml(tmp_path, port):
    folder = tmp_path / "mail"
    sink = subprocess.Popen([sys.executable, "-m", "docbox_notifications.mailsink", "--port", str(port),
                             "--dir", str(folder)], stdout=subprocess.PIPE, text=True)
    try:
        assert "listening" in sink.stdout.readline()
        for n in range(2):
            msg = EmailMessage()
            msg["From"], msg["To"], msg["Subject"] = "a@example.org", "b@example.org", f"hello {n}"
            msg.set_content("body")
            with smtplib.SMTP("127.0.0.1", port) as conn:
                conn.send_message(msg)
        wait_for(lambda: len(list(folder.glob("*.eml"))) == 2, timeout=10)
        subjects = sorted(p.read_text().split("Subject: ")[1].splitlines()[0] for p in folder.glob("*.eml"))
        assert subjects == ["hello 0", "hello 1"]
    finally:
        sink.terminate()
        sink.wait(timeout=10)
