"""Pages reached from links in messages: confirm, manage, unsubscribe.

The token in the URL is the credential (a capability): no login and no CSRF
token, because a page elsewhere cannot know it. GET never changes anything
(mail scanners follow links); each change is a POST from a button. The
unsubscribe URL also takes the RFC 8058 one-click POST
(``List-Unsubscribe=One-Click``) that mail providers send. These pages are
``no-store``, ``noindex`` and send no Referer, so the token stays in the
message it came in.
"""

from __future__ import annotations

from docbox_shared.problems import ValidationProblem
from flask import Blueprint, make_response, redirect, render_template, request, url_for

from .. import operations
from ..operations import OFFSET_CHOICES, LinkNotValid

bp = Blueprint("pages", __name__, template_folder="templates")


@bp.after_request
def _private(response):
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _invalid(status: int = 404):
    return make_response(render_template("invalid.html"), status)


@bp.route("/confirm/<token>", methods=["GET", "POST"])
def confirm(token: str):
    if request.method == "GET":
        try:
            operations.subscriber_for(token, "confirm")
        except LinkNotValid:
            return _invalid()
        return render_template("confirm.html")
    try:
        manage_token = operations.confirm(token)
    except LinkNotValid:
        return _invalid()
    return redirect(url_for("pages.manage", token=manage_token, confirmed=1), 303)


@bp.route("/manage/<token>", methods=["GET", "POST"])
def manage(token: str):
    try:
        sub = operations.subscriber_for(token, "manage")
    except LinkNotValid:
        return _invalid()
    error = None
    if request.method == "POST":
        action = request.form.get("action", "save")
        try:
            if action == "delete":
                operations.delete_subscriber(token)
                return render_template("deleted.html")
            if action == "resume":
                operations.resume(token)
            else:
                offsets = [int(v) for v in request.form.getlist("offsets") if v.isdigit() and int(v) in OFFSET_CHOICES]
                operations.update_preferences(token, request.form.getlist("programs"), offsets,
                                              request.form.get("digest") == "on")
            return redirect(url_for("pages.manage", token=token, saved=1), 303)
        except ValidationProblem as exc:
            error = exc.detail
    status = 422 if error else 200
    return make_response(render_template(
        "manage.html", sub=sub, programs=operations.programs(), offset_choices=OFFSET_CHOICES, error=error,
        confirmed=request.args.get("confirmed"), saved=request.args.get("saved")), status)


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
def unsubscribe(token: str):
    if request.method == "GET":
        try:
            operations.subscriber_for(token, "manage")
        except LinkNotValid:
            return _invalid()
        return render_template("unsubscribe.html")
    # RFC 8058 one-click or our button: either way, and again, the answer is "no more mail".
    try:
        operations.delete_subscriber(token)
    except LinkNotValid:
        pass
    return render_template("deleted.html")
