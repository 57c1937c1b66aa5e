"""An attacker with a viewer's account tries to work out withheld attendance counts.

It asks every question a viewer can ask, through the API and the statistics
page: every window of months (aligned or not), every grouping, every program
filter, before and after late counts are recorded for released months, and
again once another month and its quarter have been released. Each answer
row is a linear statement about the unknown counts (a published number is a
sum of counts; a withheld one is at least 1, since zeros are published).
With linear programming (scipy's HiGHS, nothing from the service) the
attacker then finds, for every month, quarter and year by program and format
that was withheld, the lowest and highest value consistent with everything
it collected. The test fails if any is pinned or left a range narrower than
K-1, or if a count from 1 to K-1 was ever published.

The attacker is stronger than a real one: it knows which program, format and
month every session belonged to, that an in-person session has no virtual
count, and where the late counts went.
"""

from __future__ import annotations

import random
import re
from datetime import datetime, timezone

import numpy as np
import pytest
from scipy.optimize import linprog

K = 5
PARTS = ("in_person", "virtual")
MEASURES = ("in_person", "virtual", "total")
ALL_FORMATS = ("in_person", "virtual", "hybrid")
DATA_MONTHS = ["2026-10", "2026-11", "2026-12", "2027-01", "2027-02", "2027-03"]
FIRSTS = ["2026-01", "2026-10", "2026-11", "2026-12", "2027-01", "2027-02", "2027-03"]
LASTS = ["2026-10", "2026-11", "2026-12", "2027-01", "2027-02", "2027-03", "2027-04"]
BEFORE_MARCH_RELEASE = datetime(2027, 3, 20, 12, 0, tzinfo=timezone.utc)  # February released, March not
AFTER_MARCH_RELEASE = datetime(2027, 4, 20, 12, 0, tzinfo=timezone.utc)
PASSWORD = "a long passphrase for tests"


def _next(month: str) -> str:
    year, m = int(month[:4]), int(month[5:])
    return f"{year + m // 12}-{m % 12 + 1:02d}"


def _months(first: str, last: str) -> list[str]:
    out = [first]
    while out[-1] < last:
        out.append(_next(out[-1]))
    return out


# --- datasets ----------------------------------------------------------------

def issue_example():
    """The issue's attack: one program, totals 15 and then 17 when one more session of 2 is in the window."""
    return {("2026-11", "A", "in_person"): [(15, None)], ("2026-12", "A", "in_person"): [(2, None)],
            ("2027-01", "A", "in_person"): [(9, None)], ("2027-03", "A", "in_person"): [(3, None)]}


def generated(seed: int):
    """Several programs, formats and months; small counts, some zero, some cells empty."""
    rng = random.Random(seed)
    programs = ["A", "B", "C"][:rng.choice([2, 3])]
    formats = rng.sample(ALL_FORMATS, rng.choice([2, 3]))
    small = [0, 1, 1, 2, 3, 4, 5, 6, 8, 12]
    cells = {}
    for month in DATA_MONTHS:
        for program in programs:
            for fmt in formats:
                if rng.random() < 0.55:
                    cells[(month, program, fmt)] = [
                        (rng.choice(small) if fmt != "virtual" else None, rng.choice(small) if fmt != "in_person" else None)
                        for _ in range(rng.choice([1, 1, 2]))]
    return cells


DATASETS = [pytest.param(issue_example(), id="issue-15-then-17")] + [
    pytest.param(generated(seed), id=f"generated-{seed}") for seed in (1, 2, 3)]


# --- the service, driven as organizers and a viewer ---------------------------

class Service:
    def __init__(self, app, api, clock, cells, facilitated=(), reader="viewer"):
        self.app, self.api, self.clock, self.facilitated, self.reader = app, api, clock, facilitated, reader
        clock.set(BEFORE_MARCH_RELEASE)
        self.programs = {}
        for name in sorted({p for (_, p, _) in cells}):
            response = api("organizer").post("/api/v1/programs", json={
                "name": f"Program {name}", "timezone": "America/New_York", "default_location": "Room 2",
                "default_video_url": "https://meet.example.org/x"})
            assert response.status_code == 201, response.json
            self.programs[name] = response.json["id"]
        self.names = {v: k for k, v in self.programs.items()}
        self.sessions = {}
        for (month, program, fmt), counts in sorted(cells.items()):
            for day, (in_person, virtual) in enumerate(counts, start=10):
                self.sessions.setdefault((month, program, fmt), []).append(
                    self.record(month, day, program, fmt, in_person, virtual))
        self.page = self._sign_in()

    def record(self, month, day, program, fmt, in_person, virtual) -> str:
        facilitator_ids = ([s["id"] for s in self.api("admin").get("/api/v1/staff").json if s["role"] == "facilitator"]
                           if (month, program, fmt) in self.facilitated else [])
        created = self.api("organizer").post("/api/v1/sessions", json={
            "program_id": self.programs[program], "title": "Circle", "format": fmt, "facilitator_ids": facilitator_ids,
            "start": f"{month}-{day}T12:00:00-05:00", "end": f"{month}-{day}T13:00:00-05:00"})
        assert created.status_code == 201, created.json
        self.count(created.json["id"], in_person, virtual)
        return created.json["id"]

    def count(self, occurrence_id, in_person, virtual):
        response = self.api("organizer").put(f"/api/v1/occurrences/{occurrence_id}/attendance",
                                             json={"in_person": in_person, "virtual": virtual})
        assert response.status_code == 200, response.json

    def _sign_in(self):
        runner = self.app.test_cli_runner()
        email = f"{self.reader}@example.org"
        out = runner.invoke(args=["staff", "set-password", email, "--password-stdin"], input=PASSWORD + "\n")
        assert out.exit_code == 0, out.output
        browser = self.app.test_client()
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', browser.get("/login").get_data(as_text=True)).group(1)
        signed_in = browser.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": csrf})
        assert signed_in.status_code in (302, 303), signed_in.status_code
        return browser

    def api_answers(self):
        """Every API answer a viewer gets."""
        answers = []
        for url in self.api_urls():
            response = self.api("viewer").get(url)
            assert response.status_code == 200, (url, response.json)
            assert response.json["exact"] is False
            answers.append(response.json)
        return answers

    def api_urls(self):
        """Every statistics question the API takes: each window, grouping and program filter."""
        filters = [None, *self.programs.values()]
        queries = ["group_by=month"]  # the default window: the last twelve months
        for first in FIRSTS:
            for last in LASTS:
                if first <= last:
                    queries += [f"from={first}-01T00:00:00Z&to={_next(last)}-01T00:00:00Z&group_by={g}"
                                for g in ("month", "quarter", "program", "format")]
        # windows that do not start or end on a month's first day snap to whole months
        queries += ["from=2026-11-15T08:00:00-05:00&to=2026-12-20T00:00:00Z&group_by=month",
                    "from=2026-10-31T23:00:00-05:00&to=2027-01-01T00:00:01%2B01:00&group_by=format"]
        return [f"/api/v1/stats/attendance?{query}" + (f"&program={program}" if program else "")
                for query in queries
                for program in (filters if "group_by=program" not in query else [None])]  # one program's row is the totals

    def page_answers(self):
        """Every statistics page a viewer can open, read back from its HTML table as the API's shape."""
        answers = []
        for url, first, last, program in self.page_urls():
            response = self.page.get(url)
            assert response.status_code == 200, url
            answers.append(_read_page(response.get_data(as_text=True), first, last, program))
        return answers

    def page_urls(self, paths=("/stats",)):
        """Every statistics page (or its CSV) a signed-in person can ask for: (url, first, last, program)."""
        return [(f"{path}?from={first}&to={last}" + (f"&program={program}" if program else ""), first, last, program)
                for path in paths for first in FIRSTS for last in LASTS if first <= last
                for program in [None, *self.programs.values()]]


MONTH_NAMES = {datetime(2000, m, 1).strftime("%B"): m for m in range(1, 13)}


def _read_page(html: str, first: str, last: str, program: str | None) -> dict:
    through = re.search(r"released statistics, through (\w+) (\d{4})", html)
    released_through = f"{through.group(2)}-{MONTH_NAMES[through.group(1)]:02d}" if through else None
    rows, totals = [], None
    for label, cells in re.findall(r'<tr><th scope="row">([^<]+)</th>(.*?)</tr>', html, re.S):
        values = re.findall(r'<td class="num[^"]*">([^<]*)</td>', cells)
        held, counted, *counts = values
        row = dict(sessions_held=int(held), **{m: None if v == "withheld" else int(v) for m, v in zip(MEASURES, counts)})
        if label == "Total":
            totals = row
        else:
            month_name, year = label.split()
            rows.append(dict(row, key=f"{year}-{MONTH_NAMES[month_name]:02d}"))
    if totals is None:  # no table: "No session was held in these months."
        totals = dict(sessions_held=0, in_person=0, virtual=0, total=0)
    return dict(group_by="month", first_month=first, last_month=last, program_id=program,
                released_through=released_through, rows=rows, totals=totals)


# --- the attacker ------------------------------------------------------------

def _quarter(month: str) -> str:
    return f"{month[:4]}-Q{(int(month[5:]) - 1) // 3 + 1}"


class Attacker:
    """Unknowns: the in-person and virtual count of every (month, program, format) that had sessions."""

    def __init__(self, cells, names):
        self.cells = sorted(cells)
        self.names = names  # program id -> dataset name
        self.index = {(cell, part): i for i, (cell, part) in enumerate((c, p) for c in self.cells for p in PARTS)}
        self.equal, self.at_least_one = {}, set()
        self.zero = {(cell, "virtual") for cell in self.cells if cell[2] == "in_person"}
        self.zero |= {(cell, "in_person") for cell in self.cells if cell[2] == "virtual"}

    def scope(self, months, programs, formats) -> frozenset:
        return frozenset(c for c in self.cells if c[0] in months and c[1] in programs and c[2] in formats)

    def learn(self, answer: dict) -> None:
        through = answer["released_through"]
        window = [m for m in _months(answer["first_month"], answer["last_month"]) if through and m <= through]
        all_programs = set(self.names.values())
        programs = {self.names[answer["program_id"]]} if answer["program_id"] else all_programs
        for row in answer["rows"]:
            key, group = row["key"], answer["group_by"]
            if group == "month":
                scope = self.scope({key}, programs, ALL_FORMATS)
            elif group == "quarter":
                scope = self.scope({m for m in window if _quarter(m) == key}, programs, ALL_FORMATS)
            elif group == "program":
                scope = self.scope(window, {self.names[key]} & programs, ALL_FORMATS)
            else:
                scope = self.scope(window, programs, {key})
            self._note(scope, row)
        self._note(self.scope(window, programs, ALL_FORMATS), answer["totals"])

    def _note(self, scope, row):
        for measure in MEASURES:
            fact = (scope, measure)
            if row[measure] is None:
                self.at_least_one.add(fact)
            else:
                assert self.equal.setdefault(fact, row[measure]) == row[measure], f"two answers disagree on {fact}"

    def _row(self, scope, measure):
        vector = np.zeros(len(self.index))
        for cell in scope:
            for part in PARTS if measure == "total" else (measure,):
                vector[self.index[(cell, part)]] = 1.0
        return vector

    def bounds(self, scope, measure) -> tuple[float, float]:
        """Lowest and highest value of a sum consistent with everything learnt."""
        a_eq = [self._row(s, m) for (s, m) in self.equal] + [self._row(frozenset({c}), p) for c, p in sorted(self.zero)]
        b_eq = list(self.equal.values()) + [0.0] * len(self.zero)
        a_ub = [-self._row(s, m) for (s, m) in self.at_least_one]
        b_ub = [-1.0] * len(a_ub)
        target = self._row(scope, measure)
        ends = []
        for sign in (1.0, -1.0):
            result = linprog(sign * target, A_eq=np.array(a_eq), b_eq=b_eq, A_ub=np.array(a_ub) if a_ub else None,
                             b_ub=b_ub or None, bounds=(0, None), method="highs")
            assert result.status in (0, 3), f"the answers contradict each other: {result.message}"
            ends.append(float("inf") if result.status == 3 else sign * result.fun)
        return ends[0], ends[1]


def _truth(cells, scope, measure) -> int:
    parts = PARTS if measure == "total" else (measure,)
    return sum((ip if p == "in_person" else v) or 0 for cell in scope for ip, v in cells[cell] for p in parts)


def _released_periods(through: str):
    """Every month, quarter and year of the data released by ``through``, with its months."""
    months = [m for m in DATA_MONTHS if m <= through]
    quarters = [q for q in sorted({_quarter(m) for m in months}) if f"{q[:4]}-{int(q[-1]) * 3:02d}" <= through]
    years = [y for y in sorted({m[:4] for m in months}) if f"{y}-12" <= through]
    return ([(m, {m}) for m in months] + [(q, {m for m in months if _quarter(m) == q}) for q in quarters]
            + [(y, {m for m in months if m.startswith(y)}) for y in years])


@pytest.mark.parametrize("cells", DATASETS)
def test_no_withheld_count_can_be_narrowed_by_any_set_of_viewer_answers(app, api, clock, cells):
    service = Service(app, api, clock, cells)
    attacker = Attacker(cells, service.names)
    first_answers = service.api_answers() + service.page_answers()

    # Late counts for months already released: a correction, and a session added to a past month.
    jan_cell = next((c for c in sorted(cells) if c[0] == "2027-01"), None)
    if jan_cell:
        occurrence = service.sessions[jan_cell][0]
        ip, v = cells[jan_cell][0]
        service.count(occurrence, None if ip is None else ip + 3, None if v is None else v + 2)
    service.record("2026-11", 25, "A", "in_person", 2, None)
    exact = api("organizer").get("/api/v1/stats/attendance?from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z").json
    assert exact["totals"]["in_person"] == _truth(cells, attacker.scope({"2026-11"}, {"A", "B", "C"}, ALL_FORMATS),
                                                  "in_person") + 2, "organizers see the late count"
    second_answers = service.api_answers() + service.page_answers()
    assert second_answers == first_answers, "a late count changed what viewers see of a released month"

    clock.set(AFTER_MARCH_RELEASE)  # March enters the release, and with it the first quarter of 2027
    third_answers = service.api_answers() + service.page_answers()
    assert any(a["released_through"] == "2027-03" for a in third_answers)

    for answer in first_answers + third_answers:
        attacker.learn(answer)
    withheld = published = 0
    for period, months in _released_periods("2027-03"):
        for program in [*sorted(service.programs), None]:
            for fmt in [*ALL_FORMATS, None]:
                scope = attacker.scope(months, {program} if program else {"A", "B", "C"}, {fmt} if fmt else ALL_FORMATS)
                for measure in MEASURES:
                    truth = _truth(cells, scope, measure)
                    fact = (scope, measure)
                    if not scope or fact in attacker.equal:
                        published += bool(scope)
                        assert not 1 <= truth < K, f"{period} {program} {fmt} {measure} = {truth} was published"
                        continue
                    withheld += 1
                    low, high = attacker.bounds(scope, measure)
                    assert low - 1e-6 <= truth <= high + 1e-6, f"the attacker's model is wrong for {fact}"
                    assert high - low >= K - 1 - 1e-6, (
                        f"{period} program {program} format {fmt} {measure} (truly {truth}) "
                        f"is narrowed to [{low:g}, {high:g}]")
    assert withheld and published, "the dataset exercises both withheld and published numbers"


def test_a_facilitator_cannot_work_out_a_colleagues_small_count(app, api, clock):
    # November: the in-person circle had 2 (its facilitator recorded them), the virtual one 4. A viewer
    # sees both withheld and their total, 6: the in-person count could be 1 to 5, as K = 5 asks. Had the
    # facilitator of the in-person circle read the same release, its own 2 would have given away the
    # virtual 4; so facilitators read no statistics at all, and keep only their own sessions' counts.
    cells = {("2026-11", "A", "in_person"): [(2, None)], ("2026-11", "A", "virtual"): [(None, 4)]}
    own_cell = ("2026-11", "A", "in_person")
    service = Service(app, api, clock, cells, facilitated={own_cell}, reader="facilitator")
    viewer = Attacker(cells, service.names)
    for answer in service.api_answers():
        viewer.learn(answer)
    own = (frozenset({own_cell}), "in_person")
    assert own not in viewer.equal and (frozenset(cells), "total") in viewer.equal, \
        "viewers see both counts withheld and their total, 6: the release a facilitator would difference"

    attacker = Attacker(cells, service.names)
    for url in service.api_urls():  # every question, through the API
        refused = api("facilitator").get(url)
        assert refused.status_code == 403, (url, refused.status_code)
        assert refused.mimetype == "application/problem+json" and "My sessions" in refused.json["detail"]
        assert "rows" not in refused.json and "totals" not in refused.json
    for url, *_ in service.page_urls(paths=("/stats", "/stats.csv")):  # and every page and download
        refused = service.page.get(url)
        assert refused.status_code == 403 and refused.mimetype == "text/html", (url, refused.status_code)
        text = refused.get_data(as_text=True)
        assert "Facilitators do not see the statistics" in text and "<table" not in text, url
    my_page = service.page.get("/my").get_data(as_text=True)
    assert ">Statistics<" not in my_page and "My sessions" in my_page, "no Statistics link in the facilitator's menu"

    # What it can still read: its own session's count, and nothing of its colleague's.
    mine, colleagues = service.sessions[own_cell][0], service.sessions[("2026-11", "A", "virtual")][0]
    assert api("facilitator").get(f"/api/v1/occurrences/{mine}/attendance").json["in_person"] == 2
    assert api("facilitator").get(f"/api/v1/occurrences/{colleagues}/attendance").status_code == 403
    attacker.equal[own] = 2
    colleague = attacker.scope({"2026-11"}, {"A"}, {"virtual"})
    low, high = attacker.bounds(colleague, "virtual")
    assert high - low >= K - 1 - 1e-6, f"the virtual circle's count (truly 4) is narrowed to [{low:g}, {high:g}]"
