"""Pages reached from links in messages: confirm, manage, unsubscribe.

The token in the URL is the credential (a capability): no login and no CSRF
token, because a page elsewhere cannot know it (see :mod:`.` for why the
unsubscribe POST must not need one). GET never changes anything (mail
scanners follow links); each change is a POST from a button. The unsubscribe
URL also takes the RFC 8058 one-click POST (``List-Unsubscribe=One-Click``)
that mail providers send. These pages are ``no-store``, ``noindex`` and send
no Referer, so the token stays in the message it came in.

Manage actions (the ``action`` field of a POST to ``/manage/<token>``):
``save`` (programs, reminder times, digest, time zone), ``pause``,
``resume``, ``delete`` (asks first) and ``delete-everything`` (does it).
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, make_response, redirect, render_template, request, url_for

from docbox_shared.pages import FormState, error_pages
from docbox_shared.problems import ValidationProblem

from .. import operations
from ..models import db
from ..operations import LinkNotValid
from . import choices

bp = Blueprint("pages", __name__, template_folder="templates")
# Errors as pages in this layout (a database cut off: the 503 "nothing was changed, try again" page).
error_pages(bp, db, "notifications/layout.html", ("Go to the subscribe form", "subscribe.form"))


@bp.after_request
def _private(response):
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.context_processor
def _noindex():
    return {"noindex": True}


@bp.errorhandler(LinkNotValid)
def _invalid(exc: LinkNotValid):
    return render_template("notifications/invalid.html"), 404


@bp.route("/confirm/<token>", methods=["GET", "POST"])
def confirm(token: str):
    sub = operations.subscriber_for(token, "confirm")
    if request.method == "GET":
        requested = sub.requested or {}
        programs = operations.programs()
        return render_template("notifications/confirm.html", token=token, requested=requested,
                               program_names=[programs[p].get("name", p) for p in requested.get("programs", [])
                                              if p in programs],
                               offset_labels=[label for minutes, label in operations.OFFSET_CHOICES.items()
                                              if minutes in (requested.get("offsets") or sub.offsets or [])])
    manage_token = operations.confirm(token)
    flash("Confirmed: your reminders are on. Keep this page's link private: whoever has it can change "
          "these choices.", "success")
    return redirect(url_for("pages.manage", token=manage_token), 303)


@bp.route("/manage/<token>", methods=["GET", "POST"])
def manage(token: str):
    sub = operations.subscriber_for(token, "manage")
    state = _current(sub)
    if request.method == "GET":
        return _manage_page(token, sub, state)
    action = request.form.get("action", "save")
    if action == "delete":
        return render_template("notifications/delete.html", token=token)
    if action == "delete-everything":
        operations.delete_subscriber(token)
        return render_template("notifications/deleted.html")
    if action == "pause":
        operations.pause(token)
        flash("Paused: no email is sent until you resume. Your choices are kept.", "success")
    elif action == "resume":
        operations.resume(token)
        flash("Resumed: reminders are on again.", "success")
    else:
        state = FormState.from_request(request.form, defaults={"programs": [], "offsets": [], "digest": "off",
                                                               "timezone": ""})
        state.values.pop("action", None)
        if not _save(token, sub, state):
            return _manage_page(token, sub, state, 422)
        flash("Saved: your choices are changed.", "success")
    return redirect(url_for("pages.manage", token=token), 303)


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
def unsubscribe(token: str):
    if request.method == "GET":
        operations.subscriber_for(token, "manage")
        return render_template("notifications/unsubscribe.html", token=token)
    # RFC 8058 one-click or our button: either way, and again, the answer is "no more mail".
    try:
        operations.delete_subscriber(token)
    except LinkNotValid:
        pass
    return render_template("notifications/deleted.html")


def _current(sub) -> FormState:
    return FormState({"programs": sub.program_ids, "offsets": [str(o) for o in sub.offsets or []],
                      "digest": "on" if sub.digest else "off", "timezone": sub.timezone or ""})


def _offered(sub) -> dict[str, dict]:
    """Open programs, and any closed one this subscriber still follows (so it can be unticked)."""
    offered = choices.open_programs()
    known = operations.programs()
    for pid in sub.program_ids:
        offered.setdefault(pid, known.get(pid, {"name": pid}))
    return offered


def _save(token: str, sub, state: FormState) -> bool:
    chosen = state.getlist("programs")
    offsets, unknown_offsets = choices.read_offsets(state.getlist("offsets"))
    if any(p not in _offered(sub) for p in chosen):
        state.add("programs", "Choose from the programs listed.")
    if unknown_offsets:
        state.add("offsets", "Choose reminder times from the list.")
    if state.has_errors:
        return False
    try:
        operations.update_preferences(token, chosen, offsets, state.get("digest") == "on",
                                      str(state.get("timezone")).strip() or None)
    except ValidationProblem as exc:
        state.merge(exc.errors)
        return False
    return True


def _manage_page(token: str, sub, state: FormState, status: int = 200):
    offered = _offered(sub)
    bounced = sub.status == "paused" and (sub.bounces or 0) >= current_app.config["MAX_BOUNCES"]
    return make_response(render_template(
        "notifications/manage.html", token=token, sub=sub, form=state, bounced=bounced,
        program_options=choices.program_options(offered), offset_options=choices.offset_options(),
        digest_options=choices.DIGEST_OPTIONS, timezone_options=choices.timezone_options(sub.timezone or ""),
        timezone_blank=choices.program_zone_label(offered, state.getlist("programs"))), status)
