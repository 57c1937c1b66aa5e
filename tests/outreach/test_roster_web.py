"""The roster as the coordinator keeps it: a file imported all or nothing, members added, changed, marked as left."""

from __future__ import annotations

import io

from support.outreach import COORDINATOR, VIEWER, as_staff

GOOD = (b"name,work email,division,reports to,leadership\r\n"
        b"Ada Chair,ada@example.org,Medicine,,yes\r\n"
        b"Bo Chief,bo@example.org,Medicine,ada@example.org,no\r\n"
        b"Cy Fellow,CY@example.org,Surgery,bo@example.org,\r\n")
BAD = (b"name,work email,division,reports to\n"
       b"Ada Chair,ada@example.org,Medicine,\n"
       b"Bo Chief,not-an-email,Medicine,ada@example.org\n"
       b",cy@example.org,Surgery,zed@example.org\n")


def _members(client):
    return {m["email"]: m for m in client.get("/api/v1/members", headers=COORDINATOR).json}


def test_a_clean_file_is_imported_and_importing_it_again_changes_nothing(client):
    first = client.post("/api/v1/roster/import", json={"csv": GOOD.decode()}, headers=COORDINATOR)
    assert first.status_code == 200 and sorted(first.json["added"]) == ["ada@example.org", "bo@example.org",
                                                                        "cy@example.org"]
    before = _members(client)
    again = client.post("/api/v1/roster/import", json={"csv": GOOD.decode()}, headers=COORDINATOR)
    assert again.json == {"added": [], "changed": [], "returning": [], "unchanged": 3, "missing": []}
    assert _members(client) == before
    assert before["cy@example.org"]["reports_to"] == "bo@example.org" and before["ada@example.org"]["leadership"]


def test_a_bad_file_names_every_bad_line_as_problem_json_and_imports_nothing(client):
    answer = client.post("/api/v1/roster/import", json={"csv": BAD.decode()}, headers=COORDINATOR)
    assert answer.status_code == 422 and answer.content_type == "application/problem+json"
    assert set(answer.json["errors"]) == {"line 3", "line 4"}
    assert answer.json["errors"]["line 4"] == ["name is missing"]
    assert _members(client) == {}


def test_the_import_page_lists_bad_lines_and_imports_nothing(client):
    page = client.post("/roster/import", data={"file": (io.BytesIO(BAD), "roster.csv")}, headers=COORDINATOR,
                       content_type="multipart/form-data")
    assert page.status_code == 422 and "Nothing was imported" in page.text
    assert "Line 3: work email" in page.text and "Line 4: name is missing" in page.text
    assert "Nobody yet" in client.get("/roster", headers=COORDINATOR).text


def test_the_import_page_lists_members_missing_from_the_file_without_marking_them_as_left(client):
    client.post("/roster/import", data={"file": (io.BytesIO(GOOD), "roster.csv")}, headers=COORDINATOR,
                content_type="multipart/form-data")
    partial = b"name,work email,division\nAda Chair,ada@example.org,Medicine\n"
    page = client.post("/roster/import", data={"file": (io.BytesIO(partial), "roster.csv")}, headers=COORDINATOR,
                       content_type="multipart/form-data")
    assert page.status_code == 200 and "Not in the file" in page.text and "cy@example.org" in page.text
    assert all(m["active"] for m in _members(client).values())


def test_a_member_is_added_changed_and_marked_as_left_on_the_page(client):
    client.post("/api/v1/roster/import", json={"csv": GOOD.decode()}, headers=COORDINATOR)
    added = client.post("/roster/new", data={"name": "Di New", "email": "di@example.org", "division": "Surgery",
                                             "reports_to": "bo@example.org"}, headers=COORDINATOR)
    assert added.status_code == 302
    di = _members(client)["di@example.org"]
    changed = client.post(f"/roster/{di['id']}", data={"name": "Di Newer", "email": "di@example.org",
                                                       "division": "Medicine", "reports_to": ""}, headers=COORDINATOR)
    assert changed.status_code == 302
    assert _members(client)["di@example.org"] | {"id": 0} == {"id": 0, "name": "Di Newer", "email": "di@example.org",
                                                               "division": "Medicine", "reports_to": None,
                                                               "leadership": False, "active": True}
    client.post(f"/roster/{di['id']}/status", data={"active": "0"}, headers=COORDINATOR)
    assert _members(client)["di@example.org"]["active"] is False
    assert "left" in client.get("/roster", headers=COORDINATOR).text


def test_a_bad_member_form_says_what_is_wrong_and_saves_nothing(client):
    client.post("/api/v1/roster/import", json={"csv": GOOD.decode()}, headers=COORDINATOR)
    page = client.post("/roster/new", data={"name": "", "email": "ada@example.org", "division": "Medicine",
                                            "reports_to": "nobody@example.org"}, headers=COORDINATOR)
    assert page.status_code == 422
    assert "is required" in page.text and "another member has this work email" in page.text
    assert "nobody on the roster has this work email" in page.text
    assert len(_members(client)) == 3


def test_a_reporting_cycle_is_refused(client):
    client.post("/api/v1/roster/import", json={"csv": GOOD.decode()}, headers=COORDINATOR)
    ada = _members(client)["ada@example.org"]
    answer = client.patch(f"/api/v1/members/{ada['id']}", json={"reports_to": "cy@example.org"}, headers=COORDINATOR)
    assert answer.status_code == 422 and answer.json["errors"] == {"reports_to": ["this would make a reporting cycle"]}


def test_only_coordinators_read_or_change_the_roster(client):
    for headers in (VIEWER, as_staff("mentor@example.org"), as_staff("organizer@example.org")):
        assert client.get("/roster", headers=headers).status_code == 403
        assert client.get("/api/v1/members", headers=headers).status_code == 403
        assert client.post("/api/v1/roster/import", json={"csv": GOOD.decode()}, headers=headers).status_code == 403
    assert client.get("/api/v1/members").status_code == 401
    assert _members(client) == {}
