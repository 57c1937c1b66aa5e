"""Roster import: what a coordinator sees when a spreadsheet export is clean, quirky or wrong."""

from __future__ import annotations

import codecs

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from docbox_outreach.domain.roster import Member, RosterInvalid, compare, read_roster

CLEAN = (
    "Name,Work email,Division,Reports to,Leadership\n"
    "Ada Chair,ada@dept.example,Medicine,,yes\n"
    "Ben Chief,ben@dept.example,Cardiology,ada@dept.example,yes\n"
    "Cleo Fellow,cleo@dept.example,Cardiology,ben@dept.example,\n"
    "Dan Doe,dan@dept.example,Nephrology,ada@dept.example,no\n"
)


def problems(text: str | bytes) -> list[tuple[int, str]]:
    data = text.encode() if isinstance(text, str) else text
    with pytest.raises(RosterInvalid) as caught:
        read_roster(data)
    return [(p.line, p.reason) for p in caught.value.problems]


def test_clean_file_gives_every_member_with_lowercased_emails_and_flags():
    rows = read_roster(CLEAN.replace("ben@", "Ben@").encode())
    assert [(r.line, r.email, r.reports_to, r.leadership) for r in rows] == [
        (2, "ada@dept.example", None, True), (3, "ben@dept.example", "ada@dept.example", True),
        (4, "cleo@dept.example", "ben@dept.example", False), (5, "dan@dept.example", "ada@dept.example", False)]


@pytest.mark.parametrize("encode", [
    pytest.param(lambda t: codecs.BOM_UTF8 + t.replace("\n", "\r\n").encode(), id="excel utf-8 with BOM and CRLF"),
    pytest.param(lambda t: t.replace(",", ";").encode("cp1252"), id="semicolons, windows-1252"),
    pytest.param(lambda t: t.replace(",", "\t").encode("utf-16"), id="excel unicode text (utf-16, tabs)"),
    pytest.param(lambda t: t.replace("\n", "\r").encode(), id="old mac line ends"),
    pytest.param(lambda t: ("sep=;\r\n" + t.replace(",", ";").replace("\n", "\r\n")).encode(),
                 id="excel sep= hint line"),
    pytest.param(lambda t: t.replace("Name,Work email,Division,Reports to,Leadership",
                                     "  NAME , work_email,DIVISION ,Reports-To,  leadership").encode(),
                 id="header case and whitespace"),
    pytest.param(lambda t: (t.replace("\n", ",,\n") + ",,,,,,\n\n").encode(), id="trailing separators and blank rows"),
])
def test_spreadsheet_quirks_read_like_the_clean_file(encode):
    def fields(rows):
        return [(r.name, r.email, r.division, r.reports_to, r.leadership) for r in rows]
    assert fields(read_roster(encode(CLEAN))) == fields(read_roster(CLEAN.encode()))


def test_non_ascii_names_survive_windows_1252_and_nbsp():
    text = CLEAN.replace("Cleo Fellow", "Clé\u00a0Müller ").replace("Dan Doe", "\u200bDan Doe")
    rows = read_roster(text.encode("cp1252", errors="ignore"))
    assert [r.name for r in rows][2:] == ["Clé Müller", "Dan Doe"]


def test_line_numbers_count_the_sep_hint_line():
    assert problems("sep=,\nname,email,division\nA,,B\n") == [(3, "work email is missing")]


def test_quoted_cell_with_line_break_counts_every_line():
    text = CLEAN.replace("Cleo Fellow", '"Cleo\nFellow"') + "Eve,not-an-email,Medicine,,\n"
    assert problems(text) == [(7, 'work email "not-an-email" is not an email address '
                                  '(An email address must have an @-sign.)')]


def test_every_bad_row_is_listed_with_its_line_and_nothing_is_returned():
    text = CLEAN + (
        ",frank@dept.example,Medicine,,\n"            # 6: no name
        "Gus,gus@dept.example,,,\n"                  # 7: no division
        "Hal,,Medicine,,\n"                          # 8: no email
        "Ida,ben@DEPT.example,Medicine,,\n"          # 9: duplicate of line 3
        "Jo,jo@dept.example,Medicine,zed@dept.example,\n"  # 10: unknown reports-to
        "Kim,kim@dept.example,Medicine,kim@dept.example,\n"  # 11: self
        "Lee,lee@dept.example,Medicine,,maybe\n"     # 12: bad flag
        "Mo,mo@dept,Medicine,,\n"                    # 13: bad email
    )
    found = problems(text)
    assert [line for line, _ in found] == [6, 7, 8, 9, 10, 11, 12, 13]
    reasons = dict(found)
    assert reasons[6] == "name is missing" and reasons[7] == "division is missing"
    assert reasons[8] == "work email is missing"
    assert reasons[9] == "same work email as line 3"
    assert reasons[10] == "reports to zed@dept.example, who is not in the file"
    assert reasons[11] == "reports to themself"
    assert reasons[12] == 'leadership "maybe" is neither yes nor no'
    assert reasons[13].startswith('work email "mo@dept" is not an email address')


def test_reporting_cycle_is_named_on_every_line_in_it():
    text = CLEAN.replace("Ada Chair,ada@dept.example,Medicine,,yes", "Ada Chair,ada@dept.example,Medicine,cleo@dept.example,yes")
    found = problems(text)
    cycle = "reporting cycle: ada@dept.example → cleo@dept.example → ben@dept.example → ada@dept.example"
    assert found == [(2, cycle), (3, cycle), (4, cycle)]


@pytest.mark.parametrize("header, reason", [
    ("Name,Email,Division,Notes", 'unknown column "Notes" (the roster reads only: name, work email, '
                                  'division, reports to, leadership)'),
    ("Name,Division", 'missing column "work email"'),
    ("Name,Email,Email,Division", 'column "Email" appears twice'),
])
def test_bad_header_is_refused_on_line_one(header, reason):
    assert (1, reason) in problems(header + "\nA,a@x.example,B,C\n")


def test_empty_file_and_header_only_file_are_refused():
    assert problems(b"") == [(1, "the file is empty")]
    assert problems(codecs.BOM_UTF8 + b"name,email,division\r\n,,\r\n") == [(1, "the file has a header but no rows")]


def test_cell_beyond_the_csv_limit_is_a_bad_line_not_a_crash():
    assert problems(b"name,email,division\n" + b"a" * 200_000 + b",a@b.example,c\n") == [
        (2, "this line cannot be read as CSV (field larger than field limit (131072))")]


def test_extra_filled_cell_beyond_the_columns_is_refused():
    assert problems("name,email,division\nA,a@x.example,B,surprise\n") == [
        (2, "a cell outside the named columns is filled (an extra separator?)")]


def held(rows) -> list[Member]:
    return compare(rows, []).apply([])


def test_first_import_adds_everyone_and_reimporting_changes_nothing():
    rows = read_roster(CLEAN.encode())
    first = compare(rows, [])
    assert [r.email for r in first.added] == [r.email for r in rows] and first.changes_anything
    again = compare(read_roster(CLEAN.encode()), first.apply([]))
    assert not again.changes_anything
    assert len(again.unchanged) == 4 and not again.missing


def test_changed_fields_are_listed_and_missing_members_are_not_marked_as_left():
    roster = held(read_roster(CLEAN.encode()))
    text = CLEAN.replace("Cleo Fellow,cleo@dept.example,Cardiology", "Cleo Fellow,cleo@dept.example,Nephrology")
    text = text.replace("Dan Doe,dan@dept.example,Nephrology,ada@dept.example,no\n", "")
    changes = compare(read_roster(text.encode()), roster)
    assert [(c.row.email, c.fields) for c in changes.changed] == [("cleo@dept.example", ("division",))]
    assert [m.email for m in changes.missing] == ["dan@dept.example"]
    after = changes.apply(roster)
    assert next(m for m in after if m.email == "dan@dept.example").active  # the coordinator decides
    assert next(m for m in after if m.email == "cleo@dept.example").division == "Nephrology"


def test_member_marked_as_left_who_is_in_the_file_again_returns_active():
    roster = [m if m.email != "dan@dept.example" else Member(**{**m.__dict__, "active": False})
              for m in held(read_roster(CLEAN.encode()))]
    changes = compare(read_roster(CLEAN.encode()), roster)
    assert [r.email for r in changes.returning] == ["dan@dept.example"] and not changes.missing
    assert all(m.active for m in changes.apply(roster))
    assert not compare(read_roster(CLEAN.encode()), changes.apply(roster)).changes_anything


@pytest.mark.parametrize("data", [codecs.BOM_UTF16_BE + b"\x00n\x00", codecs.BOM_UTF16_LE + b"n\x00a"])
def test_a_utf16_file_cut_in_the_middle_of_a_character_is_a_bad_file_not_a_crash(data):
    with pytest.raises(RosterInvalid):
        read_roster(data)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=400), st.text(alphabet=st.sampled_from(list('name,email;division\t"\r\n@x.y ')),
                                                  max_size=200).map(str.encode)))
def test_any_bytes_give_rows_or_a_list_of_bad_lines_never_another_error(data):
    try:
        rows = read_roster(data)
    except RosterInvalid as error:
        assert error.problems and all(p.line >= 1 and p.reason for p in error.problems)
    else:
        assert rows and len({r.email for r in rows}) == len(rows)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["Ann", "Bo", "Cy"]), st.sampled_from(["Med", "Cardio"]),
                          st.booleans()), min_size=1, max_size=12))
def test_importing_any_clean_file_twice_changes_nothing_the_second_time(people):
    lines = ["name,work email,division,reports to,leadership"]
    for i, (name, division, leader) in enumerate(people):
        boss = f"p{i // 2}@x.example" if i else ""
        lines.append(f"{name},p{i}@x.example,{division},{boss},{'yes' if leader else ''}")
    data = "\r\n".join(lines).encode()
    roster = compare(read_roster(data), []).apply([])
    assert not compare(read_roster(data), roster).changes_anything
