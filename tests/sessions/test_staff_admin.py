"""Admin pages for staff, the emailed invitation and reset links, and "forgot your password".

Through the app's test client: what an admin and the people they manage see
and can do, without a shell. Mail is read from the sessions database's
queue (``staff_mail``), the one place Doc Box puts it.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from email import message_from_bytes, policy

import pytest
import sqlalchemy as sa

from docbox_sessions.models import ApiToken, Staff, db
from docbox_sessions.staff_mail import StaffMail
from support.smtp import DISPLAY_NAMES, mailbox_as_read, written_mailbox
from support.staff_pages import csrf, post, sign_in


def mails(app, to=None) -> list[tuple[str, str, str]]:
    """(recipient, subject, text) of each queued mail, oldest first."""
    with app.app_context():
        rows = db.session.scalars(sa.select(StaffMail).order_by(StaffMail.id)).all()
        queued = [(m.recipient, message_from_bytes(m.body, policy=policy.default)) for m in rows
                  if to is None or m.recipient == to]
    # one recipient (To names them too), a stable Message-ID
    assert all([a.addr_spec for a in m["To"].addresses] == [r] and m["Message-ID"] for r, m in queued)
    return [(r, m["Subject"], m.get_content()) for r, m in queued]


def link_in(body: str) -> str:
    return re.search(r"https?://\S+/welcome/(\S+)", body).group(0)


def path_of(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def test_an_admin_invites_a_facilitator_who_chooses_a_password_with_the_single_use_link(app, admin, caplog):
    caplog.set_level(logging.DEBUG)
    response = post(admin, "/admin/staff/invite", {"email": "New.Person@Example.org", "name": "Dr New",
                                                   "role": "facilitator"}, page="/admin/staff/invite")
    assert response.status_code == 302
    assert "Invitation sent to new.person@example.org" in admin.get(response.headers["Location"]).text
    [(to, subject, body)] = mails(app, "new.person@example.org")
    assert subject == "You are invited to Doc Box" and "facilitator" in body
    url = link_in(body)
    token = url.rsplit("/", 1)[1]
    assert len(token) >= 43  # 256 bits, URL-safe base64
    with app.app_context():
        stored = repr(db.session.execute(sa.text("SELECT * FROM staff_links")).all())
    assert token not in stored  # only its hash is kept
    person = app.test_client()
    page = person.get(path_of(url))
    assert page.status_code == 200 and "Welcome to Doc Box" in page.text
    assert person.get(path_of(url)).status_code == 200  # opening it (a mail scanner does) spends nothing
    response = person.post(path_of(url), data={"password": "short", "password_repeat": "short",
                                               "csrf_token": csrf(person, path_of(url))})
    assert response.status_code == 422 and "at least 10 characters" in response.text
    response = person.post(path_of(url), data={"password": "my own passphrase", "password_repeat": "my own passphrase",
                                               "csrf_token": csrf(person, path_of(url))})
    assert response.status_code == 302
    assert "Signed in as new.person@example.org" in person.get("/my").text
    again = app.test_client().get(path_of(url))
    assert again.status_code == 404 and "This link no longer works" in again.text
    assert sign_in(app.test_client(), "new.person@example.org", "my own passphrase").status_code == 302
    listing = admin.get("/admin/staff").text
    assert "Dr New" in listing and "facilitator" in listing
    assert all(token not in record.getMessage() and token not in str(record.__dict__) for record in caplog.records)


def test_an_invitation_expires_after_seven_days(app, admin, clock):
    post(admin, "/admin/staff/invite", {"email": "late@example.org", "role": "viewer"}, page="/admin/staff/invite")
    url = link_in(mails(app, "late@example.org")[0][2])
    clock.advance(days=7, minutes=1)
    assert app.test_client().get(path_of(url)).status_code == 404


def test_inviting_an_existing_address_or_nonsense_is_shown_next_to_the_field(app, admin, table_counts):
    before = table_counts()
    response = post(admin, "/admin/staff/invite", {"email": "organizer@example.org", "role": "viewer"},
                    page="/admin/staff/invite")
    assert response.status_code == 422 and "exists already" in response.text
    response = post(admin, "/admin/staff/invite", {"email": "not an address", "role": "boss"},
                    page="/admin/staff/invite")
    assert response.status_code == 422 and "Choose a role" in response.text and 'value="not an address"' in response.text
    assert table_counts() == before


@pytest.fixture
def table_counts(app):
    def count():
        with app.app_context():
            return {t.name: db.session.execute(sa.select(sa.func.count()).select_from(t)).scalar()
                    for t in db.metadata.sorted_tables}
    return count


def test_forgot_password_answers_the_same_for_known_and_unknown_addresses(app, staff, clock):
    client = app.test_client()
    login = client.get("/login").text
    assert "Forgot your password?" in login and "flask" not in login
    known = client.post("/login/forgot", data={"email": "viewer@example.org", "csrf_token": csrf(client, "/login/forgot")})
    unknown = client.post("/login/forgot", data={"email": "nobody@example.org", "csrf_token": csrf(client, "/login/forgot")})
    same = lambda r, email: r.text.replace(email, "EMAIL")  # noqa: E731
    assert known.status_code == unknown.status_code == 200
    assert same(known, "viewer@example.org") == same(unknown, "nobody@example.org")
    assert [m[0] for m in mails(app)] == ["viewer@example.org"]
    client.post("/login/forgot", data={"email": "viewer@example.org", "csrf_token": csrf(client, "/login/forgot")})
    assert len(mails(app)) == 1  # pressed twice: one mail
    url = link_in(mails(app)[0][2])
    response = client.post(path_of(url), data={"password": "a brand new passphrase",
                                               "password_repeat": "a brand new passphrase",
                                               "csrf_token": csrf(client, path_of(url))})
    assert response.status_code == 302
    assert sign_in(app.test_client(), "viewer@example.org").status_code == 401  # the old password is gone
    assert sign_in(app.test_client(), "viewer@example.org", "a brand new passphrase").status_code == 302
    clock.advance(minutes=3)
    client.post("/login/forgot", data={"email": "viewer@example.org", "csrf_token": csrf(client, "/login/forgot")})
    url = link_in(mails(app)[-1][2])
    clock.advance(hours=1, minutes=1)
    assert client.get(path_of(url)).status_code == 404  # a reset link lives an hour


def test_switching_an_account_off_stops_its_browsers_and_tokens_at_once_and_keeps_its_records(
        app, admin, staff, tokens, api):
    organizer = app.test_client()
    sign_in(organizer, "organizer@example.org")
    assert organizer.get("/upcoming").status_code == 200
    assert api("organizer").get("/api/v1/programs").status_code == 200
    response = post(admin, f"/admin/staff/{staff['organizer']}/deactivate")
    assert response.status_code == 302
    assert "switched off" in admin.get(response.headers["Location"]).text
    assert organizer.get("/upcoming").status_code == 302
    assert api("organizer").get("/api/v1/programs").status_code == 401
    assert sign_in(app.test_client(), "organizer@example.org").status_code == 401
    assert "Switched off" in admin.get("/admin/staff").text  # the account and its history stay
    response = post(admin, f"/admin/staff/{staff['organizer']}/reactivate")
    assert response.status_code == 302
    assert sign_in(app.test_client(), "organizer@example.org").status_code == 302
    assert api("organizer").get("/api/v1/programs").status_code == 401  # old tokens stay revoked


def test_the_last_admin_can_neither_be_demoted_nor_switched_off(app, admin, staff):
    response = post(admin, f"/admin/staff/{staff['admin']}/role", {"role": "viewer"})
    assert response.status_code == 409 and "last active admin" in response.text
    response = post(admin, f"/admin/staff/{staff['admin']}/deactivate")
    assert response.status_code == 409 and "your own account" in response.text
    assert post(admin, f"/admin/staff/{staff['viewer']}/role", {"role": "admin"}).status_code == 302
    assert post(admin, f"/admin/staff/{staff['admin']}/role", {"role": "organizer"}).status_code == 302
    assert admin.get("/admin/staff").status_code == 403  # no longer an admin: the pages say so


def test_admins_find_the_caldav_target_pages_of_calendar_sync_in_the_menu(app, admin, staff):
    assert 'href="http://127.0.0.1:5002/admin/targets"' in admin.get("/admin/staff").text
    organizer = app.test_client()
    sign_in(organizer, "organizer@example.org")
    assert "/admin/targets" not in organizer.get("/upcoming").text


def test_an_admin_grants_and_clears_an_outreach_role_on_the_member_page(app, admin, staff):
    page = admin.get(f"/admin/staff/{staff['facilitator']}").text
    assert "Role in outreach" in page and 'value="none" checked' in page
    response = post(admin, f"/admin/staff/{staff['facilitator']}/outreach-role", {"outreach_role": "supporter"})
    assert response.status_code == 302
    page = admin.get(response.headers["Location"]).text
    assert "now has the outreach role supporter" in page and 'value="supporter" checked' in page
    assert "<td>supporter</td>" in admin.get("/admin/staff").text
    assert post(admin, f"/admin/staff/{staff['facilitator']}/outreach-role", {"outreach_role": "boss"}).status_code == 422
    assert post(admin, f"/admin/staff/{staff['facilitator']}/outreach-role", {"outreach_role": "none"}).status_code == 302
    with app.app_context():
        member = db.session.get(Staff, staff["facilitator"])
        assert (member.role, member.outreach_role) == ("facilitator", None)


def test_tokens_are_created_shown_once_listed_with_their_use_and_revoked(app, admin, staff, clock):
    url = f"/admin/staff/{staff['facilitator']}"
    response = post(admin, f"{url}/tokens", {"name": "nightly export"}, page=url)
    assert response.status_code == 201
    token = re.search(r'id="new-token"[^>]*value="(dbx_[^"]+)"', response.text).group(1)
    page = admin.get(url).text
    assert token not in page and "nightly export" in page
    clock.advance(minutes=5)
    assert app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    with app.app_context():
        row = db.session.scalar(sa.select(ApiToken).where(ApiToken.name == "nightly export"))
        assert row.last_used_at == clock()
        token_id = row.id
    assert post(admin, f"{url}/tokens/{token_id}/revoke", page=url).status_code == 302
    assert app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert post(admin, f"{url}/tokens", {"name": ""}, page=url).status_code == 422


def test_an_admin_sends_a_password_reset_link(app, admin, staff):
    response = post(admin, f"/admin/staff/{staff['facilitator']}/reset")
    assert response.status_code == 302
    [(to, subject, body)] = mails(app)
    assert to == "facilitator@example.org" and subject == "Set a new Doc Box password"


@pytest.mark.parametrize("role", ["organizer", "facilitator", "viewer"])
def test_only_admins_manage_staff(app, staff, role):
    client = app.test_client()
    sign_in(client, f"{role}@example.org")
    assert client.get("/admin/staff").status_code == 403
    assert post(client, f"/admin/staff/{staff['viewer']}/deactivate", page="/stats").status_code == 403
    assert "Staff" not in re.findall(r"<nav.*?</nav>", client.get("/stats").text, re.S)[0]


def test_the_relay_sends_the_invitation_into_a_real_smtp_server_and_forgets_its_body(app, admin, smtp):
    """The queued invitation leaves through the kit's mail delivery, run by the relay process
    (`flask relay`): one message to the one person, and the stored copy of the link is gone."""
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp.port, MAIL_FROM="Doc Box <docbox@example.org>")
    post(admin, "/admin/staff/invite", {"email": "ada@example.org", "name": "Dr Ada", "role": "viewer"},
         page="/admin/staff/invite")
    [(_to, _subject, body)] = mails(app, "ada@example.org")
    out = app.test_cli_runner().invoke(args=["relay", "--once"])
    assert out.exit_code == 0, out.output
    [received] = smtp.messages
    assert str(received["To"]) == "Dr Ada <ada@example.org>" and received["Subject"] == "You are invited to Doc Box"
    assert link_in(received.text) == link_in(body)
    with app.app_context():
        row = db.session.scalars(sa.select(StaffMail)).one()
        assert (row.status, row.body) == ("sent", None), "the link does not outlive its delivery"


@pytest.mark.parametrize("name", DISPLAY_NAMES)
def test_the_invitation_names_sender_and_staff_member_exactly(app, admin, smtp, name):
    """The invited person's name (To) and DOCBOX_MAIL_FROM's (From) read back from the raw bytes as written:
    the email package's folding loses the space between two encoded-words it puts on separate lines."""
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp.port, MAIL_FROM=written_mailbox(name, "docbox@example.org"))
    post(admin, "/admin/staff/invite", {"email": "zoe@example.org", "name": name, "role": "viewer"},
         page="/admin/staff/invite")
    out = app.test_cli_runner().invoke(args=["relay", "--once"])
    assert out.exit_code == 0, out.output
    [received] = smtp.messages
    assert mailbox_as_read(received, "From") == (name, "docbox@example.org")
    assert mailbox_as_read(received, "To") == (name, "zoe@example.org")


def test_the_invitation_arrives_dated_so_strict_providers_take_it(app, admin, smtp, clock):
    """Gmail refuses a message without a Date ("not RFC 5322 compliant"): the invited person would never
    get their link. The Date is when the mail was written, not when a slow relay got to it."""
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp.port, MAIL_FROM="Doc Box <docbox@example.org>")
    post(admin, "/admin/staff/invite", {"email": "ada@example.org", "name": "Dr Ada", "role": "viewer"},
         page="/admin/staff/invite")
    written = clock()
    clock.advance(hours=3)
    out = app.test_cli_runner().invoke(args=["relay", "--once"])
    assert out.exit_code == 0, out.output
    [received] = smtp.messages
    assert received.origination_date() == written


def test_an_invitation_to_an_address_the_envelope_cannot_carry_is_refused_not_lost(app, admin, api, smtp):
    """A non-ASCII local part was invited ("Invitation sent") and its mail crashed every relay pass for
    a day; a domain in Unicode crashed the same way, though its IDNA form reaches the person."""
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp.port, MAIL_FROM="Doc Box <docbox@example.org>")
    page = post(admin, "/admin/staff/invite", {"email": "josé@example.org", "role": "viewer"},
                page="/admin/staff/invite")
    assert page.status_code == 422 and "before the @" in page.text
    refused = api("admin").post("/api/v1/staff/invitations", json={"email": "josé@example.org", "role": "viewer"})
    assert refused.status_code == 422 and "email" in refused.json["errors"]
    with app.app_context():
        assert not db.session.scalar(sa.select(Staff).where(Staff.email.like("jos%")))
    made = api("admin").post("/api/v1/staff/invitations", json={"email": "Ana@Bücher.example", "role": "viewer"})
    assert made.status_code == 201 and made.json["email"] == "ana@xn--bcher-kva.example"
    out = app.test_cli_runner().invoke(args=["relay", "--once"])
    assert out.exit_code == 0, out.output
    [received] = smtp.messages
    assert received.rcpt_tos == ["ana@xn--bcher-kva.example"]


@pytest.mark.skipif(not os.environ.get("DOCBOX_TEST_DATABASE_URL", "").startswith("postgresql"),
                    reason="needs PostgreSQL: SQLite lets one writer at a time, so the two changes never overlap")
def test_two_admins_demoting_each_other_at_once_leave_one_admin(app, staff):
    """Two admins, each on the other's page, press "viewer" at the same moment: one change wins and the
    other is refused as the last admin's; the suite is never left without an admin."""
    from docbox_sessions import staff_admin
    from docbox_shared.problems import Conflict

    with app.app_context():
        db.session.get(Staff, staff["organizer"]).role = "admin"
        db.session.commit()
    outcome = {}

    def second_admin():
        with app.app_context():
            try:
                staff_admin.set_roles(db.session.get(Staff, staff["admin"]), role="viewer")
                db.session.commit()
                outcome["second"] = "demoted"
            except Conflict:
                db.session.rollback()
                outcome["second"] = "refused"

    with app.app_context():
        staff_admin.set_roles(db.session.get(Staff, staff["organizer"]), role="viewer")
        db.session.flush()  # the first change is written, not yet committed, when the second comes
        other = threading.Thread(target=second_admin)
        other.start()
        other.join(timeout=1.5)  # the second waits for the first (or, unguarded, goes through at once)
        db.session.commit()
    other.join(timeout=30)
    assert outcome == {"second": "refused"}
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Staff).where(Staff.role == "admin")) == 1
