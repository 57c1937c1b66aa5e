"""``make run``'s demo data shows every page of the case-based program with something on it."""

from __future__ import annotations

from .conftest import as_staff

COORD = as_staff("coordinator@example.org", "coordinator")


def test_the_demo_has_supporters_pairings_in_every_stage_a_year_of_reports_and_a_survey(app, client):
    from docbox_outreach.demo import seed
    with app.app_context():
        done = seed()
    assert "case-based support: 6 supporters, 12 pairings" in done
    queue = client.get("/api/v1/cases/pairings", headers=COORD).json["pairings"]
    assert sorted(p["status"] for p in queue) == ["active"] * 4 + ["assigned", "waiting", "waiting"]
    assert any(p["overdue"] for p in queue) and any(p["reoffer_on"] for p in queue)
    report = client.get("/api/v1/cases/report", headers=COORD).json
    assert len(report["quarters"]) >= 4 and report["surveys"][0]["results_shown"]
    supporter = done.rsplit("demo supporter ", 1)[1].rstrip(")")
    mine = client.get("/api/v1/cases/mine", headers=as_staff(supporter, "supporter")).json
    assert mine["pairings"]
    for page in ("/cases/queue", "/cases/supporters", "/cases/report", "/cases/surveys", "/cases/report.csv"):
        assert client.get(page, headers=COORD).status_code == 200, page
    names = [s["name"] for s in client.get("/api/v1/cases/supporters", headers=COORD).json["supporters"]]
    exact = client.get("/cases/report", headers=COORD).get_data(as_text=True)
    viewer = client.get("/cases/report", headers=as_staff("viewer@example.org", "viewer"))
    assert all(name in exact for name in names[:5])
    assert viewer.status_code == 200 and not any(name in viewer.get_data(as_text=True) for name in names)
