#!/usr/bin/env python3
"""A small Mailpit look-alike: ``/mailpit`` serves, ``/mailpit readyz`` checks it.

SMTP (aiosmtpd) on port 1025 accepts every message and keeps it in memory; HTTP
on port 8025 answers the part of Mailpit's API the deployment test reads:
``GET /api/v1/messages`` (newest first: ID, From, To, Subject) and
``GET /api/v1/message/<ID>/raw`` (the message as received), plus ``/readyz``.
"""

from __future__ import annotations

import email
import email.policy
import json
import sys
import threading
import time
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MESSAGES: list[dict] = []
LOCK = threading.Lock()


class Keep:
    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        with LOCK:
            MESSAGES.insert(0, {"ID": uuid.uuid4().hex, "raw": raw, "From": {"Address": envelope.mail_from},
                                "To": [{"Address": a} for a in envelope.rcpt_tos],
                                "Subject": str(parsed["Subject"] or ""),
                                "Created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})
        return "250 Message accepted"


class Api(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/readyz":
            return self.send(200, b"ok", "text/plain")
        if self.path.split("?")[0] == "/api/v1/messages":
            with LOCK:
                listed = [{k: v for k, v in m.items() if k != "raw"} for m in MESSAGES]
            body = json.dumps({"total": len(listed), "messages_count": len(listed), "messages": listed})
            return self.send(200, body.encode(), "application/json")
        parts = self.path.split("/")
        if len(parts) == 6 and parts[:4] == ["", "api", "v1", "message"] and parts[5] == "raw":
            with LOCK:
                found = [m["raw"] for m in MESSAGES if m["ID"] == parts[4]]
            if found:
                return self.send(200, found[0], "text/plain; charset=utf-8")
        self.send(404, b"not found", "text/plain")

    def send(self, status: int, body: bytes, content_type: str):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):  # no access log: paths hold message ids only, but keep it quiet
        pass


def main(argv: list[str]) -> int:
    if argv[1:2] == ["readyz"]:
        try:
            urllib.request.urlopen("http://127.0.0.1:8025/readyz", timeout=4)
            return 0
        except OSError:
            return 1
    from aiosmtpd.controller import Controller

    smtp = Controller(Keep(), hostname="0.0.0.0", port=1025)
    smtp.start()
    print("mailpit stand-in: SMTP on 1025, API on 8025", flush=True)
    ThreadingHTTPServer(("0.0.0.0", 8025), Api).serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
