"""The round's CSV opens in Excel with mentors' names as typed: UTF-8 with a byte-order mark."""

from __future__ import annotations

from support.downloads import csv_rows
from support.outreach import COORDINATOR, load_roster, open_round

ROSTER = ("name,work email,division\nZoë Brontë,m1@example.org,Medicine\nJosé Núñez,m2@example.org,Medicine\n"
          + "".join(f"Fellow {i},f{i}@example.org,Surgery\n" for i in range(4)))


def test_the_coordinators_round_csv_keeps_accented_mentor_names(app, client):
    load_roster(app, ROSTER, ["m1@example.org", "m2@example.org"])
    assert open_round(client, due_on="2026-03-20").status_code == 302
    rows = csv_rows(client.get("/oneonone/rounds/1.csv", headers=COORDINATOR))
    assert rows[0] == ["measure", "value"], "the first heading is read without a stray mark"
    assert {"Zoë Brontë", "José Núñez"} <= {row[0] for row in rows if row}, rows
