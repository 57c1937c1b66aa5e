"""The staff administration API: what the admin pages do, for scripts, with problem+json refusals."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from docbox_sessions.models import db
from docbox_sessions.staff_mail import StaffMail


def _id(api, email):
    return next(m["id"] for m in api("admin").get("/api/v1/staff").json if m["email"] == email)


def test_an_admin_script_changes_a_role_and_switches_an_account_off_and_on(api):
    organizer = _id(api, "organizer@example.org")
    response = api("admin").patch(f"/api/v1/staff/{organizer}", json={"role": "viewer"})
    assert response.status_code == 200 and response.json["role"] == "viewer"
    assert api("organizer").post("/api/v1/programs", json={"name": "X", "timezone": "UTC"}).status_code == 403
    response = api("admin").patch(f"/api/v1/staff/{organizer}", json={"active": False})
    assert response.status_code == 200 and response.json["active"] is False
    assert api("organizer").get("/api/v1/me").status_code == 401  # its token stopped at once
    response = api("admin").patch(f"/api/v1/staff/{organizer}", json={"active": True})
    assert response.json["active"] is True and response.json["last_sign_in_at"] is None
    assert api("organizer").get("/api/v1/me").status_code == 401  # revoked tokens stay revoked


def test_an_admin_script_grants_and_takes_away_an_outreach_role_apart_from_the_sessions_role(api):
    organizer = _id(api, "organizer@example.org")
    assert api("organizer").get("/api/v1/me").json["outreach_role"] is None
    response = api("admin").patch(f"/api/v1/staff/{organizer}", json={"outreach_role": "mentor"})
    assert response.status_code == 200 and (response.json["role"], response.json["outreach_role"]) == ("organizer", "mentor")
    me = api("organizer").get("/api/v1/me").json
    assert (me["email"], me["role"], me["outreach_role"]) == ("organizer@example.org", "organizer", "mentor")
    assert api("admin").patch(f"/api/v1/staff/{organizer}", json={"outreach_role": None}).json["outreach_role"] is None
    assert api("organizer").get("/api/v1/me").json["outreach_role"] is None
    invited = api("admin").post("/api/v1/staff/invitations", json={"email": "ref@example.org", "role": "viewer",
                                                                   "outreach_role": "referrer"})
    assert invited.status_code == 201 and invited.json["outreach_role"] == "referrer"


def test_tokens_are_created_once_listed_by_name_and_use_and_revoked(api, client, clock):
    viewer = _id(api, "viewer@example.org")
    created = api("admin").post(f"/api/v1/staff/{viewer}/tokens", json={"name": "dashboard"})
    assert created.status_code == 201 and created.json["token"].startswith("dbx_")
    # The creation answer describes the token as the list does (it once lacked created_at).
    assert created.json["created_at"] == "2027-01-15T12:00:00+00:00" and created.json["name"] == "dashboard"
    clock.advance(minutes=2)
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {created.json['token']}"}).status_code == 200
    listed = api("admin").get(f"/api/v1/staff/{viewer}/tokens").json
    dashboard = next(t for t in listed if t["name"] == "dashboard")
    assert "token" not in dashboard and dashboard["last_used_at"] == "2027-01-15T12:02:00+00:00"
    assert api("admin").delete(f"/api/v1/staff/{viewer}/tokens/{created.json['id']}").status_code == 204
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {created.json['token']}"}).status_code == 401
    assert next(t for t in api("admin").get(f"/api/v1/staff/{viewer}/tokens").json
                if t["name"] == "dashboard")["revoked_at"]


def test_an_invitation_and_a_reset_link_are_mailed_never_returned(app, api):
    response = api("admin").post("/api/v1/staff/invitations", json={"email": "Fresh@example.org", "role": "organizer"})
    assert response.status_code == 201 and response.json["email"] == "fresh@example.org"
    assert "token" not in response.json and "link" not in str(response.json)
    reset = api("admin").post(f"/api/v1/staff/{response.json['id']}/password-reset")
    assert reset.status_code == 202 and reset.json["expires_at"] == "2027-01-15T13:00:00+00:00"
    with app.app_context():
        bodies = [m.body.decode() for m in db.session.scalars(sa.select(StaffMail))]
    assert len(bodies) == 2 and all(re.search(r"/welcome/[A-Za-z0-9_-]{43}", b) for b in bodies)


@pytest.mark.parametrize("method, path, body, status", [
    ("patch", "/api/v1/staff/{organizer}", {"role": "boss"}, 422),
    ("patch", "/api/v1/staff/{organizer}", {}, 422),
    ("patch", "/api/v1/staff/{organizer}", {"active": "perhaps"}, 422),
    ("patch", "/api/v1/staff/{organizer}", {"outreach_role": "admin"}, 422),  # a sessions role, not an outreach one
    ("patch", "/api/v1/staff/999999", {"role": "viewer"}, 404),
    ("patch", "/api/v1/staff/{admin}", {"role": "viewer"}, 409),      # the last admin
    ("patch", "/api/v1/staff/{admin}", {"active": False}, 409),       # yourself
    ("post", "/api/v1/staff/{organizer}/tokens", {"name": ""}, 422),
    ("post", "/api/v1/staff/{organizer}/tokens", {"name": "x", "extra": 1}, 422),
    ("delete", "/api/v1/staff/{organizer}/tokens/999999", None, 404),
    ("post", "/api/v1/staff/invitations", {"email": "organizer@example.org", "role": "viewer"}, 409),
    ("post", "/api/v1/staff/invitations", {"email": "nope", "role": "viewer"}, 422),
])
def test_bad_requests_are_problems_and_change_nothing(app, api, method, path, body, status):
    ids = {"organizer": _id(api, "organizer@example.org"), "admin": _id(api, "admin@example.org")}
    with app.app_context():
        before = {t.name: db.session.execute(sa.select(sa.func.count()).select_from(t)).scalar()
                  for t in db.metadata.sorted_tables if t.name != "api_tokens"}
        roles = dict(db.session.execute(sa.text("SELECT email, role || active FROM staff")).all())
    kwargs = {"json": body} if body is not None else {}
    response = getattr(api("admin"), method)(path.format(**ids), **kwargs)
    assert response.status_code == status, response.json
    assert response.mimetype == "application/problem+json" and response.json["title"]
    with app.app_context():
        assert before == {t.name: db.session.execute(sa.select(sa.func.count()).select_from(t)).scalar()
                          for t in db.metadata.sorted_tables if t.name != "api_tokens"}
        assert roles == dict(db.session.execute(sa.text("SELECT email, role || active FROM staff")).all())


@pytest.mark.parametrize("role", ["organizer", "facilitator", "viewer"])
def test_only_admins_administer_staff(api, role):
    target = _id(api, "viewer@example.org")
    assert api(role).patch(f"/api/v1/staff/{target}", json={"active": False}).status_code == 403
    assert api(role).post(f"/api/v1/staff/{target}/tokens", json={"name": "mine"}).status_code == 403
    assert api(role).get(f"/api/v1/staff/{target}/tokens").status_code == 403
