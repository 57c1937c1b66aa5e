"""The case-based program's JSON API under ``/api/v1/cases`` (staff: bearer token or the suite's sign-in).

| route | who | what |
| --- | --- | --- |
| ``POST /referrals`` | referrer | refer a physician; the answer is a receipt built from the request alone |
| ``GET /pairings``, ``GET /pairings/<id>`` | coordinator | the queue; one pairing with the ranked supporters (audited) |
| ``POST /pairings/<id>/assign``, ``/preference``, ``/close`` | coordinator | match, division preference, close |
| ``GET /mine`` | supporter | their open pairings (audited) |
| ``POST /pairings/<id>/attest``, ``/refuse``, ``/contacts``, ``/reoffer``, ``/close`` | supporter (own) | |
| ``GET/POST /supporters``, ``PATCH /supporters/<id>``, ``POST /supporters/<id>/trainings`` | coordinator | |
| ``GET/POST /guidelines``, ``POST /guidelines/<version>/acknowledge`` | coordinator / supporter | |
| ``POST /survey-rounds``, ``POST /survey-rounds/<id>/close`` | coordinator | |
| ``POST /survey/<token>`` | whoever holds the link | one answer, once |
| ``GET /report`` | coordinator (exact), viewer (withheld) | |
| ``GET /audit`` | admin | every read of a pairing |

The wall: every route about referrals and pairings checks the role before it
looks anything up, so a referrer gets the same 403 for every id, existing,
closed, purged or never made.
"""

from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, fields, validate

from docbox_shared import clock
from docbox_shared.inputs import Whole

from ..domain.vocabulary import Channel, ClosingReason, ContactOutcome, DivisionPreference, Trigger
from . import pairings, referrals, reports, supporters, survey
from .access import COORDINATOR, REFERRER, SUPPORTER, VIEWER, current_actor, require_admin
from .host import ReadAudit, db
from .models import SURVEY_ITEMS, SurveyRound

blp = Blueprint("cases_api", __name__, url_prefix="/api/v1/cases",
                description="Case-based peer support: referrals, matching, contacts, survey, reports.")
survey_blp = Blueprint("cases_survey_api", __name__, url_prefix="/api/v1/cases/survey",
                       description="The one-year survey's answer (the link is the capability).")


def today():
    return clock.now().astimezone(current_app.config["OUTREACH_TIMEZONE"]).date()


def _choice(enum, **kw):
    return fields.String(validate=validate.OneOf([m.value for m in enum]), **kw)


class Strict(Schema):
    class Meta:
        unknown = RAISE


class ReferralIn(Strict):
    physician_id = Whole(1, 2 ** 31 - 1, required=True)
    trigger = _choice(Trigger, required=True)
    referred_on = fields.Date(required=True)


class ReceiptOut(Schema):
    physician = fields.String()
    trigger = fields.String()
    referred_on = fields.Date()
    received_at = fields.DateTime()
    detail = fields.String()


RECEIPT_DETAIL = ("Received. The program's coordinator takes it from here; Doc Box tells nobody, you included, "
                  "what happens next.")


# --- what the routes answer (documented, and dumped through these: nothing else leaves) -------------------

def _n(field):
    return field(allow_none=True)


class PhysicianOut(Schema):
    id = fields.Integer()
    name = fields.String()
    email = fields.String()
    division = fields.String()


class ReferralOut(Schema):
    trigger = fields.String()
    referred_on = fields.String()


class ContactOut(Schema):
    at = fields.String()
    channel = fields.String()
    outcome = fields.String()


class CandidateOut(Schema):
    supporter_id = fields.Integer()
    name = fields.String()
    division = fields.String()
    open = fields.Integer()
    capacity = fields.Integer()
    training_expires_on = _n(fields.String)
    division_matches = _n(fields.Boolean)
    eligible = fields.Boolean()
    not_eligible = fields.List(fields.String())


class PairingOut(Schema):
    id = fields.Integer()
    status = fields.String()
    physician = fields.Nested(PhysicianOut)
    trigger = fields.String()
    referrals = fields.List(fields.Nested(ReferralOut))
    referred_at = fields.String()
    division_preference = _n(fields.String)
    supporter_id = _n(fields.Integer)
    assigned_at = _n(fields.String)
    due_at = _n(fields.String)
    attested = fields.Boolean()
    first_contact_at = _n(fields.String)
    overdue = fields.Boolean()
    escalated = fields.Boolean()
    reoffer_on = _n(fields.String)
    contacts = fields.List(fields.Nested(ContactOut))
    candidates = fields.List(fields.Nested(CandidateOut))


class PairingsOut(Schema):
    pairings = fields.List(fields.Nested(PairingOut))


class MineOut(PairingsOut):
    supporter_id = _n(fields.Integer)


class StatusOut(Schema):
    status = fields.String()


class TrainingOut(Schema):
    kind = fields.String()
    trained_on = fields.String()


class SupporterOut(Schema):
    id = fields.Integer()
    member_id = fields.Integer()
    name = fields.String()
    division = fields.String()
    capacity = fields.Integer()
    open = fields.Integer()
    resting = fields.Boolean()
    trainings = fields.List(fields.Nested(TrainingOut))
    training_current = fields.Boolean()
    training_expires_on = _n(fields.String)


class SupportersOut(Schema):
    supporters = fields.List(fields.Nested(SupporterOut))


class GuidelineOut(Schema):
    version = _n(fields.Integer)
    body = _n(fields.String)
    published_at = _n(fields.String)


class AcknowledgedOut(Schema):
    version = fields.Integer()
    acknowledged = fields.Boolean()


class RoundOut(Schema):
    id = fields.Integer()
    period_start = fields.String()
    period_end = fields.String()
    closed = fields.Boolean()
    results_shown = fields.Boolean()
    links_sent = fields.Integer()
    answers = fields.Integer()
    valuable = fields.Integer()
    recommend = fields.Integer()
    item_means = fields.Dict(keys=fields.String(), values=fields.Float(allow_none=True))


class RoundsOut(Schema):
    rounds = fields.List(fields.Nested(RoundOut))


class QuarterOut(Schema):
    quarter = fields.String()
    referred = fields.Dict(keys=fields.String(), values=fields.Integer(allow_none=True))
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(allow_none=True))
    rates = fields.Dict(keys=fields.String(), values=fields.Float(allow_none=True))


class LoadOut(Schema):
    name = fields.String()
    open = fields.Integer()
    capacity = fields.Integer()
    training_current = fields.Boolean()
    resting = fields.Boolean()


class ReportOut(Schema):
    quarters = fields.List(fields.Nested(QuarterOut))
    median_hours_to_first_contact = _n(fields.Float)
    contacts_per_accepted_pairing = _n(fields.Float)
    supporters = fields.Dict(keys=fields.String(), values=fields.Integer(allow_none=True))
    supporter_load = fields.List(fields.Nested(LoadOut))
    surveys = fields.List(fields.Nested(RoundOut))


class ReadOut(Schema):
    at = fields.String()
    staff = fields.String()
    page = fields.String()
    pairing_id = _n(fields.Integer)


class ReadsOut(Schema):
    reads = fields.List(fields.Nested(ReadOut))


@blp.route("/referrals")
class Referrals(MethodView):
    @blp.arguments(ReferralIn)
    @blp.response(201, ReceiptOut)
    def post(self, data):
        """Refer a physician (referrer). The receipt holds what was sent, and nothing about any earlier referral."""
        current_actor().require(REFERRER)
        receipt = referrals.refer(data["physician_id"], data["trigger"], data["referred_on"], today())
        db.session.commit()
        return {"physician": receipt.physician_name, "trigger": receipt.trigger.value,
                "referred_on": receipt.referred_on, "received_at": receipt.received_at, "detail": RECEIPT_DETAIL}


def pairing_json(p, candidates=None) -> dict:
    data = {"id": p.id, "status": p.status.value, "physician": {"id": p.physician.id, "name": p.physician.name,
                                                                 "email": p.physician.email,
                                                                 "division": p.physician.division},
            "trigger": p.trigger.value, "referrals": [{"trigger": r.trigger.value, "referred_on": r.referred_on.isoformat()}
                                                      for r in p.referrals],
            "referred_at": p.referred_at.isoformat(), "division_preference": p.division_preference,
            "supporter_id": p.supporter_id, "assigned_at": p.assigned_at and p.assigned_at.isoformat(),
            "due_at": p.due_at and p.due_at.isoformat(), "attested": p.attested_at is not None,
            "first_contact_at": p.first_contact_at and p.first_contact_at.isoformat(),
            "overdue": p.reminded_at is not None and p.first_contact_at is None,
            "escalated": p.escalated_at is not None and p.first_contact_at is None,
            "reoffer_on": p.reoffer_on and p.reoffer_on.isoformat(),
            "contacts": [{"at": c.contacted_at.isoformat(), "channel": c.channel.value, "outcome": c.outcome.value}
                         for c in p.contacts]}
    if candidates is not None:
        by_member = {s.member_id: s for s in supporters.roster()}
        data["candidates"] = [{"supporter_id": by_member[c.supporter.id].id, "name": by_member[c.supporter.id].member.name,
                               "division": c.supporter.division, "open": c.supporter.open_load,
                               "capacity": c.supporter.capacity, "training_expires_on": c.training_expires_on and
                               c.training_expires_on.isoformat(), "division_matches": c.division_matches,
                               "eligible": c.eligible, "not_eligible": list(c.not_eligible)} for c in candidates]
    return data


@blp.route("/pairings")
class Queue(MethodView):
    @blp.response(200, PairingsOut)
    def get(self):
        """Every open pairing, waiting ones first (coordinator; each one shown is an audited read)."""
        rows = pairings.queue(current_actor())
        db.session.commit()
        return {"pairings": [pairing_json(p) for p in rows]}


@blp.route("/pairings/<int:pairing_id>")
class OnePairing(MethodView):
    @blp.response(200, PairingOut)
    def get(self, pairing_id):
        """One pairing with every supporter ranked for it (coordinator; audited)."""
        pairing = pairings.for_coordinator(current_actor(), pairing_id)
        found = pairings.candidates(pairing, today()) if pairing.status == "waiting" else None
        db.session.commit()
        return pairing_json(pairing, found)


class AssignIn(Strict):
    supporter_id = Whole(1, 2 ** 31 - 1, required=True)


class PreferenceIn(Strict):
    division_preference = _choice(DivisionPreference, required=True, allow_none=True)


class CloseIn(Strict):
    reason = _choice(ClosingReason, required=True)


class AttestIn(Strict):
    not_involved = fields.Boolean(required=True)
    not_reviewing = fields.Boolean(required=True)
    not_in_reporting_line = fields.Boolean(required=True)


class ContactIn(Strict):
    contacted_at = fields.AwareDateTime(load_default=None)
    channel = _choice(Channel, required=True)
    outcome = _choice(ContactOutcome, required=True)
    reoffer_on = fields.Date(load_default=None)


class ReofferIn(Strict):
    reoffer_on = fields.Date(required=True, allow_none=True)


def _coordinated(pairing_id):
    return pairings.for_coordinator(current_actor(), pairing_id)


def _own(pairing_id):
    return pairings.own(current_actor(), pairing_id)


@blp.route("/pairings/<int:pairing_id>/assign", methods=["POST"])
@blp.arguments(AssignIn)
@blp.response(200, PairingOut)
def assign(data, pairing_id):
    """Match a supporter (coordinator): the first contact's due time starts; the supporter gets one mail."""
    pairing = _coordinated(pairing_id)
    pairings.assign(current_actor(), pairing, data["supporter_id"], today())
    db.session.commit()
    return pairing_json(pairing)


@blp.route("/pairings/<int:pairing_id>/preference", methods=["POST"])
@blp.arguments(PreferenceIn)
@blp.response(200, PairingOut)
def preference(data, pairing_id):
    """The physician's wish about their supporter's division, where known (coordinator)."""
    pairing = _coordinated(pairing_id)
    pairings.set_preference(current_actor(), pairing, data["division_preference"])
    db.session.commit()
    return pairing_json(pairing)


@blp.route("/pairings/<int:pairing_id>/close", methods=["POST"])
@blp.arguments(CloseIn)
@blp.response(200, PairingOut)
def close(data, pairing_id):
    """Close with a reason code (the coordinator, or the pairing's supporter)."""
    actor = current_actor()
    pairing = _own(pairing_id) if actor.role == SUPPORTER else _coordinated(pairing_id)
    pairings.close(pairing, data["reason"])
    db.session.commit()
    return pairing_json(pairing)


@blp.route("/mine", methods=["GET"])
@blp.response(200, MineOut)
def mine():
    """The signed-in supporter's open pairings (audited)."""
    supporter, rows = pairings.of_supporter(current_actor())
    db.session.commit()
    return {"supporter_id": supporter and supporter.id, "pairings": [pairing_json(p) for p in rows]}


@blp.route("/pairings/<int:pairing_id>/attest", methods=["POST"])
@blp.arguments(AttestIn)
@blp.response(200, PairingOut)
def attest(data, pairing_id):
    """Take the pairing: not involved in the case, not reviewing it, not in the physician's reporting line."""
    pairing = _own(pairing_id)
    pairings.attest(pairing, data)
    db.session.commit()
    return pairing_json(pairing)


@blp.route("/pairings/<int:pairing_id>/refuse", methods=["POST"])
@blp.response(200, StatusOut)
def refuse(pairing_id):
    """Do not take the pairing (no reason asked): it goes back to the coordinator's queue."""
    pairing = _own(pairing_id)
    pairings.refuse(pairing)
    db.session.commit()
    return {"status": "refused"}


@blp.route("/pairings/<int:pairing_id>/contacts", methods=["POST"])
@blp.arguments(ContactIn)
@blp.response(201, PairingOut)
def contact(data, pairing_id):
    """Log a contact: a time (default now), a channel and an outcome. There is no field for anything else."""
    pairing = _own(pairing_id)
    pairings.log_contact(pairing, data["contacted_at"], data["channel"], data["outcome"], data["reoffer_on"])
    db.session.commit()
    return pairing_json(pairing)


@blp.route("/pairings/<int:pairing_id>/reoffer", methods=["POST"])
@blp.arguments(ReofferIn)
@blp.response(200, PairingOut)
def reoffer(data, pairing_id):
    """Set (or clear) the date to offer support again after a decline or a deferral."""
    pairing = _own(pairing_id)
    pairings.set_reoffer(pairing, data["reoffer_on"], clock.now())
    db.session.commit()
    return pairing_json(pairing)


class SupporterIn(Strict):
    member_id = Whole(1, 2 ** 31 - 1, required=True)
    capacity = Whole(0, 50, load_default=2)
    trained_on = fields.Date(load_default=None)


class SupporterChange(Strict):
    capacity = Whole(0, 50)
    resting = fields.Boolean()


class TrainingIn(Strict):
    kind = fields.String(required=True, validate=validate.OneOf(["training", "refresher"]))
    trained_on = fields.Date(required=True)


def supporter_json(s, loads=None) -> dict:
    valid = supporters.training_valid_for()
    latest = max((t.trained_on for t in s.trainings), default=None)
    return {"id": s.id, "member_id": s.member_id, "name": s.member.name, "division": s.member.division,
            "capacity": s.capacity, "open": (loads or {}).get(s.id, 0), "resting": s.resting,
            "trainings": [{"kind": t.kind.value, "trained_on": t.trained_on.isoformat()} for t in s.trainings],
            "training_current": latest is not None and latest + valid > today(),
            "training_expires_on": latest and (latest + valid).isoformat()}


@blp.route("/supporters")
class Supporters(MethodView):
    @blp.response(200, SupportersOut)
    def get(self):
        """The roster of supporters (coordinator)."""
        current_actor().require(COORDINATOR)
        loads = supporters.open_loads()
        return {"supporters": [supporter_json(s, loads) for s in supporters.roster()]}

    @blp.arguments(SupporterIn)
    @blp.response(201, SupporterOut)
    def post(self, data):
        """Add a member of the roster as a supporter (coordinator)."""
        current_actor().require(COORDINATOR)
        supporter = supporters.add(data["member_id"], data["capacity"], data["trained_on"])
        db.session.commit()
        return supporter_json(supporter)


@blp.route("/supporters/<int:supporter_id>", methods=["PATCH"])
@blp.arguments(SupporterChange)
@blp.response(200, SupporterOut)
def change_supporter(data, supporter_id):
    """Change a supporter's capacity, or let them rest (coordinator)."""
    current_actor().require(COORDINATOR)
    supporter = supporters.get(supporter_id)
    supporters.change(supporter, data.get("capacity"), data.get("resting"))
    db.session.commit()
    return supporter_json(supporter, supporters.open_loads())


@blp.route("/supporters/<int:supporter_id>/trainings", methods=["POST"])
@blp.arguments(TrainingIn)
@blp.response(201, SupporterOut)
def add_training(data, supporter_id):
    """Record a training or refresher (coordinator)."""
    current_actor().require(COORDINATOR)
    supporter = supporters.get(supporter_id)
    supporters.record_training(supporter, data["kind"], data["trained_on"], today())
    db.session.commit()
    return supporter_json(supporter)


class GuidelinesIn(Strict):
    body = fields.String(required=True)


@blp.route("/guidelines")
class Guidelines(MethodView):
    @blp.response(200, GuidelineOut)
    def get(self):
        """The latest guidelines (coordinator, supporter)."""
        current_actor().require(COORDINATOR, SUPPORTER)
        latest = supporters.latest_guideline()
        return {"version": latest and latest.version, "body": latest and latest.body,
                "published_at": latest and latest.published_at.isoformat()}

    @blp.arguments(GuidelinesIn)
    @blp.response(201, GuidelineOut)
    def post(self, data):
        """Publish a new version; every supporter acknowledges it before new pairings (coordinator)."""
        current_actor().require(COORDINATOR)
        guideline = supporters.publish_guidelines(data["body"])
        db.session.commit()
        return {"version": guideline.version}


@blp.route("/guidelines/<int:version>/acknowledge", methods=["POST"])
@blp.response(200, AcknowledgedOut)
def acknowledge(version):
    """The signed-in supporter read and accepts this version."""
    actor = current_actor()
    actor.require(SUPPORTER)
    supporter = supporters.of_email(actor.email)
    if supporter is None:
        from docbox_shared.problems import Forbidden
        raise Forbidden("You are not on the roster of supporters.")
    supporters.acknowledge(supporter, version)
    db.session.commit()
    return {"version": version, "acknowledged": True}


class RoundIn(Strict):
    period_start = fields.Date(required=True)
    period_end = fields.Date(required=True)


def round_json(r, exact: bool = True) -> dict:
    """A survey round; viewers get neither the links sent (the accepted pairings of the period) nor a count
    below K."""
    res = survey.results(r)
    data = {"id": r.id, "period_start": r.period_start.isoformat(), "period_end": r.period_end.isoformat(),
            "closed": r.closed_at is not None, "results_shown": res.shown}
    if exact:
        data.update(links_sent=r.links_sent, answers=res.answers)
    if res.shown:
        data.update(answers=res.answers, valuable=res.valuable, recommend=res.recommend, item_means=res.item_means)
    return data


@blp.route("/survey-rounds")
class SurveyRounds(MethodView):
    @blp.response(200, RoundsOut)
    def get(self):
        """Survey rounds, with results once at least K answers exist (coordinator, viewer)."""
        actor = current_actor()
        actor.require(COORDINATOR, VIEWER)
        return {"rounds": [round_json(r, actor.role == COORDINATOR) for r in survey.rounds()]}

    @blp.arguments(RoundIn)
    @blp.response(201, RoundOut)
    def post(self, data):
        """Open a round: each physician who accepted support in the period gets a single-use link (coordinator)."""
        current_actor().require(COORDINATOR)
        survey_round = survey.open_round(data["period_start"], data["period_end"], today())
        db.session.commit()
        return round_json(survey_round)


@blp.route("/survey-rounds/<int:round_id>/close", methods=["POST"])
@blp.response(200, RoundOut)
def close_round(round_id):
    """No more answers: unused links stop working (coordinator)."""
    current_actor().require(COORDINATOR)
    survey_round = db.session.get(SurveyRound, round_id) if round_id < 2 ** 31 else None
    if survey_round is None:
        from docbox_shared.problems import NotFound
        raise NotFound("No such survey round.")
    survey.close_round(survey_round)
    db.session.commit()
    return round_json(survey_round)


class AnswerIn(Strict):
    valuable = fields.Boolean(required=True)
    recommend = fields.Boolean(required=True)
    items = fields.Dict(keys=fields.String(validate=validate.OneOf(list(SURVEY_ITEMS))),
                        values=fields.Integer(validate=validate.Range(1, 5)), load_default=dict)


@survey_blp.route("/<token>", methods=["POST"])
@survey_blp.arguments(AnswerIn)
@survey_blp.response(201, StatusOut)
def answer(data, token):
    """Answer once; the answer is stored without any link to you, this link or the time."""
    survey.answer(token, data["valuable"], data["recommend"], data["items"])
    db.session.commit()
    return {"status": "thank you"}


def report_json(report, exact: bool) -> dict:
    quarters = report.lines
    return {"quarters": [{"quarter": q,
                          "referred": {t: report.value("referred", (q, t)) for t in [*Trigger, "all"]},
                          "counts": {m: report.value("counts", (q, m)) for m in reports.MEASURES},
                          "rates": report.rates(q)} for q in quarters],
            "median_hours_to_first_contact": report.median_hours,
            "contacts_per_accepted_pairing": report.mean_contacts_accepted,
            "supporters": report.supporter_totals,
            "supporter_load": [{"name": n, "open": o, "capacity": c, "training_current": t, "resting": r}
                               for n, o, c, t, r in report.supporters],
            "surveys": [round_json(r.round, exact) for r in report.surveys]}


@blp.route("/report", methods=["GET"])
@blp.response(200, ReportOut)
def report():
    """The program's numbers: exact for the coordinator; for viewers ended quarters, small counts withheld (null)."""
    actor = current_actor()
    actor.require(COORDINATOR, VIEWER)
    exact = actor.role == COORDINATOR
    return report_json(reports.coordinator_report(today()) if exact else reports.viewer_report(today()), exact)


@blp.route("/audit", methods=["GET"])
@blp.response(200, ReadsOut)
def audit():
    """Every read of a pairing: who, when, which (admins only)."""
    require_admin()
    rows = db.session.scalars(db.select(ReadAudit).where(ReadAudit.program == "cases")
                              .order_by(ReadAudit.read_at.desc(), ReadAudit.id.desc()).limit(1000))
    return {"reads": [{"at": r.read_at.isoformat(), "staff": r.staff_email, "page": r.page, "pairing_id": r.subject_id}
                      for r in rows]}
