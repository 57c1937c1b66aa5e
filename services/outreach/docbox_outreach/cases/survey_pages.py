"""The survey's answer page: reached through a single-use link, no sign-in, no CSRF (the link is the capability)."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from docbox_shared.pages import FormState
from docbox_shared.problems import NotFound, ValidationProblem

from ..web import error_pages
from . import survey
from .host import db
from .models import SURVEY_ITEMS

bp = Blueprint("cases_survey", __name__, url_prefix="/cases/survey", template_folder="templates")
error_pages(bp)


@bp.before_request
def _capability():
    request.capability_page = True   # no navigation, no staff name on the page


@bp.route("/<token>", methods=["GET", "POST"])
def answer(token):
    form = FormState.from_request(request.form) if request.method == "POST" else FormState()
    try:
        survey.link(token)
    except NotFound:
        return render_template("cases/survey_gone.html"), 404
    if request.method == "POST":
        yes_no = {"yes": True, "no": False}
        items = {}
        for name in SURVEY_ITEMS:
            value = form.get(name)
            if value:
                items[name] = int(value) if value.isdigit() else -1
        try:
            survey.answer(token, yes_no.get(form.get("valuable")), yes_no.get(form.get("recommend")), items)
        except ValidationProblem as problem:
            db.session.rollback()
            form.merge(problem.errors)
        else:
            db.session.commit()
            return render_template("cases/survey_thanks.html")
    return render_template("cases/survey.html", form=form, items=SURVEY_ITEMS), 422 if form.has_errors else 200
