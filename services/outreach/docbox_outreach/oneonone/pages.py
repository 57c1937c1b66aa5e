"""Pages of the one-on-one program: rounds and mentors (coordinators), reports (coordinators, viewers),
and the mentor's own list (mentors, phone-sized)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import aliased

from docbox_shared.inputs import parse_day
from docbox_shared.pages import FormState, csv_download
from docbox_shared.problems import Problem, ValidationProblem

from ..access import current_staff, require
from ..domain.vocabulary import AttemptOutcome, Channel
from ..models import Member, audit_read, db
from ..web import error_pages
from . import operations as ops
from . import reports
from .models import Assignment, Attempt, Round

bp = Blueprint("oneonone", __name__, url_prefix="/oneonone", template_folder="templates")
error_pages(bp)


def _whole(value: str, field: str, errors: dict) -> int | None:
    value = (value or "").strip()
    if not value:
        return None
    if not value.isdigit() or len(value) > 6:
        errors[field] = ["must be a whole number"]
        return None
    return int(value)


def _rounds_page(form: FormState, status: int = 200):
    query = select(Round).order_by(Round.number.desc())
    if not current_staff().can("coordinator"):
        query = query.where(Round.opened_at.is_not(None))  # viewers never learn of a draft
    return render_template("oneonone/rounds.html", rounds=db.session.scalars(query).all(), form=form,
                           current=ops.current_round(), pool=len(ops.mentor_pool())), status


def _round_form(errors: dict, refused: str) -> tuple:
    """The due date, number of mentors and load of the prepare and recompute forms."""
    try:
        due_on = parse_day(request.form.get("due_on"))
    except ValueError:
        due_on = None
    if due_on is None:
        errors["due_on"] = ["enter the due date (YYYY-MM-DD)"]
    mentors = _whole(request.form.get("mentors"), "mentors", errors)
    load = _whole(request.form.get("load"), "load", errors)
    if errors:
        raise ValidationProblem(refused, errors=errors)
    return due_on, mentors, load


def _form_problem(form: FormState, problem: Problem) -> None:
    db.session.rollback()
    form.merge(problem.errors or {})
    if not problem.errors or problem.status != 422:
        form.add("_form", problem.detail)


@bp.get("/rounds")
@require("coordinator", "viewer")
def rounds():
    return _rounds_page(FormState())


@bp.post("/rounds")
@require("coordinator")
def open_round():
    """Prepare the next round as a draft: nothing is sent until the coordinator opens it."""
    form = FormState.from_request(request.form)
    try:
        due_on, mentors, load = _round_form({}, "The round was not prepared.")
        new = ops.prepare_round(due_on, mentor_count=mentors, load=load)
    except Problem as problem:
        _form_problem(form, problem)
        return _rounds_page(form, problem.status)
    flash(f"Round {new.number} is a draft: nothing has been sent. Check its pairs, swap or move mentees, "
          "then open it.", "success")
    return redirect(url_for("oneonone.round_page", round_id=new.id))


@bp.route("/mentors", methods=["GET", "POST"])
@require("coordinator")
def mentors():
    if request.method == "POST":
        member_id = request.form.get("member", "")
        if request.form.get("action") == "remove":
            ops.remove_mentor(int(member_id) if member_id.isdigit() else 0)
            flash("Removed from the mentor pool (from the next round on).", "success")
        else:
            ops.add_mentor(int(member_id) if member_id.isdigit() else 0)
            flash("Added to the mentor pool.", "success")
        return redirect(url_for("oneonone.mentors"))
    pool = ops.mentor_pool()
    audit_read(current_staff().email, "oneonone", "mentors")
    db.session.commit()
    in_pool = {m.member_id for m in pool}
    others = [m for m in db.session.scalars(select(Member).where(Member.active).order_by(Member.name))
              if m.id not in in_pool]
    return render_template("oneonone/mentors.html", pool=pool, others=others, form=FormState())


@bp.get("/rounds/<int:round_id>")
@require("coordinator", "viewer")
def round_page(round_id: int):
    round_ = ops.get_round(round_id)
    staff = current_staff()
    if round_.is_draft and staff.can("coordinator"):
        return _draft_page(round_)
    reading = reports.read(round_, staff, "round")
    if reading.view is not None:
        return render_template("oneonone/round.html", round=round_, view=reading.view, rows=reports.coordinator_rows(
            reading.view.report), changes_asked=_changes_asked(round_),
            chart=_chart(_so_far(round_, reading.view.report.reached_by_day)))
    release = reading.release
    return render_template("oneonone/round_viewer.html", round=round_, release=release,
                           rows=reports.viewer_rows(release) if release else [], min_cell=_min_cell())


def _draft_page(round_: Round, form: FormState | None = None, status: int = 200):
    """A draft's pairs and loads with the forms to change them (a read of people's data: audited)."""
    audit_read(current_staff().email, "oneonone", "round.draft", round_.id)
    pairs, loads = ops.round_pairs(round_), ops.round_loads(round_)
    db.session.commit()
    in_round = {row.mentor_id for row in loads}
    pool = [m for m in ops.mentor_pool() if m.member.active]
    return render_template("oneonone/round_draft.html", round=round_, pairs=pairs, loads=loads, pool=pool,
                           unused=[m for m in pool if m.member_id not in in_round],
                           by_hand=_swaps(round_.changes_by_hand) if round_.changes_by_hand else None,
                           form=form or FormState({"due_on": round_.due_on.isoformat()})), status


def _swaps(count: int) -> str:
    return "1 swap or move" if count == 1 else f"{count} swaps and moves"


def _min_cell() -> int:
    from flask import current_app
    return current_app.config["MIN_CELL"]


def _changes_asked(round_: Round) -> list:
    """Mentees of the round for whom another mentor was asked (by them or their mentor), with emails to swap."""
    mentee, mentor = aliased(Member), aliased(Member)
    return db.session.execute(
        select(mentee.name.label("mentee"), mentee.email, mentor.name.label("mentor")).select_from(Assignment)
        .join(mentee, mentee.id == Assignment.mentee_id).join(mentor, mentor.id == Assignment.mentor_id)
        .where(Assignment.round_id == round_.id, Assignment.change_requested).order_by(mentee.name)).all()


def _so_far(round_: Round, cumulative) -> tuple:
    """An open round's days up to today: the days ahead have no reach yet, they are not flat."""
    if not round_.is_open:
        return cumulative
    return cumulative[:max(1, (ops.today() - round_.opened_on).days + 1)]


def _chart(cumulative) -> dict:
    """An SVG line of reach over the days of the round (points in a 0..100 box)."""
    days = len(cumulative)
    top = max(cumulative[-1] if cumulative else 0, 1)
    points = " ".join(f"{(i / max(days - 1, 1)) * 300:.1f},{100 - (v / top) * 100:.1f}"
                      for i, v in enumerate(cumulative))
    return {"points": points, "top": top, "days": days, "last": cumulative[-1] if cumulative else 0}


@bp.get("/rounds/<int:round_id>.csv")
@require("coordinator", "viewer")
def round_csv(round_id: int):
    round_ = ops.get_round(round_id)
    reading = reports.read(round_, current_staff(), "round.csv")
    if reading.view is not None:
        rows = reports.coordinator_csv_rows(reading.view)
    elif reading.release is None:
        raise Problem("The numbers of a round are released to viewers once it is closed.")
    else:
        rows = reports.viewer_csv_rows(reading.release)
    return csv_download(f"outreach-round-{round_.number}.csv", rows)


@bp.post("/rounds/<int:round_id>/swap")
@require("coordinator")
def swap(round_id: int):
    round_ = ops.get_round(round_id)
    ids = []
    for field in ("a", "b"):
        member = ops.member_for(request.form.get(field, "").strip())
        if member is None:
            raise ValidationProblem("Enter the work emails of two mentees of this round.")
        ids.append(member.id)
    ops.swap(round_, *ids)
    flash("The two mentees exchanged mentors.", "success")
    return redirect(url_for("oneonone.round_page", round_id=round_.id))


@bp.post("/rounds/<int:round_id>/reassign")
@require("coordinator")
def reassign(round_id: int):
    round_ = ops.get_round(round_id)
    mentee = ops.member_for(request.form.get("mentee", "").strip())
    if mentee is None:
        raise ValidationProblem("Enter the work email of a mentee of this round.")
    mentor = request.form.get("mentor", "")
    ops.reassign(round_, mentee.id, int(mentor) if mentor.isdigit() and len(mentor) <= 12 else 0)
    flash(f"{mentee.name} has another mentor." + ("" if round_.balanced else
          " The loads now differ by more than one."), "success")
    return redirect(url_for("oneonone.round_page", round_id=round_.id))


@bp.post("/rounds/<int:round_id>/recompute")
@require("coordinator")
def recompute(round_id: int):
    round_ = ops.get_round(round_id)
    form = FormState.from_request(request.form)
    try:
        due_on, mentors, load = _round_form({}, "The draft was not computed again.")
        dropped = ops.recompute(round_, due_on, mentor_count=mentors, load=load)
    except Problem as problem:
        _form_problem(form, problem)
        round_ = ops.get_round(round_id)
        if not round_.is_draft:
            raise
        return _draft_page(round_, form, problem.status)
    flash(f"The pairs of round {round_.number} were computed again" + (
        f"; {_swaps(dropped)} made by hand {'was' if dropped == 1 else 'were'} dropped." if dropped else "."),
        "success")
    return redirect(url_for("oneonone.round_page", round_id=round_.id))


@bp.post("/rounds/<int:round_id>/open")
@require("coordinator")
def open_draft(round_id: int):
    round_ = ops.open_draft(ops.get_round(round_id))
    flash(f"Round {round_.number} is open; mentors and mentees are being mailed.", "success")
    return redirect(url_for("oneonone.round_page", round_id=round_.id))


@bp.post("/rounds/<int:round_id>/discard")
@require("coordinator")
def discard(round_id: int):
    round_ = ops.get_round(round_id)
    number = round_.number
    ops.discard(round_)
    flash(f"The draft of round {number} was discarded; nothing of it was sent.", "success")
    return redirect(url_for("oneonone.rounds"))


@bp.post("/rounds/<int:round_id>/close")
@require("coordinator")
def close(round_id: int):
    round_ = ops.get_round(round_id)
    ops.close(round_)
    flash(f"Round {round_.number} is closed: nothing in it changes any more.", "success")
    return redirect(url_for("oneonone.round_page", round_id=round_.id))


# --- the mentor's own list --------------------------------------------------------------------------

@bp.get("/mine")
@require("mentor", "coordinator")
def mine():
    staff = current_staff()
    member = ops.member_for(staff.email)
    round_ = ops.open_round()
    cards = []
    if member is not None and round_ is not None:
        rows = ops.my_assignments(member, round_)
        out = ops.round_opted_out(round_)
        mine_attempts: dict = {}
        if rows:
            for attempt in db.session.scalars(select(Attempt).where(
                    Attempt.assignment_id.in_([r.id for r in rows]), Attempt.mentor_id == member.id)
                    .order_by(Attempt.day, Attempt.id)):
                mine_attempts.setdefault(attempt.assignment_id, []).append(attempt)
        cards = [(row, mine_attempts.get(row.id, [])) for row in rows if row.mentee_id not in out]
    return render_template("oneonone/mine.html", round=round_, member=member, cards=cards, today=ops.today(),
                           channels=[(c.value, c.label) for c in Channel],
                           outcomes=[(o.value, o.label) for o in AttemptOutcome])


@bp.post("/mine/<int:assignment_id>")
@require("mentor", "coordinator")
def log(assignment_id: int):
    staff = current_staff()
    member = ops.member_for(staff.email)
    if request.form.get("action") == "change":
        ops.ask_change_by_mentor(member, assignment_id)
        flash("Noted: this colleague gets another mentor from the next round on.", "success")
        return redirect(url_for("oneonone.mine"))
    day = parse_day(request.form.get("day")) if request.form.get("day") else None
    if request.form.get("day") and day is None:
        flash("Not logged: the date is not a date (YYYY-MM-DD).", "error")
        return redirect(url_for("oneonone.mine"), 303)
    try:
        ops.log_attempt(member, assignment_id, day, request.form.get("channel", ""), request.form.get("outcome", ""))
    except ValidationProblem as problem:
        messages = "; ".join(f"{field}: {' '.join(m)}" for field, m in (problem.errors or {}).items())
        flash(f"Not logged: {messages}", "error")
        return redirect(url_for("oneonone.mine"), 303)
    flash("Logged.", "success")
    return redirect(url_for("oneonone.mine"), 303)
