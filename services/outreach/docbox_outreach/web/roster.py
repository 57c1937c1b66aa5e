"""The roster pages (coordinators): the list, importing a file, adding, changing, marking as left."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from docbox_shared.pages import FormState
from docbox_shared.problems import ValidationProblem

from .. import roster
from ..access import current_staff, require
from ..api.roster import MAX_FILE
from ..models import audit_read, db
from . import error_pages

bp = Blueprint("roster", __name__, url_prefix="/roster")
error_pages(bp)
FORM_FIELDS = ("name", "email", "division", "reports_to")


@bp.get("")
@require("coordinator")
def index():
    members = roster.all_members()
    audit_read(current_staff().email, "roster", "roster")
    db.session.commit()
    return render_template("outreach/roster.html", members=members)


@bp.post("/import")
@require("coordinator")
def import_file():
    upload = request.files.get("file")
    data = upload.read(MAX_FILE + 1) if upload else b""
    if not data:
        return render_template("outreach/roster_import.html", problems={"file": ["Choose a CSV file."]}), 422
    if len(data) > MAX_FILE:
        return render_template("outreach/roster_import.html",
                               problems={"file": [f"The file is larger than {MAX_FILE // 1024} KiB."]}), 422
    try:
        changes = roster.import_roster(data)
    except ValidationProblem as problem:
        return render_template("outreach/roster_import.html", problems=problem.errors, detail=problem.detail), 422
    return render_template("outreach/roster_import.html", changes=changes, problems=None)


def _form_values(form) -> dict:
    values = {field: form.get(field, "") for field in FORM_FIELDS}
    values["leadership"] = form.get("leadership") == "1"
    return values


@bp.route("/new", methods=["GET", "POST"])
@require("coordinator")
def new():
    form = FormState()
    if request.method == "POST":
        form = FormState.from_request(request.form)
        try:
            member = roster.save_member(_form_values(request.form))
        except ValidationProblem as problem:
            form.merge(problem.errors)
            return render_template("outreach/member.html", form=form, member=None), 422
        flash(f"{member.name} was added to the roster.", "success")
        return redirect(url_for("roster.index"))
    return render_template("outreach/member.html", form=form, member=None)


@bp.route("/<int:member_id>", methods=["GET", "POST"])
@require("coordinator")
def edit(member_id: int):
    member = roster.get_member(member_id)
    form = FormState({"name": member.name, "email": member.email, "division": member.division,
                      "reports_to": member.reports_to or "", "leadership": "1" if member.leadership else ""})
    if request.method == "POST":
        form = FormState.from_request(request.form)
        try:
            roster.save_member(_form_values(request.form), member)
        except ValidationProblem as problem:
            form.merge(problem.errors)
            return render_template("outreach/member.html", form=form, member=member), 422
        flash(f"{member.name} was changed.", "success")
        return redirect(url_for("roster.index"))
    return render_template("outreach/member.html", form=form, member=member)


@bp.post("/<int:member_id>/status")
@require("coordinator")
def status(member_id: int):
    member = roster.get_member(member_id)
    active = request.form.get("active") == "1"
    roster.set_active(member, active)
    flash(f"{member.name} is " + ("active again." if active else "marked as left."), "success")
    return redirect(url_for("roster.index"))
