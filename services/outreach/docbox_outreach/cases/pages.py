"""Pages of the case-based program: referrer, coordinator, supporter (phone), viewer, admin.

Thin views: read the form, call an operation, render. A refused form is shown
again with its messages (nothing written); any other problem becomes a page
in the outreach layout (:func:`docbox_outreach.web.error_pages`).
"""

from __future__ import annotations

from datetime import date, datetime

from flask import Blueprint, flash, redirect, render_template, request, session, url_for

from docbox_shared import clock
from docbox_shared.pages import FormState, csv_download
from docbox_shared.problems import Forbidden, NotFound, Problem, ValidationProblem

from ..access import require
from ..domain.vocabulary import Channel, ClosingReason, ContactOutcome, DivisionPreference, Trigger
from ..web import error_pages
from . import pairings, referrals, reports, supporters, survey
from .access import COORDINATOR, REFERRER, SUPPORTER, VIEWER, current_actor, require_admin
from .api import today
from .host import Member, ReadAudit, db
from .models import SURVEY_ITEMS, Status, SurveyRound

bp = Blueprint("cases", __name__, url_prefix="/cases", template_folder="templates")
error_pages(bp)
ATTEST_LABELS = {"not_involved": "I am not involved in the case.",
                 "not_reviewing": "I am not reviewing the case, and will not.",
                 "not_in_reporting_line": "I am not in this colleague's reporting line (above or below)."}


@bp.app_template_filter("local")
def _local(moment: datetime | None) -> str:
    """An instant in the program's time zone, as people read it."""
    return "" if moment is None else moment.astimezone(_zone()).strftime("%a %d %b %Y, %H:%M")


@bp.app_template_filter("roster_option")
def _roster_option(member) -> tuple[int, str]:
    return member.id, f"{member.name} ({member.division})"


@bp.app_template_filter("supporter_option")
def _supporter_option(supporter) -> tuple[int, str]:
    return supporter.id, supporter.member.name


@bp.app_template_filter("labelled")
def _labelled(code) -> tuple[str, str]:
    return code.value, code.label.capitalize()


def _date(value: str) -> date | str:
    try:
        return date.fromisoformat(value.strip())
    except (ValueError, AttributeError):
        return value


def _int(value, default: int = 0) -> int:
    """A whole number typed in a form, or ``default`` (ids past any stored one are simply not found)."""
    value = (value or "").strip()
    return int(value) if value.isdigit() and len(value) < 10 else default


def _roster():
    return db.session.scalars(db.select(Member).where(Member.active.is_(True)).order_by(Member.name)).all()


# --- referrer ------------------------------------------------------------------------------------

@bp.route("/refer", methods=["GET", "POST"])
@require(REFERRER)
def refer():
    form = FormState.from_request(request.form, {"referred_on": today().isoformat()}) if request.method == "POST" \
        else FormState({"referred_on": today().isoformat()})
    if request.method == "POST":
        physician = form.get("physician_id")
        try:
            receipt = referrals.refer(_int(physician) or None, form.get("trigger"),
                                      _date(form.get("referred_on")), today())
        except ValidationProblem as problem:
            db.session.rollback()
            form.merge(problem.errors)
        else:
            db.session.commit()
            session["case_receipt"] = {"name": receipt.physician_name, "trigger": receipt.trigger.label.capitalize(),
                                       "on": receipt.referred_on.isoformat(),
                                       "at": receipt.received_at.isoformat()}
            return redirect(url_for("cases.receipt"), 303)
    return render_template("cases/refer.html", form=form, roster=_roster(), triggers=Trigger), \
        422 if form.has_errors else 200


@bp.get("/refer/receipt")
@require(REFERRER)
def receipt():
    data = session.pop("case_receipt", None)
    if data is None:
        return redirect(url_for("cases.refer"))
    data["at"] = datetime.fromisoformat(data["at"])
    return render_template("cases/receipt.html", receipt=data)


# --- coordinator: queue and matching --------------------------------------------------------------

@bp.get("/queue")
@require(COORDINATOR)
def queue():
    actor, now = current_actor(), clock.now()
    rows = pairings.queue(actor)
    closed = pairings.closed_idle(actor, now)
    db.session.commit()
    return render_template("cases/queue.html", pairings=rows, now=now, today=today(),
                           closing=pairings.closing_soon(rows, now), closed_idle=closed)


@bp.route("/pairings/<int:pairing_id>", methods=["GET", "POST"])
@require(COORDINATOR)
def pairing(pairing_id):
    actor = current_actor()
    found = pairings.for_coordinator(actor, pairing_id)
    form = FormState.from_request(request.form) if request.method == "POST" else FormState()
    if request.method == "POST":
        action = request.form.get("action")
        try:
            if action == "assign":
                chosen = form.get("supporter_id")
                if not chosen.isdigit():
                    raise ValidationProblem("Choose a supporter.", errors={"supporter_id": ["Choose a supporter."]})
                pairings.assign(actor, found, _int(chosen), today())
                message = "Assigned. The supporter has been sent the colleague's name and the due time."
            elif action == "preference":
                pairings.set_preference(actor, found, form.get("division_preference") or None)
                message = "Preference saved."
            elif action == "close":
                pairings.close(found, form.get("reason"))
                message = "Closed."
            else:
                raise ValidationProblem("Unknown action.")
        except ValidationProblem as problem:
            db.session.rollback()
            form.merge(problem.errors or {"_form": [problem.detail]})
            found = pairings.for_coordinator(actor, pairing_id)   # read again, and audited again
        else:
            db.session.commit()
            flash(message, "success")
            return redirect(url_for("cases.pairing", pairing_id=pairing_id), 303)
    ranked = pairings.candidates(found, today()) if found.status == Status.WAITING else []
    by_member = {s.member_id: s for s in supporters.roster()}
    db.session.commit()
    return render_template("cases/pairing.html", p=found, ranked=ranked, by_member=by_member, form=form,
                           preferences=DivisionPreference, reasons=ClosingReason), 422 if form.has_errors else 200


# --- supporter (a phone) ------------------------------------------------------------------------

@bp.get("/mine")
@require(SUPPORTER)
def mine():
    actor = current_actor()
    supporter, rows = pairings.of_supporter(actor)
    now = clock.now()
    closed = pairings.closed_idle(actor, now, supporter) if supporter is not None else []
    latest = supporters.latest_guideline()
    needs_ack = supporter is not None and latest is not None and \
        supporter.id not in supporters.acknowledged_latest([supporter.id])
    db.session.commit()
    return render_template("cases/mine.html", supporter=supporter, pairings=rows, guideline=latest,
                           needs_ack=needs_ack, now=now, closed_idle=closed)


@bp.post("/guidelines/acknowledge")
@require(SUPPORTER)
def acknowledge():
    supporter = supporters.of_email(current_actor().email)
    if supporter is None:
        raise Forbidden("You are not on the roster of supporters.")
    version = request.form.get("version", "")
    supporters.acknowledge(supporter, _int(version, -1))
    db.session.commit()
    flash("Thank you: the guidelines are acknowledged.", "success")
    return redirect(url_for("cases.mine"), 303)


@bp.route("/mine/<int:pairing_id>", methods=["GET", "POST"])
@require(SUPPORTER)
def my_pairing(pairing_id):
    found = pairings.own(current_actor(), pairing_id)
    now = clock.now()
    form = FormState.from_request(request.form) if request.method == "POST" else FormState(
        {"contacted_at": now.astimezone(_zone()).strftime("%Y-%m-%dT%H:%M")})
    if request.method == "POST":
        action = request.form.get("action")
        try:
            if action == "attest":
                pairings.attest(found, {a: form.get(a) == "yes" for a in pairings.ATTESTATIONS})
                message = "Thank you. You can reach out now."
            elif action == "refuse":
                pairings.refuse(found)
                db.session.commit()
                flash("Refused. The coordinator will ask someone else.", "success")
                return redirect(url_for("cases.mine"), 303)
            elif action == "contact":
                pairings.log_contact(found, _local_time(form.get("contacted_at")), form.get("channel"),
                                     form.get("outcome"), _optional_date(form.get("reoffer_on"), "reoffer_on"))
                message = "Contact logged."
            elif action == "close":
                pairings.close(found, form.get("reason"))
                db.session.commit()
                flash("Closed. Thank you for reaching out.", "success")
                return redirect(url_for("cases.mine"), 303)
            else:
                raise ValidationProblem("Unknown action.")
        except ValidationProblem as problem:
            db.session.rollback()
            form.merge(problem.errors or {"_form": [problem.detail]})
            found = pairings.own(current_actor(), pairing_id)   # read again, and audited again
        except Problem as problem:
            db.session.rollback()
            form.add("_form", problem.detail)
            found = pairings.own(current_actor(), pairing_id)   # read again, and audited again
        else:
            db.session.commit()
            flash(message, "success")
            return redirect(url_for("cases.my_pairing", pairing_id=pairing_id), 303)
    db.session.commit()
    return render_template("cases/my_pairing.html", p=found, form=form, attest=ATTEST_LABELS, channels=Channel,
                           outcomes=ContactOutcome, reasons=ClosingReason, now=now), 422 if form.has_errors else 200


def _zone():
    from flask import current_app
    return current_app.config["OUTREACH_TIMEZONE"]


def _local_time(value: str) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValidationProblem("Some fields are missing or not valid.",
                                errors={"contacted_at": ["Give a date and time."]}) from None
    return moment.replace(tzinfo=_zone()) if moment.tzinfo is None else moment


def _optional_date(value: str, field: str) -> date | None:
    if not value:
        return None
    parsed = _date(value)
    if not isinstance(parsed, date):
        raise ValidationProblem("Some fields are missing or not valid.", errors={field: ["Give a date."]})
    return parsed


# --- coordinator: supporters and guidelines ------------------------------------------------------

@bp.route("/supporters", methods=["GET", "POST"])
@require(COORDINATOR)
def supporter_roster():
    form = FormState.from_request(request.form) if request.method == "POST" else FormState({"capacity": "2"})
    if request.method == "POST":
        action = request.form.get("action")
        try:
            if action == "add":
                member, capacity = form.get("member_id"), form.get("capacity")
                supporters.add(_int(member), _int(capacity, 2) if capacity else 2,
                               _optional_date(form.get("first_trained_on"), "first_trained_on"))
                message = "Supporter added."
            elif action == "guidelines":
                supporters.publish_guidelines(form.get("body"))
                message = "A new version of the guidelines is published; each supporter acknowledges it."
            elif action in ("training", "capacity", "rest", "wake"):
                supporter = supporters.get(_int(request.form.get("supporter_id")))
                if action == "training":
                    supporters.record_training(supporter, form.get("kind"), _optional_date(
                        form.get("trained_on"), "trained_on") or date.min, today())
                elif action == "capacity":
                    value = form.get("capacity")
                    supporters.change(supporter, capacity=_int(value, -1))
                else:
                    supporters.change(supporter, resting=action == "rest")
                message = "Saved."
            else:
                raise ValidationProblem("Unknown action.")
        except ValidationProblem as problem:
            db.session.rollback()
            form.merge(problem.errors or {"_form": [problem.detail]})
        except Problem as problem:
            db.session.rollback()
            form.add("_form", problem.detail)
        else:
            db.session.commit()
            flash(message, "success")
            return redirect(url_for("cases.supporter_roster"), 303)
    everyone = supporters.roster()
    loads = supporters.open_loads()
    valid = supporters.training_valid_for()
    acknowledged = supporters.acknowledged_latest([s.id for s in everyone])
    members = [m for m in _roster() if m.id not in {s.member_id for s in everyone}]
    return render_template("cases/supporters.html", supporters=everyone, loads=loads, valid=valid, today=today(),
                           acknowledged=acknowledged, members=members, form=form,
                           guideline=supporters.latest_guideline()), 422 if form.has_errors else 200


# --- survey ------------------------------------------------------------------------------------

@bp.route("/surveys", methods=["GET", "POST"])
@require(COORDINATOR, VIEWER)
def surveys():
    actor = current_actor()
    form = FormState.from_request(request.form) if request.method == "POST" else FormState()
    if request.method == "POST":
        actor.require(COORDINATOR)
        try:
            if request.form.get("action") == "close":
                found = db.session.get(SurveyRound, _int(request.form.get("round_id")) or -1)
                if found is None:
                    raise NotFound("No such survey round.")
                survey.close_round(found)
                message = "Round closed: unused links no longer work."
            else:
                start, end = _date(form.get("period_start")), _date(form.get("period_end"))
                if not isinstance(start, date) or not isinstance(end, date):
                    raise ValidationProblem("Give both dates.", errors={
                        k: ["Give a date."] for k, v in (("period_start", start), ("period_end", end))
                        if not isinstance(v, date)})
                opened = survey.open_round(start, end, today())
                message = f"Survey round opened: {opened.links_sent} single-use links are on their way."
        except ValidationProblem as problem:
            db.session.rollback()
            form.merge(problem.errors or {"_form": [problem.detail]})
        else:
            db.session.commit()
            flash(message, "success")
            return redirect(url_for("cases.surveys"), 303)
    results = [survey.results(r) for r in survey.rounds()]
    return render_template("cases/surveys.html", results=results, form=form, items=SURVEY_ITEMS,
                           coordinator=actor.role == COORDINATOR), 422 if form.has_errors else 200


# --- reports and audit ---------------------------------------------------------------------------

def _report():
    actor = current_actor()
    exact = actor.role == COORDINATOR
    return (reports.coordinator_report(today()) if exact else reports.viewer_report(today())), exact


@bp.get("/report")
@require(COORDINATOR, VIEWER)
def report():
    made, exact = _report()
    return render_template("cases/report.html", report=made, exact=exact, triggers=Trigger, items=SURVEY_ITEMS,
                           settle_days=reports.SETTLE.days)


@bp.get("/report.csv")
@require(COORDINATOR, VIEWER)
def report_csv():
    made, _ = _report()
    return csv_download("case-support-report.csv", reports.csv_rows(made))


@bp.get("/audit")
def audit():
    require_admin(page=True)
    rows = db.session.scalars(db.select(ReadAudit).where(ReadAudit.program == "cases")
                              .order_by(ReadAudit.read_at.desc(), ReadAudit.id.desc()).limit(500)).all()
    return render_template("cases/audit.html", rows=rows)
