"""What every service gets from docbox_shared.frame and .problems: problem+json errors,
headers on problems, the client address behind trusted proxies, 503 when the
database is down."""

from __future__ import annotations


def test_a_problem_can_carry_response_headers():
    from flask import Flask

    from docbox_shared.problems import TooManyRequests, register_problem_handlers

    app = Flask("t")
    register_problem_handlers(app)

    @app.get("/limited")
    def limited():
        raise TooManyRequests("Slow down.", headers={"Retry-After": "3600"})

    response = app.test_client().get("/limited")
    assert response.status_code == 429 and response.headers["Retry-After"] == "3600"
    assert response.json["detail"] == "Slow down." and response.content_type == "application/problem+json"


def test_client_address_comes_from_the_proxy_only_when_trusted():
    from flask import Flask, request
    from flask_sqlalchemy import SQLAlchemy

    from docbox_shared import frame

    seen = []
    for proxies in (0, 1):
        app = Flask("t")
        app.config.update(SQLALCHEMY_DATABASE_URI="sqlite://", TRUSTED_PROXIES=proxies)
        db = SQLAlchemy()
        db.init_app(app)
        frame.init_app(app, db, "t")
        app.add_url_rule("/who", "who", lambda: request.remote_addr)
        seen.append(app.test_client().get("/who", headers={"X-Forwarded-For": "203.0.113.7"},
                                          environ_base={"REMOTE_ADDR": "10.0.0.2"}).get_data(as_text=True))
    assert seen == ["10.0.0.2", "203.0.113.7"]


def test_a_database_that_is_down_is_a_503_problem_not_a_500():
    from flask import Flask
    from flask_sqlalchemy import SQLAlchemy
    from sqlalchemy import text

    from docbox_shared import frame

    app = Flask("t")
    app.config.update(SQLALCHEMY_DATABASE_URI="postgresql+psycopg://postgres@127.0.0.1:9/nothing",
                      SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"connect_timeout": 2}})
    db = SQLAlchemy()
    db.init_app(app)
    frame.init_app(app, db, "t")
    app.add_url_rule("/rows", "rows", lambda: str(db.session.execute(text("SELECT 1")).scalar()))
    response = app.test_client().get("/rows")
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert response.content_type == "application/problem+json" and "not reachable" in response.json["detail"]
    assert app.test_client().get("/readyz").status_code == 503


def test_a_service_made_from_the_frame_answers_health_metrics_problems_and_error_pages(tmp_path, make_database_url):
    from flask import Blueprint
    from flask_sqlalchemy import SQLAlchemy

    from docbox_shared.frame import service_app
    from docbox_shared.pages import error_pages, init_pages
    from docbox_shared.problems import Conflict
    from docbox_shared.settings import COMMON, Setting

    db = SQLAlchemy()
    settings = COMMON + [Setting("DOCBOX_EXAMPLE_DATABASE_URL", "SQLALCHEMY_DATABASE_URI", "sqlite://", "Database."),
                         Setting("DOCBOX_SECRET_KEYS", "SECRET_KEYS", ["k" * 40], "Keys.", secret=True)]
    app = service_app("example", "example", settings, db, str(tmp_path / "migrations"),
                      {"TESTING": True, "SQLALCHEMY_DATABASE_URI": make_database_url("example")})
    pages = Blueprint("pages", "example")
    pages.add_url_rule("/", "home", lambda: "home")

    @pages.post("/taken")
    def taken():
        raise Conflict("That name is taken.")

    error_pages(pages, db, "docbox/base.html", ("Go to the start page", "pages.home"))
    init_pages(app, "Doc Box example", cookie_name="docbox_example", cookie_label=b"example pages")
    app.register_blueprint(pages)
    client = app.test_client()

    assert client.get("/healthz").json == {"status": "ok", "service": "example"}
    assert client.get("/readyz").json == {"status": "ready", "service": "example"}
    assert client.get("/metrics").status_code == 200
    missing = client.get("/nothing-here")
    assert missing.status_code == 404 and missing.content_type == "application/problem+json"
    assert missing.headers["X-Request-Id"] and missing.headers["X-Frame-Options"] == "DENY"
    forged = client.post("/taken")  # no CSRF token
    assert forged.status_code == 400 and "This form has expired" in forged.text
    app.config["WTF_CSRF_ENABLED"] = False
    refused = client.post("/taken")
    assert refused.status_code == 409 and refused.mimetype == "text/html" and "That name is taken." in refused.text
    assert 'href="/"' in refused.text and "Go to the start page" in refused.text
