"""A staff request that sessions cannot vouch for says, in a Retry-After header, when to try again."""

import threading

from flask import Flask
from werkzeug.serving import make_server

from support.ports import free_port

from .conftest import ORGANIZER


def test_an_unreadable_answer_from_sessions_is_a_503_with_a_retry_after_header(app, client):
    garbled = Flask("sessions-mid-deploy")
    garbled.get("/api/v1/me")(lambda: ("<html>starting up</html>", 200))
    port = free_port()
    server = make_server("127.0.0.1", port, garbled, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    app.config["SESSIONS_URL"] = f"http://127.0.0.1:{port}"
    try:
        answer = client.post("/api/v1/feeds", json={"programs": ["any"]}, headers=ORGANIZER)
    finally:
        server.shutdown()
        server.server_close()
    assert answer.status_code == 503 and answer.mimetype == "application/problem+json"
    assert answer.headers["Retry-After"] == "30"
