"""The shared look of Doc Box pages: one layout, form macros and one stylesheet.

Any service that serves HTML calls :func:`init_pages` once in its
``create_app`` and then writes templates that extend the shared layout::

    from docbox_shared.pages import init_pages
    init_pages(app, service_name="Doc Box calendar")

    {% extends "docbox/base.html" %}
    {% import "docbox/forms.html" as f %}
    {% block title %}Subscribe{% endblock %}
    {% block content %} ... {{ f.input(form, "email", "Email address", type="email") }} ... {% endblock %}

What a service gets:

- templates ``docbox/base.html`` (layout: skip link, header with the service
  name and navigation, flash messages, ``<main id="content">``) and
  ``docbox/forms.html`` (labelled fields with their error messages, an error
  summary, radios, checkboxes, selects, a CSRF field when Flask-WTF is used);
- the stylesheet at ``url_for("docbox.static", filename="docbox.css")``
  (served under ``/_docbox/static/``; no web font, no CDN, readable from 375
  px up; vendored JavaScript goes in the same folder);
- the template filter ``paragraphs``: plain text a person typed as HTML
  paragraphs, every character escaped (:func:`paragraphs`);
- :class:`FormState`, the object the form macros read: what the person typed
  (``values``) and the messages per field (``errors``), e.g. straight from a
  :class:`docbox_shared.problems.ValidationProblem`'s ``errors``;
- :func:`csv_download`, every CSV a page or the API hands out.

Cookies and CSRF: the page cookie (Flask's signed session) gets the
service's own name (one host serves every service, and browsers share cookies
by name), HttpOnly, SameSite=Lax and Secure outside development. Every POST
carries a CSRF token (Flask-WTF), except on the blueprints a service names as
``csrf_exempt``: a JSON API that takes bearer tokens, the signed events
inbox, pages whose URL holds a capability token. A cookie never authorises
those, so there is nothing to forge. A service without its own cookie secret
names a ``cookie_label`` and the key is derived from ``DOCBOX_SECRET_KEYS``
(:func:`.keys.cookie_keys`).

Error pages: :func:`error_pages` makes the errors raised in a blueprint's
views (a :class:`.problems.Problem`, an HTTP error, an expired form) an HTML
page with the same status, in the service's layout, instead of problem+json.

Blocks of ``docbox/base.html``: ``title``, ``nav`` (defaults to the
``docbox_nav`` list of ``(label, url, is_current)`` a view or context
processor provides), ``account`` (right side of the header, e.g. a logout
form), ``content``, ``footer``, ``head`` (extra tags). The name in the header
comes from ``service_name`` and links to ``home_url``.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import timedelta
from typing import Any

from flask import Blueprint, Flask, Response, render_template, url_for
from flask_wtf.csrf import CSRFError, CSRFProtect
from markupsafe import Markup, escape
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from .keys import cookie_keys
from .problems import Problem, database_unreachable

URL_PREFIX = "/_docbox"
FORM_EXPIRED = ("This form has expired",
                "For your safety the form could not be sent. Go back, reload the page and try again.")
log = logging.getLogger(__name__)


class FormState:
    """What a form shows: the values typed (kept after an error) and errors per field.

    ``values`` maps a field name to a string, or to a list of strings for
    checkboxes; ``errors`` maps a field name to a list of messages. Errors not
    tied to a field go under ``"_form"``.
    """

    def __init__(self, values: Mapping[str, Any] | None = None, errors: Mapping[str, list[str]] | None = None):
        self.values: dict[str, Any] = dict(values or {})
        self.errors: dict[str, list[str]] = {k: list(v) for k, v in (errors or {}).items()}

    @classmethod
    def from_request(cls, form, defaults: Mapping[str, Any] | None = None) -> FormState:
        """The submitted ``request.form`` (multi-valued fields as lists) over ``defaults``."""
        values = dict(defaults or {})
        for key in form:
            items = form.getlist(key)
            values[key] = items if len(items) > 1 or key.endswith("[]") else items[0]
        return cls(values)

    def get(self, name: str, default: Any = "") -> Any:
        value = self.values.get(name)
        return default if value is None else value

    def getlist(self, name: str) -> list[str]:
        value = self.values.get(name)
        if value is None or value == "":
            return []
        return [str(v) for v in value] if isinstance(value, (list, tuple, set)) else [str(value)]

    def add(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    def merge(self, errors: Mapping[str, Any] | None, rename: Mapping[str, str] | None = None) -> None:
        """Add a problem's ``errors`` (API field names renamed to form field names)."""
        for field, messages in (errors or {}).items():
            if isinstance(messages, Mapping):  # nested marshmallow errors: flatten one level
                messages = [m for ms in messages.values() for m in (ms if isinstance(ms, list) else [ms])]
            elif not isinstance(messages, list):
                messages = [str(messages)]
            for message in messages:
                self.add((rename or {}).get(field, field), str(message))

    @property
    def has_errors(self) -> bool:
        return any(self.errors.values())


def paragraphs(text: str | None) -> Markup:
    """Plain text as ``<p>`` paragraphs: a blank line starts a new one, a single line break stays a
    ``<br>``; every character of the text is escaped, so no markup a person typed reaches the page."""
    lines = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    blocks = [block.strip("\n") for block in re.split(r"\n[ \t]*\n", lines) if block.strip()]
    return Markup("".join(Markup("<p>") + Markup("<br>").join(escape(line.strip()) for line in block.split("\n"))
                          + Markup("</p>") for block in blocks))


def csv_cell(text: str) -> str:
    """Text a person typed as a spreadsheet cell no spreadsheet runs as a formula (a title like
    "=HYPERLINK(...)" is quoted)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_download(filename: str, rows: Iterable[Iterable[Any]]) -> Response:
    """``rows`` (the header first) as a CSV attachment: CRLF line ends, UTF-8 with a byte-order mark,
    without which Excel reads the bytes as its local code page ("Zoë" as "ZoÃ«"). Text a person typed
    goes through :func:`csv_cell` first."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return Response(out.getvalue().encode("utf-8-sig"), content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def init_pages(app: Flask, service_name: str = "Doc Box", home_url: str = "/", *, cookie_name: str,
               cookie_label: bytes | None = None, csrf_exempt: Iterable = (), csrf_time_limit: int | None = None,
               lifetime: timedelta | None = None) -> CSRFProtect:
    """The page cookie, CSRF and the shared look (templates, stylesheet) for ``app``.

    Registers the ``docbox`` blueprint (templates folder and ``/_docbox/static``)
    and puts ``docbox_service_name`` and ``docbox_home_url`` in every template.
    ``csrf_time_limit`` is in seconds (None: as long as the cookie lives),
    ``lifetime`` how long a permanent session cookie lives. Returns the app's
    CSRF protection (also ``app.extensions["csrf"]``).
    """
    development = app.config.get("DOCBOX_ENV", "development") == "development"
    if cookie_label is not None and not app.config.get("SECRET_KEY"):  # Flask's default is None; a test may set one
        keys = cookie_keys(app.config["SECRET_KEYS"], cookie_label)
        app.config.update(SECRET_KEY=keys[0], SECRET_KEY_FALLBACKS=keys[1:])  # a rotation keeps open forms valid
    # Flask's defaults (cookie "session", no SameSite, no Secure, 31 days) are replaced.
    app.config.update(SESSION_COOKIE_NAME=cookie_name, SESSION_COOKIE_HTTPONLY=True,
                      SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_SECURE=not development)
    if lifetime is not None:
        app.config["PERMANENT_SESSION_LIFETIME"] = lifetime
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", csrf_time_limit)
    csrf = CSRFProtect(app)  # one per app: its exemptions are names, and another service may use the same ones
    for blueprint in csrf_exempt:
        csrf.exempt(blueprint)

    blueprint = Blueprint("docbox", __name__, template_folder="templates", static_folder="static",
                          url_prefix=URL_PREFIX)
    app.register_blueprint(blueprint)

    app.add_template_filter(paragraphs, "paragraphs")

    @app.context_processor
    def _docbox_names():
        return {"docbox_service_name": service_name, "docbox_home_url": home_url}

    return csrf


def error_pages(bp: Blueprint, db, layout: str, home: tuple[str, str], headers: Mapping[str, str] | None = None,
                unexpected: bool = False, **context) -> Callable[[int, str, str], tuple]:
    """Errors in ``bp``'s views as pages of ``docbox/error.html`` in ``layout``; returns the page maker.

    ``home`` is the link the page offers (label, endpoint); ``headers`` and
    ``context`` go with every error page. The database session is rolled back
    first, so a page never commits half a change. With ``unexpected``, any
    other exception is logged and becomes a 500 page (else the app's
    problem+json 500 answers). Database errors are pages either way: one that is unreachable or cut
    off mid-change a 503 with ``Retry-After`` (nothing was changed, trying again is right), any other
    a logged 500.
    """

    def page(status: int, title: str, detail: str):
        db.session.rollback()
        label, endpoint = home
        body = render_template("docbox/error.html", docbox_error_layout=layout, status=status, title=title,
                               detail=detail, home_label=label, home_url=url_for(endpoint), **context)
        return body, status, dict(headers or {})

    @bp.errorhandler(Problem)
    def _problem(exc: Problem):
        return page(exc.status, exc.title, exc.detail or "")

    @bp.errorhandler(CSRFError)
    def _expired(exc: CSRFError):
        return page(400, *FORM_EXPIRED)

    @bp.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        return page(exc.code or 500, exc.name, exc.description or "")

    @bp.errorhandler(SQLAlchemyError)
    def _database(exc: SQLAlchemyError):
        if not database_unreachable(exc):
            return _fault(exc)
        # A dropped connection or a database away: nothing was written, trying again is right.
        log.warning("database unreachable", extra={"error": type(exc).__name__})
        body, status, page_headers = page(503, "Doc Box cannot reach its database",
                                          "Nothing was changed. Try again in a moment.")
        return body, status, {**page_headers, "Retry-After": "5"}

    def _fault(exc: Exception):
        log.exception("unhandled error on a page")
        return page(500, "Something went wrong on our side", "Nothing was changed. Try again in a moment.")

    if unexpected:
        @bp.errorhandler(Exception)
        def _unexpected(exc: Exception):
            return _http(exc) if isinstance(exc, HTTPException) else _fault(exc)

    return page
