"""Someone who works only in outreach (a referrer, a peer supporter) has no group-sessions role: they sign in
on the sessions sign-in page, land on a way to outreach, and every sessions page and API refuses them."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from docbox_sessions.models import Staff, db
from support.staff_pages import PASSWORD, post, sign_in

from .test_staff_admin import mails


def _add(app, email, role, outreach_role):
    runner = app.test_cli_runner()
    out = runner.invoke(args=["staff", "add", email, "--role", role, "--outreach-role", outreach_role])
    assert out.exit_code == 0, out.output
    out = runner.invoke(args=["staff", "set-password", email, "--password-stdin"], input=PASSWORD + "\n")
    assert out.exit_code == 0, out.output


@pytest.fixture
def admin(app, tokens):
    _add(app, "boss@example.org", "admin", "none")
    client = app.test_client()
    assert sign_in(client, "boss@example.org").status_code == 302
    return client


def test_an_admin_invites_a_referrer_with_no_group_sessions_role(app, admin):
    response = post(admin, "/admin/staff/invite", {"email": "quality@example.org", "role": "none",
                                                   "outreach_role": "referrer"}, page="/admin/staff/invite")
    assert response.status_code == 302
    page = admin.get(response.headers["Location"]).text
    assert "Invitation sent to quality@example.org" in page and 'name="role" value="none" checked' in page
    [(_, _, body)] = mails(app, "quality@example.org")
    assert "referrer in outreach" in body and "group sessions" not in body
    with app.app_context():
        member = db.session.scalar(sa.select(Staff).where(Staff.email == "quality@example.org"))
        assert (member.role, member.outreach_role) == (None, "referrer")
    listing = admin.get("/admin/staff").text
    assert re.search(r"quality@example.org.*?<td>None</td>\s*<td>referrer</td>", listing, re.S)


def test_an_invitation_with_no_role_anywhere_is_refused_next_to_the_field(app, admin):
    response = post(admin, "/admin/staff/invite", {"email": "nobody@example.org", "role": "none",
                                                   "outreach_role": "none"}, page="/admin/staff/invite")
    assert response.status_code == 422 and "Give a role in group sessions, in outreach, or both" in response.text
    assert mails(app, "nobody@example.org") == []


def test_an_outreach_only_referrer_lands_on_a_link_to_outreach_and_is_refused_everything_here(app, tokens):
    _add(app, "referrer@example.org", "none", "referrer")
    client = app.test_client()
    landed = sign_in(client, "referrer@example.org")
    assert landed.status_code == 302
    home = client.get(landed.headers["Location"])
    assert home.status_code == 200
    assert f'href="{app.config["OUTREACH_URL"].rstrip("/")}/"' in home.text and "Go to the outreach pages" in home.text
    assert "Statistics" not in home.text and "Upcoming" not in home.text  # no group-sessions menu at all
    for page in ("/stats", "/stats.csv", "/upcoming", "/month", "/programs", "/my", "/admin/staff", "/occurrences.csv"):
        refused = client.get(page)
        assert refused.status_code == 403, page
        assert "You have no role in group sessions" in refused.text and "Go to the start page" in refused.text
    me = client.get("/api/v1/me")
    assert me.status_code == 200 and me.json["role"] is None and me.json["outreach_role"] == "referrer"
    runner = app.test_cli_runner()
    token = runner.invoke(args=["staff", "token", "referrer@example.org"]).output.strip().splitlines()[-1]
    bearer = {"Authorization": f"Bearer {token}"}
    for url in ("/api/v1/stats/attendance?from=2026-01-01T00:00:00Z&to=2027-01-01T00:00:00Z",
                "/api/v1/stats/subscribers", "/api/v1/programs", "/api/v1/occurrences",
                "/api/v1/staff"):
        refused = client.get(url, headers=bearer)
        assert refused.status_code == 403 and refused.mimetype == "application/problem+json", url
        assert "no role in group sessions" in refused.json["detail"]
    assert client.get("/api/v1/me", headers=bearer).json["role"] is None


def test_an_admin_cannot_take_away_an_accounts_last_role_on_the_page_the_api_or_the_command_line(
        app, admin, api, tokens):
    """An account with no role in either area could sign in and do nothing: taking away its last role is
    refused with what to do instead (give another role first, or switch it off), and nothing changes."""
    _add(app, "leaver@example.org", "none", "supporter")
    with app.app_context():
        ids = {m.email: m.id for m in db.session.scalars(sa.select(Staff))}
    leaver = ids["leaver@example.org"]
    refused = post(admin, f"/admin/staff/{leaver}/outreach-role", {"outreach_role": "none"})
    assert refused.status_code == 409
    assert "leaver@example.org would have no role in either area" in refused.text
    assert "switch the account off" in refused.text and 'name="outreach_role" value="supporter" checked' in refused.text
    client = app.test_client()
    home = client.get(sign_in(client, "leaver@example.org").headers["Location"])
    assert "Go to the outreach pages" in home.text   # still a supporter

    viewer = ids["viewer@example.org"]
    for body in ({"role": None}, {"role": None, "outreach_role": None}):
        problem = api("admin").patch(f"/api/v1/staff/{viewer}", json=body)
        assert problem.status_code == 409 and problem.mimetype == "application/problem+json", body
        assert "no role in either area" in problem.json["detail"] and "role" in problem.json["errors"]
    assert api("admin").patch(f"/api/v1/staff/{leaver}", json={"outreach_role": None}).status_code == 409
    assert api("viewer").get("/api/v1/programs").status_code == 200   # nothing changed
    moved = api("admin").patch(f"/api/v1/staff/{viewer}", json={"role": None, "outreach_role": "viewer"})
    assert moved.status_code == 200 and (moved.json["role"], moved.json["outreach_role"]) == (None, "viewer")

    out = app.test_cli_runner().invoke(args=["staff", "set-role", "leaver@example.org", "--outreach-role", "none"])
    assert out.exit_code != 0 and "no role in either area" in out.output
    with app.app_context():
        assert db.session.get(Staff, leaver).outreach_role == "supporter"


def test_an_admin_takes_the_group_sessions_role_away_and_statistics_close_at_once(app, admin, tokens):
    viewer = app.test_client()
    _add(app, "peer@example.org", "viewer", "supporter")
    sign_in(viewer, "peer@example.org")
    assert viewer.get("/stats").status_code == 200
    with app.app_context():
        member_id = db.session.scalar(sa.select(Staff.id).where(Staff.email == "peer@example.org"))
    response = post(admin, f"/admin/staff/{member_id}/role", {"role": "none"})
    assert response.status_code == 302
    assert "has no role in group sessions now" in admin.get(response.headers["Location"]).text
    assert viewer.get("/stats").status_code == 403
    me = viewer.get("/api/v1/me").json
    assert (me["email"], me["role"], me["outreach_role"]) == ("peer@example.org", None, "supporter")
    # and back: a role given again opens the pages again
    assert post(admin, f"/admin/staff/{member_id}/role", {"role": "viewer"}).status_code == 302
    assert viewer.get("/stats").status_code == 200


def test_outreach_only_staff_are_not_offered_as_facilitators(app, admin, tokens):
    _add(app, "supporter@example.org", "none", "supporter")
    page = admin.get("/sessions/new").text
    assert "facilitator@example.org" in page and "supporter@example.org" not in page


def test_the_api_creates_changes_and_refuses_roles(app, api):
    made = api("admin").post("/api/v1/staff", json={"email": "ref@example.org", "role": None,
                                                    "outreach_role": "referrer"})
    assert made.status_code == 201 and made.json["role"] is None and made.json["outreach_role"] == "referrer"
    assert api("admin").get(f"/api/v1/staff/{made.json['id']}").json["role"] is None
    neither = api("admin").post("/api/v1/staff/invitations", json={"email": "x@example.org", "role": None})
    assert neither.status_code == 422 and neither.mimetype == "application/problem+json"
    ids = {m["email"]: m["id"] for m in api("admin").get("/api/v1/staff").json}
    assert api("viewer").get("/api/v1/programs").status_code == 200
    cleared = api("admin").patch(f"/api/v1/staff/{ids['viewer@example.org']}", json={"role": None,
                                                                                    "outreach_role": "viewer"})
    assert cleared.status_code == 200 and cleared.json["role"] is None
    assert api("viewer").get("/api/v1/programs").status_code == 403
    admin_id = ids["admin@example.org"]
    assert api("admin").patch(f"/api/v1/staff/{admin_id}", json={"role": None}).status_code == 409


def test_the_command_line_adds_and_clears_the_group_sessions_role(app, tokens):
    runner = app.test_cli_runner()
    out = runner.invoke(args=["staff", "add", "q@example.org", "--role", "none", "--outreach-role", "referrer"])
    assert out.exit_code == 0 and "group sessions: none, outreach: referrer" in out.output
    refused = runner.invoke(args=["staff", "add", "z@example.org", "--role", "none"])
    assert refused.exit_code != 0 and "give a role" in refused.output
    out = runner.invoke(args=["staff", "set-role", "viewer@example.org", "--role", "none", "--outreach-role", "mentor"])
    assert out.exit_code == 0 and "group sessions: none, outreach: mentor" in out.output
    with app.app_context():
        member = db.session.scalar(sa.select(Staff).where(Staff.email == "viewer@example.org"))
        assert (member.role, member.outreach_role) == (None, "mentor")
        stored = db.session.execute(sa.text("SELECT role FROM staff WHERE email = 'viewer@example.org'")).scalar()
        assert stored == "none"
    refused = runner.invoke(args=["staff", "set-role", "admin@example.org", "--role", "none"])
    assert refused.exit_code != 0 and "last active admin" in refused.output
