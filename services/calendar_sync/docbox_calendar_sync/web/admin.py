"""Admin pages of calendar_sync: the CalDAV calendars Doc Box pushes to.

- ``/admin/targets``: every target with its state (paused, last push, changes
  waiting, conflicts, last error).
- ``/admin/targets/new``: a server address and an account; "Find calendars"
  lists the account's calendars (principal, calendar home, calendars:
  :mod:`..connect`), "Test the connection" opens the chosen one and says what
  the server answered, in words; "Add" tests again and adds it only if the
  server accepts. Between the steps the password travels in the form sealed
  with the service's keys (:mod:`docbox_shared.keys`), never in clear.
- ``/admin/targets/<id>``: its state and recent conflicts; test the
  connection, pause and resume, change (rotate) its password, remove it.

Staff sign in once, on the sessions service; the browser sends that sign-in
cookie here too and :mod:`docbox_shared.staff` asks sessions who it is on
every request (a switched-off account is refused at once). Only admins of the
group-sessions area open these pages; anyone else gets a 403 page, a browser
that is not signed in is sent to the sign-in page and comes back here.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from docbox_shared import keys
from docbox_shared.pages import FormState, error_pages
from docbox_shared.staff import logout_url, page_staff, sign_in_redirects

from .. import connect, operations
from ..models import CaldavTarget, db

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")
PRIVATE_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "same-origin", "X-Robots-Tag": "noindex",
                   "X-Frame-Options": "DENY"}
SEAL_SECONDS = 3600  # a sealed password in an open form lasts an hour


@bp.before_request
def _admins_only():
    g.staff = page_staff("sessions", ["admin"])


@bp.after_request
def _private(response):
    for name, value in PRIVATE_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


@bp.context_processor
def _nav():
    endpoint = request.endpoint or ""
    nav = [
        ("CalDAV targets", url_for("admin.targets"), endpoint.startswith("admin.target")),
        ("Add a target", url_for("admin.target_new"), endpoint == "admin.target_new"),
        # The sign-in page sends a signed-in person on to the staff pages of sessions.
        ("Staff pages", current_app.config["STAFF_LOGIN_URL"], False),
    ]
    return {"docbox_home_url": url_for("admin.targets"), "staff": g.get("staff"), "docbox_nav": nav,
            "staff_logout_url": logout_url()}  # sessions' page that signs out of every service


def _options() -> dict:
    config = current_app.config
    return {"timeout": config["CALDAV_TIMEOUT"], "verify": config["CALDAV_VERIFY_TLS"]}


# --- the list ----------------------------------------------------------------------

@bp.get("/targets")
def targets():
    rows = db.session.scalars(select(CaldavTarget).order_by(CaldavTarget.created_at)).all()
    return render_template("calendar_sync/admin/targets.html",
                           targets=[(t, operations.target_status(t)) for t in rows])


# --- adding one ----------------------------------------------------------------------

def _seal(password: str) -> str:
    return keys.encrypt(password).decode()


def _unseal(sealed: str) -> str | None:
    try:
        return keys.decrypt(sealed.encode(), ttl=SEAL_SECONDS) if sealed else None
    except (ValueError, keys.SecretError):
        return None


def _http_url(form: FormState, name: str, what: str) -> str:
    value = str(form.get(name)).strip()
    parts = urlsplit(value)
    if not value:
        form.add(name, f"Enter {what}.")
    elif parts.scheme not in ("http", "https") or not parts.netloc or len(value) > 2000:
        form.add(name, f"Enter {what} starting with https:// (or http://), like https://dav.example.org/.")
    return value


def _found(form: FormState) -> list[tuple[str, str]]:
    """The calendars found in an earlier step (``url|name`` in the form), as radio options."""
    options = []
    for item in form.getlist("found")[:100]:
        url, _, name = item.partition("|")
        if urlsplit(url).scheme in ("http", "https"):
            options.append((url, f"{name or url} ({url})"))
    return options


@bp.route("/targets/new", methods=["GET", "POST"])
def target_new():
    programs = operations.all_programs()
    if request.method == "GET":
        return _new_page(FormState({"programs": [p.entry_id for p in programs]}), programs)
    form = FormState.from_request(request.form)
    action = request.form.get("action", "find")
    server_url = _http_url(form, "server_url", "the server's address")
    username = str(form.get("username")).strip()[:200]
    password = str(form.get("password")) or _unseal(str(form.get("sealed"))) or ""
    form.values.pop("password", None)  # never sent back in clear
    form.values["sealed"] = _seal(password) if password else ""
    if not password:
        form.add("password", "Enter the account's password.")
    if not username:
        form.add("username", "Enter the account's user name.")
    if form.has_errors:
        return _new_page(form, programs, status=422)
    if action == "find":
        return _find(form, programs, server_url, username, password)
    calendar_url = str(form.get("calendar_url")).strip()
    if not calendar_url:
        form.add("calendar_url", "Find the calendars, then choose one.")
        return _new_page(form, programs, status=422)
    calendar_url = _http_url(form, "calendar_url", "the calendar's address")
    if form.has_errors:
        return _new_page(form, programs, status=422)
    calendar_url = calendar_url if calendar_url.endswith("/") else calendar_url + "/"
    if action == "add":
        return _add(form, programs, server_url, calendar_url, username, password)
    try:
        message = connect.check_calendar(calendar_url, username, password, **_options())
    except connect.ConnectionProblem as exc:
        form.add("_form", str(exc))
        return _new_page(form, programs, status=422)
    return _new_page(form, programs, checked=message)


def _find(form, programs, server_url, username, password):
    try:
        calendars = connect.find_calendars(server_url, username, password, **_options())
    except connect.ConnectionProblem as exc:
        form.add("_form", str(exc))
        form.values["found"] = []
        return _new_page(form, programs, status=422)
    form.values["found"] = [f"{c.url}|{c.name}" for c in calendars]
    if form.get("calendar_url") not in {c.url for c in calendars}:
        form.values["calendar_url"] = calendars[0].url if len(calendars) == 1 else ""
    found = f"Connected. The server lists {len(calendars)} calendar{'s' if len(calendars) != 1 else ''} " \
            "for this account: choose the one Doc Box writes into."
    return _new_page(form, programs, checked=found)


def _add(form, programs, server_url, calendar_url, username, password):
    name = str(form.get("name")).strip()
    if not name or len(name) > 200:
        form.add("name", "Name the target (at most 200 characters), e.g. \u201cDepartment calendar\u201d.")
    known = {p.entry_id for p in programs}
    chosen = [ref for ref in form.getlist("programs") if ref in known]
    if not chosen:
        form.add("programs", "Choose at least one program.")
    if form.has_errors:
        return _new_page(form, programs, status=422)
    try:
        connect.check_calendar(calendar_url, username, password, **_options())
    except connect.ConnectionProblem as exc:
        form.add("_form", f"Not added: {exc}")
        return _new_page(form, programs, status=422)
    target = operations.create_target(name=name, server_url=server_url, calendar_url=calendar_url,
                                      username=username, password=password, program_ids=chosen)
    flash(f"\u201c{target.name}\u201d added: the worker writes its programs' sessions into it within a minute.",
          "success")
    return redirect(url_for("admin.target_detail", target_id=target.id), 303)


def _new_page(form: FormState, programs, status: int = 200, checked: str | None = None):
    return render_template("calendar_sync/admin/target_new.html", form=form, checked=checked,
                           found=_found(form), programs=[(p.entry_id, p.data.get("name") or p.entry_id)
                                                         for p in programs]), status


# --- one target ----------------------------------------------------------------------

def _detail(target: CaldavTarget, status: int = 200, checked: str | None = None, problem: str | None = None,
            form: FormState | None = None):
    names = {p.entry_id: p.data.get("name") or p.entry_id for p in operations.all_programs()}
    return render_template("calendar_sync/admin/target.html", target=target,
                           state=operations.target_status(target), checked=checked, problem=problem,
                           form=form or FormState(), programs=[names.get(i, i) for i in target.program_ids]), status


@bp.get("/targets/<target_id>")
def target_detail(target_id: str):
    return _detail(operations.get_target(target_id))


def _check(target: CaldavTarget, password: str | None = None) -> tuple[str | None, str | None]:
    """(what the server said when it worked, what went wrong) for the target's calendar and account."""
    try:
        secret = password if password is not None else keys.decrypt(target.password_encrypted)
    except keys.SecretError as exc:
        return None, str(exc)
    try:
        return connect.check_calendar(target.calendar_url, target.username, secret, **_options()), None
    except connect.ConnectionProblem as exc:
        return None, str(exc)


@bp.post("/targets/<target_id>/test")
def target_test(target_id: str):
    target = operations.get_target(target_id)
    checked, problem = _check(target)
    if checked and (target.retry_at is not None or target.failures):
        # The server answers again: what waits goes out on the next pass, not at the end of the backoff.
        target.failures, target.retry_at = 0, None
        db.session.commit()
        checked += " What waits goes out now, within a minute."
    return _detail(target, 200 if checked else 422, checked=checked, problem=problem)


@bp.post("/targets/<target_id>/pause")
def target_pause(target_id: str):
    target = operations.pause_target(target_id, True)
    flash(f"\u201c{target.name}\u201d is paused: changes wait here until you resume it.", "success")
    return redirect(url_for("admin.target_detail", target_id=target_id), 303)


@bp.post("/targets/<target_id>/resume")
def target_resume(target_id: str):
    target = operations.pause_target(target_id, False)
    flash(f"\u201c{target.name}\u201d resumed: what waited is sent within a minute.", "success")
    return redirect(url_for("admin.target_detail", target_id=target_id), 303)


@bp.post("/targets/<target_id>/password")
def target_password(target_id: str):
    target = operations.get_target(target_id)
    password = request.form.get("new_password", "")
    form = FormState()
    if not password or len(password) > 1000:
        form.add("new_password", "Enter the account's new password.")
        return _detail(target, 422, form=form)
    checked, problem = _check(target, password)
    if problem:
        form.add("new_password", f"Not changed: {problem}")
        return _detail(target, 422, form=form)
    operations.update_target(target_id, {"password": password})
    flash(f"Password changed. {checked}", "success")
    return redirect(url_for("admin.target_detail", target_id=target_id), 303)


@bp.route("/targets/<target_id>/delete", methods=["GET", "POST"])
def target_delete(target_id: str):
    target = operations.get_target(target_id)
    if request.method == "GET":  # asks first: adding it back takes the account's password and a first push
        return render_template("calendar_sync/admin/target_delete.html", target=target)
    name = target.name
    operations.delete_target(target_id)
    flash(f"\u201c{name}\u201d removed: Doc Box no longer writes into it (what it holds stays there).", "success")
    return redirect(url_for("admin.targets"), 303)


sign_in_redirects(bp)
error_pages(bp, db, "calendar_sync/layout.html", ("See the CalDAV targets", "admin.targets"), headers=PRIVATE_HEADERS)
