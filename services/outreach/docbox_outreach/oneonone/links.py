"""A mentee's capability page: ask for another mentor, opt out (this round or for good), or withdraw it.

The URL holds the token (256 random bits; only its SHA-256 is stored, see
:class:`.models.MenteeLink`); whoever holds it acts for that mentee and
nobody else. The page needs no sign-in and no CSRF token (another site
cannot know the URL). It names no outcome and asks for no reason. Links are
revoked when their round closes (and dead once the member is marked as left), except for someone opted out for good, who
keeps theirs to withdraw it.
"""

from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, request, url_for
from sqlalchemy import select, update

from docbox_shared import clock, tokens
from docbox_shared.problems import NotFound

from ..domain.vocabulary import OptOutScope
from ..models import db
from ..web import error_pages
from .models import Assignment, MenteeLink, OptOut, Round

bp = Blueprint("mentee_link", __name__, url_prefix="/oneonone/link", template_folder="templates")
error_pages(bp)
ACTIONS = ("another", OptOutScope.THIS_ROUND.value, OptOutScope.FOR_GOOD.value, "withdraw")


@bp.before_request
def _capability_page():
    g.capability_page = True  # the layout shows no staff navigation


def _link(token: str) -> MenteeLink:
    link = db.session.scalar(select(MenteeLink).where(MenteeLink.token_hash == tokens.hash_token(token),
                                                      MenteeLink.revoked_at.is_(None)))
    if link is None or not link.member.active:  # a member marked as left: their links are dead too
        raise NotFound("This link is not valid any more. If you still want to tell the program something, "
                       "reply to its latest mail.")
    return link


def _state(link: MenteeLink) -> dict:
    round_ = db.session.get(Round, link.round_id)
    held = list(db.session.scalars(select(OptOut).where(OptOut.member_id == link.member_id,
                                                        OptOut.withdrawn_at.is_(None))))
    assignment = db.session.scalar(select(Assignment).where(Assignment.round_id == link.round_id,
                                                            Assignment.mentee_id == link.member_id))
    return {"round": round_, "for_good": any(o.scope == OptOutScope.FOR_GOOD for o in held),
            "this_round": any(o.round_number == round_.number for o in held),
            "change_asked": bool(assignment and assignment.change_requested), "open": round_.is_open}


@bp.get("/<token>")
def page(token: str):
    link = _link(token)
    return render_template("oneonone/link.html", token=token, name=link.member.name, done=request.args.get("done"),
                           **_state(link))


@bp.post("/<token>")
def act(token: str):
    link = _link(token)
    action = request.form.get("action", "")
    state = _state(link)
    error = ("Choose one of the buttons." if action not in ACTIONS else
             "This round is over: you can only say whether you want to be contacted in later rounds."
             if not state["open"] and action in ("another", OptOutScope.THIS_ROUND.value) else None)
    if error:
        return render_template("oneonone/link.html", token=token, name=link.member.name, done=None,
                               error=error, **state), 422
    now = clock.now()
    if action == "withdraw":
        db.session.execute(update(OptOut).where(OptOut.member_id == link.member_id, OptOut.withdrawn_at.is_(None))
                           .values(withdrawn_at=now))
    elif action == "another":
        if state["open"]:
            db.session.execute(update(Assignment).where(Assignment.round_id == link.round_id,
                                                        Assignment.mentee_id == link.member_id)
                               .values(change_requested=True))
    elif not (state["for_good"] or (action == OptOutScope.THIS_ROUND and state["this_round"])):
        db.session.add(OptOut(member_id=link.member_id, scope=action, round_number=state["round"].number,
                              created_at=now))
    db.session.commit()
    return redirect(url_for("mentee_link.page", token=token, done=action), 303)
