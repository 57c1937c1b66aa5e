"""Pages of the one-on-one program: coordinators, viewers and mentors."""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import select

from ..access import require
from ..models import db
from ..web import error_pages
from .models import Round

bp = Blueprint("oneonone", __name__, url_prefix="/oneonone", template_folder="templates")
error_pages(bp)


@bp.get("/rounds")
@require("coordinator", "viewer")
def rounds():
    rows = db.session.scalars(select(Round).order_by(Round.number.desc())).all()
    return render_template("oneonone/rounds.html", rounds=rows)
