"""Faculty pages: open programs, a program's upcoming sessions month by month, one session, and
subscribing to a feed.

Nobody signs in here. What a page may show is what an open program's feed
shows, minus the video links (see :mod:`.present`). Controllers are thin:
they read the form, call :mod:`..operations`, and render.

The feed token is a capability, so it never goes into one of our own URLs:
the subscribe form's POST answers with the result page itself (no redirect to
a URL holding the token), rotate and revoke carry the token in the form body
(as the JSON API does), and every page that shows a token is sent with
``Cache-Control: no-store``, ``Referrer-Policy: no-referrer`` and a robots
``noindex``. The access log names the route, never the path.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from urllib.parse import quote

from flask import Blueprint, current_app, render_template, request, url_for

from docbox_shared import recurrence
from docbox_shared.clock import now
from docbox_shared.pages import FormState, error_pages
from docbox_shared.problems import NotFound

from .. import operations
from ..models import db
from . import present

log = logging.getLogger(__name__)

bp = Blueprint("pages", __name__, template_folder="templates")

UPCOMING_DAYS = 120
MAX_ALARM_MINUTES = 40320  # 28 days, as the API allows
PRIVATE_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex"}


@bp.context_processor
def _nav():
    endpoint = request.endpoint or ""
    # url_for, not "/": behind a proxy the pages may be mounted under a prefix (SCRIPT_NAME).
    return {"docbox_home_url": url_for("pages.index"), "docbox_nav": [
        ("Programs", url_for("pages.index"), endpoint in ("pages.index", "pages.program")),
        ("Subscribe", url_for("pages.subscribe"), endpoint == "pages.subscribe"),
        ("Manage a feed", url_for("pages.manage"), endpoint in ("pages.manage", "pages.rotate", "pages.revoke")),
    ]}


def _private(template: str, status: int = 200, **context):
    """A page that may show a token or a form's CSRF token: never stored, never indexed, no Referer."""
    return render_template(template, private=True, **context), status, PRIVATE_HEADERS


# --- public pages ----------------------------------------------------------------

@bp.get("/")
def index():
    return render_template("calendar_sync/index.html", programs=operations.open_programs())


def _reminders_url(program_id: str) -> str:
    return current_app.config["NOTIFICATIONS_URL"].rstrip("/") + "/subscribe?programs=" + quote(program_id, safe="")


@bp.get("/programs/<slug>")
def program(slug: str):
    found = operations.open_program(slug)
    tz = found.data.get("timezone") or "UTC"
    occurrences = [present.shown(o, tz) for o in operations.upcoming(found.entry_id, days=UPCOMING_DAYS)]
    today = now().astimezone(recurrence.zone(tz)).date()
    months = present.by_month(occurrences, today, today + timedelta(days=UPCOMING_DAYS - 1))
    return render_template("calendar_sync/program.html", program=found.data, program_id=found.entry_id, slug=slug,
                           months=months, any_planned=bool(occurrences), upcoming_days=UPCOMING_DAYS,
                           reminders_url=_reminders_url(found.entry_id))


@bp.get("/programs/<slug>/sessions/<occurrence_id>")
def session(slug: str, occurrence_id: str):
    """One upcoming session: when, how, where and what it is about (never its video link)."""
    found = operations.open_program(slug)
    tz = found.data.get("timezone") or "UTC"
    occ = operations.upcoming_occurrence(found.entry_id, occurrence_id, days=UPCOMING_DAYS)
    return render_template("calendar_sync/session.html", program=found.data, program_id=found.entry_id, slug=slug,
                           occ=present.shown(occ, tz), day=present.long_day(present.shown(occ, tz).day),
                           reminders_url=_reminders_url(found.entry_id))


# --- subscribing -------------------------------------------------------------------

def _subscribe_form(form: FormState, status: int = 200):
    return _private("calendar_sync/subscribe.html", status, form=form, programs=operations.open_programs())


@bp.get("/subscribe")
def subscribe():
    open_ids = {p.entry_id: p for p in operations.open_programs()}
    by_slug = {p.data.get("slug"): p.entry_id for p in open_ids.values()}
    wanted = [by_slug.get(ref, ref) for ref in request.args.getlist("programs")]
    return _subscribe_form(FormState({"programs": [ref for ref in wanted if ref in open_ids]}))


def _read_options(form: FormState) -> tuple[list[str], bool, int | None]:
    """The form's programs and options; errors go into ``form`` next to their field."""
    open_ids = {p.entry_id for p in operations.open_programs()}
    chosen = form.getlist("programs")
    if not chosen:
        form.add("programs", "Choose at least one program.")
    elif any(ref not in open_ids for ref in chosen):
        form.add("programs", "A program you chose is no longer open for subscription. Choose again.")
    alarm_text = str(form.get("alarm_minutes_before")).strip()
    alarm = None
    if alarm_text:
        try:
            alarm = int(alarm_text)
        except ValueError:
            alarm = -1
        if not 0 <= alarm <= MAX_ALARM_MINUTES:
            form.add("alarm_minutes_before",
                     f"Enter a whole number of minutes from 0 to {MAX_ALARM_MINUTES} (28 days), or leave it empty.")
    return chosen, bool(form.get("hide_cancelled")), alarm


def _result(feed, token: str, *, rotated: bool = False):
    url, webcal_url = operations.feed_urls(token)
    names = {p.entry_id: p.data.get("name", p.entry_id) for p in operations.resolve_programs(feed.program_ids)}
    return _private(
        "calendar_sync/result.html", feed=feed, token=token, url=url, webcal_url=webcal_url,
        links=present.one_click(url, webcal_url), qr=present.qr_svg(url), rotated=rotated,
        program_names=[names[pid] for pid in feed.program_ids if pid in names])


@bp.post("/subscribe")
def create():
    form = FormState.from_request(request.form, defaults={"programs": []})
    program_ids, hide_cancelled, alarm = _read_options(form)
    if form.has_errors:
        return _subscribe_form(form, 422)
    feed, token = operations.create_feed(program_ids, hide_cancelled, alarm)
    # The answer is the result page itself: a redirect would put the token in a URL.
    return _result(feed, token)


# --- rotate, revoke, manage ----------------------------------------------------------

def _manage_form(form: FormState, status: int = 200):
    return _private("calendar_sync/manage.html", status, form=form)


@bp.get("/subscribe/manage")
def manage():
    return _manage_form(FormState())


def _feed_token(form: FormState) -> str | None:
    token = operations.token_from_address(str(form.get("feed")))
    if not token:
        form.add("feed", "Paste the address of your feed (it ends in .ics).")
        return None
    if operations.live_feed(token) is None:
        form.add("feed", "No feed has this address: it may have been revoked or replaced by a new one.")
        return None
    return token


@bp.post("/subscribe/rotate")
def rotate():
    form = FormState.from_request(request.form)
    token = _feed_token(form)
    if token is None:
        return _manage_form(form, 422)
    feed, fresh = operations.rotate_feed(token)
    return _result(feed, fresh, rotated=True)


@bp.post("/subscribe/revoke")
def revoke():
    form = FormState.from_request(request.form)
    token = _feed_token(form)
    if token is None:
        return _manage_form(form, 422)
    operations.revoke_feed(token=token)
    return _private("calendar_sync/revoked.html")


# --- errors as pages -------------------------------------------------------------------

_error_page = error_pages(bp, db, "calendar_sync/layout.html", ("See the open programs", "pages.index"),
                          headers=PRIVATE_HEADERS, private=True)


@bp.errorhandler(NotFound)
def _not_found(exc: NotFound):
    return _error_page(404, "Page not found",
                       "There is no open program at this address. It may have been renamed or closed.")
