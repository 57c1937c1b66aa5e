"""The public subscribe form: ``GET/POST /subscribe`` and ``GET /subscribe/sent``.

``?programs=<id>`` (repeatable) pre-selects programs; calendar_sync's program
page links here that way. A valid form goes through
:func:`~docbox_notifications.operations.request_subscription`, exactly as
``POST /api/v1/subscribers`` does (the same schema checks the input, the same
rate limits apply), and the answer is the same whatever the address: a
redirect to "check your inbox". A form with mistakes comes back with a message
next to each field and everything typed kept.
"""

from __future__ import annotations

from flask import Blueprint, current_app, make_response, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from marshmallow import ValidationError

from docbox_shared.pages import FormState, error_pages
from docbox_shared.problems import TooManyRequests, ValidationProblem

from .. import operations
from ..api.subscribers import SubscribeSchema
from ..models import db
from . import choices

bp = Blueprint("subscribe", __name__, template_folder="templates")
# Errors as pages in this layout (a database cut off: the 503 "nothing was changed, try again" page); the
# handlers below come after, so theirs win.
error_pages(bp, db, "notifications/layout.html", ("Go to the subscribe form", "subscribe.form"))

# What the person sees for each kind of mistake; marshmallow's own messages are written for API clients.
MESSAGES = {
    "email": "Enter an email address in the form name@example.org.",
    "programs": "Choose at least one program.",
    "offsets": "Choose at least one reminder time, or the weekly digest.",
    "timezone": "Choose a time zone from the list.",
}
API_FIELDS = {"offsets_minutes": "offsets"}


@bp.after_request
def _private(response):
    # The form holds a CSRF token tied to this browser's cookie: no shared cache may keep it.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/")
def home():
    return redirect(url_for("subscribe.form"))


@bp.route("/subscribe", methods=["GET", "POST"])
def form():
    programs = choices.open_programs()
    if request.method == "GET":
        return _page(_initial(programs), programs)
    state = FormState.from_request(request.form, defaults={"programs": [], "offsets": [], "digest": "off",
                                                           "timezone": ""})
    state.values.pop("csrf_token", None)
    data = _validate(state, programs)
    if state.has_errors:
        return _page(state, programs, 422)
    try:
        operations.request_subscription(data["email"], data["programs"], data["offsets_minutes"], data["digest"],
                                        data["timezone"], request.remote_addr or "")
    except ValidationProblem as exc:   # a program closed between the page and the post
        state.merge(exc.errors, rename=API_FIELDS)
        return _page(state, programs, 422)
    except TooManyRequests as exc:
        state.add("_form", exc.detail)
        return _page(state, programs, exc.status, exc.headers)
    return redirect(url_for("subscribe.sent"), 303)


@bp.get("/subscribe/sent")
def sent():
    return render_template("notifications/sent.html")


@bp.errorhandler(CSRFError)
def _expired(exc: CSRFError):
    programs = choices.open_programs()
    state = FormState.from_request(request.form, defaults={"programs": [], "offsets": [], "digest": "off"})
    state.values.pop("csrf_token", None)
    state.add("_form", "For your safety this form could not be sent (it was open too long, or cookies are off). "
                       "Check your choices and send it again.")
    return _page(state, programs, 400)


def _initial(programs: dict[str, dict]) -> FormState:
    chosen = [p for p in request.args.getlist("programs") if p in programs]
    if not chosen and len(programs) == 1:
        chosen = list(programs)
    return FormState({"email": "", "programs": chosen, "digest": "off", "timezone": "",
                      "offsets": [str(m) for m in current_app.config["DEFAULT_OFFSETS"]]})


def _validate(state: FormState, programs: dict[str, dict]) -> dict:
    """The API's body built from the form, checked by the API's schema; mistakes go into ``state``."""
    chosen = state.getlist("programs")
    offsets, unknown_offsets = choices.read_offsets(state.getlist("offsets"))
    digest = state.get("digest") == "on"
    body = {"email": str(state.get("email")).strip(), "programs": chosen, "digest": digest,
            "timezone": str(state.get("timezone")).strip() or None, "offsets_minutes": offsets or None}
    data = {}
    try:
        data = SubscribeSchema().load(body)
    except ValidationError as exc:
        for field in exc.messages:
            name = API_FIELDS.get(field, field)
            state.add(name if name in MESSAGES else "_form", MESSAGES.get(name, "This form was not understood."))
    if not body["email"] and "email" in state.errors:
        state.errors["email"] = ["Enter your email address."]
    if len(offsets) > 5:
        state.errors["offsets"] = ["Choose at most 5 reminder times."]
    if chosen and any(p not in programs for p in chosen) and "programs" not in state.errors:
        state.add("programs", "Choose from the programs listed: one of them is not open for reminders.")
    if (unknown_offsets or (not digest and not offsets)) and "offsets" not in state.errors:
        state.add("offsets", "Choose reminder times from the list." if unknown_offsets else MESSAGES["offsets"])
    return data


def _page(state: FormState, programs: dict[str, dict], status: int = 200, headers: dict | None = None):
    chosen = state.getlist("programs")
    response = make_response(render_template(
        "notifications/subscribe.html", form=state, programs=programs,
        program_options=choices.program_options(programs), offset_options=choices.offset_options(),
        digest_options=choices.DIGEST_OPTIONS, timezone_options=choices.timezone_options(),
        timezone_blank=choices.program_zone_label(programs, chosen)), status)
    response.headers.update(headers or {})
    return response
