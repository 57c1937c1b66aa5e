"""The pages every program shares: the layout, the navigation and the start page.

Each program's pages extend ``outreach/layout.html`` (the kit's layout with
this service's navigation: the links of every program the signed-in staff
member's outreach role may use) and turn errors into pages with
:func:`error_pages`.
"""

from __future__ import annotations

from collections.abc import Sequence

from flask import Blueprint, Flask, Response, current_app, g, render_template, request, url_for
from sqlalchemy import not_

from docbox_shared.pages import error_pages as shared_error_pages
from docbox_shared.pages import init_pages as init_shared_pages
from docbox_shared.staff import login_url, logout_url, sign_in_redirects

from ..access import current_staff
from ..models import OutgoingMail, db, mail

LAYOUT = "outreach/layout.html"
bp = Blueprint("outreach", __name__, template_folder="templates")


def error_pages(blueprint: Blueprint):
    """Errors in ``blueprint``'s views as pages in the outreach layout, and a browser that is not signed in
    sent to the suite's sign-in page and back; returns the page maker."""
    page = shared_error_pages(blueprint, db, LAYOUT, ("Go to the outreach start page", "outreach.home"))
    sign_in_redirects(blueprint)  # registered after: the more specific handler wins over the Problem one
    return page


error_pages(bp)


MAIL_COUNT_DAYS = 7  # failed and bounced mail shows on the coordinator's start page for this long


@bp.get("/")
def home():
    staff = current_staff()
    # How the program's mail fares, numbers only: survey links are left out (with the answers' count they
    # would tell how many of those who got one answered, a number the survey report may withhold).
    counts = (mail.counts(MAIL_COUNT_DAYS, not_(OutgoingMail.key.startswith("case:survey:")))
              if staff is not None and staff.can("coordinator") else None)
    return render_template("outreach/home.html", staff=staff, sign_in=url_for("outreach.sign_in"), mail=counts)


@bp.get("/sign-in")
def sign_in():
    """To the suite's sign-in page, and back to the outreach start page afterwards."""
    # A body naming no address, like the kit's sign-in redirects: the Location header alone carries it.
    return Response("Sign in to continue.\n", 303, {"Location": login_url(url_for("outreach.home", _external=True))},
                    mimetype="text/plain")


def init_pages(app: Flask, programs: Sequence, not_forms=()) -> None:
    """Cookie settings, CSRF (except for ``not_forms`` and capability pages), the layout and every page."""
    exempt = [bp for program in programs for bp in program.csrf_exempt]
    # The cookie holds only the CSRF token and flash messages: who is signed in comes from the suite's sign-in.
    init_shared_pages(app, service_name="Doc Box outreach", home_url="/", cookie_name="docbox_outreach",
                      cookie_label=b"docbox outreach page cookies", csrf_exempt=(*not_forms, *exempt),
                      csrf_time_limit=8 * 3600)
    app.register_blueprint(bp)
    from .roster import bp as roster
    app.register_blueprint(roster)
    for program in programs:
        for blueprint in program.blueprints:
            app.register_blueprint(blueprint)
    app.extensions["outreach_programs"] = list(programs)

    @app.context_processor
    def _nav():
        if request.blueprint in (None, "docbox") or g.get("capability_page"):
            return {}
        try:
            staff = current_staff()
        except Exception:  # noqa: BLE001 - a page must render its error even when sign-in cannot be checked
            staff = None
        links = []
        if staff is not None and staff.can("coordinator"):
            links.append(("Roster", url_for("roster.index"), request.blueprint == "roster"))
        if staff is not None:
            for program in programs:
                for link in program.nav:
                    if staff.outreach_role in link.roles:
                        links.append((link.label, url_for(link.endpoint), request.endpoint == link.endpoint))
        if staff is not None and staff.sessions_role:
            # The sign-in page sends a signed-in person on to the group-sessions pages.
            links.append(("Group sessions", current_app.config["STAFF_LOGIN_URL"], False))
        return {"docbox_nav": links, "outreach_staff": staff, "outreach_programs": programs,
                "outreach_logout_url": logout_url()}
