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
- :class:`FormState`, the object the form macros read: what the person typed
  (``values``) and the messages per field (``errors``), e.g. straight from a
  :class:`docbox_shared.problems.ValidationProblem`'s ``errors``.

Blocks of ``docbox/base.html``: ``title``, ``nav`` (defaults to the
``docbox_nav`` list of ``(label, url, is_current)`` a view or context
processor provides), ``account`` (right side of the header, e.g. a logout
form), ``content``, ``footer``, ``head`` (extra tags). The name in the header
comes from ``service_name`` and links to ``home_url``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, Flask

URL_PREFIX = "/_docbox"


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


def init_pages(app: Flask, service_name: str = "Doc Box", home_url: str = "/") -> None:
    """Make the shared templates and stylesheet available to ``app``.

    Registers the ``docbox`` blueprint (templates folder and ``/_docbox/static``)
    and puts ``docbox_service_name`` and ``docbox_home_url`` in every template.
    """
    blueprint = Blueprint("docbox", __name__, template_folder="templates", static_folder="static",
                          url_prefix=URL_PREFIX)
    app.register_blueprint(blueprint)

    @app.context_processor
    def _docbox_names():
        return {"docbox_service_name": service_name, "docbox_home_url": home_url}
