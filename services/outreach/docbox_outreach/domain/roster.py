"""The faculty roster: reading a coordinator's CSV file and comparing it with the roster held.

A *member* is one faculty member: name, work email, division, the work email
of the person they report to (optional) and a leadership flag. Those five
fields are everything the roster holds about a person: no title, phone,
specialty, notes or other column is read, so a column the file brings beyond
them is refused by name rather than silently kept or silently dropped (a
misspelt "reprots to" must not quietly empty everyone's reporting line).

The work email, compared case-insensitively, is a member's identity: a
changed name or division is a change of the same member; a changed email is
one member missing and another added (the coordinator corrects an email on
the roster page, not by import).

Reading is all or nothing: :func:`read_roster` either returns every row or
raises :class:`RosterInvalid` listing every bad row with its line number and
reason, so nothing is imported until the file is clean. Line numbers are the
lines a spreadsheet or text editor shows (the header is line 1; a quoted cell
spanning lines counts every line).

Comparing (:func:`compare`) never marks anyone as left: a member held but
absent from the file is listed as *missing*, and marking them as left is the
coordinator's decision on the roster page. An automatic "left" would let a
partial export (one division's sheet) end half the department's opt-outs and
pairings in one click. A member marked as left who is in the file again is
*returning* and becomes active. Importing the same file twice changes nothing
the second time: every row is then *unchanged*.
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import io
import re
from dataclasses import dataclass

from email_validator import validate_email

from docbox_shared.inputs import mail_address

FIELDS = ("name", "email", "division", "reports_to", "leadership")

# Header spellings accepted for each field, after folding case, underscores,
# hyphens and runs of whitespace to single spaces.
HEADERS = {
    "name": {"name", "full name", "faculty name"},
    "email": {"work email", "email", "e mail", "work e mail", "email address", "work email address"},
    "division": {"division"},
    "reports_to": {"reports to", "reports to email", "reports to work email"},
    "leadership": {"leadership", "leader", "leadership flag", "in leadership"},
}
LABELS = {"name": "name", "email": "work email", "division": "division", "reports_to": "reports to",
          "leadership": "leadership"}
REQUIRED = ("name", "email", "division")
TRUE = {"yes", "y", "true", "1", "x", "leader", "leadership"}
FALSE = {"no", "n", "false", "0", ""}
MAX_NAME, MAX_DIVISION = 200, 120
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))  # zero-width characters from copy-paste


@dataclass(frozen=True)
class RosterRow:
    """One clean row of an imported file (emails lower-cased)."""

    line: int
    name: str
    email: str
    division: str
    reports_to: str | None
    leadership: bool


@dataclass(frozen=True)
class Member:
    """One member as the roster holds them; ``active`` is False once marked as left."""

    email: str
    name: str
    division: str
    reports_to: str | None = None
    leadership: bool = False
    active: bool = True


@dataclass(frozen=True)
class Problem:
    """Why one line of the file cannot be imported (line 1 is the header)."""

    line: int
    reason: str


class RosterInvalid(ValueError):
    """The file cannot be imported; ``problems`` lists every bad line, in line order."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=lambda p: p.line)
        super().__init__("; ".join(f"line {p.line}: {p.reason}" for p in self.problems))


def decode(data: bytes) -> str:
    """The text of a file as spreadsheets save it: UTF-8 with or without BOM, UTF-16 ("Unicode
    Text"), or, when it is not valid UTF-8, Windows-1252 (Excel's plain "CSV" on Windows)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace")  # a file cut mid-character is a bad file, not a crash
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _delimiter(text: str) -> tuple[str, str, int]:
    """The separator, the text without Excel's ``sep=;`` hint line, and the lines that hint took.

    Without a hint: comma, or the semicolon or tab a spreadsheet in another
    locale writes instead, whichever the header line holds most of.
    """
    first, *rest = re.split(r"\r\n|\r|\n", text, maxsplit=1)
    hint = re.fullmatch(r'"?sep=(.)"?', first.strip())
    if hint:
        return hint.group(1), rest[0] if rest else "", 1
    return max((",", ";", "\t"), key=first.count), text, 0


def _fold(header: str) -> str:
    return " ".join(re.sub(r"[_\-]", " ", header.translate(_INVISIBLE)).lower().split())


def _records(text: str):
    """(first line, cells) of every record that is not blank, the header first."""
    delimiter, text, skipped = _delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    line = 1 + skipped
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:  # a cell over the csv module's 128 KiB limit
            raise RosterInvalid([Problem(line, f"this line cannot be read as CSV ({error})")]) from None
        cells = [" ".join(c.translate(_INVISIBLE).split()) for c in cells]
        if any(cells):
            yield line, cells
        line = reader.line_num + 1 + skipped


def _columns(line: int, header: list[str]) -> tuple[dict[str, int], list[Problem]]:
    columns, problems = {}, []
    for index, cell in enumerate(header):
        folded = _fold(cell)
        if not folded:
            continue  # a blank header cell (trailing separators): its cells must be blank too
        field = next((f for f, spellings in HEADERS.items() if folded in spellings), None)
        if field is None:
            problems.append(Problem(line, f'unknown column "{cell}" (the roster reads only: '
                                          f'{", ".join(LABELS.values())})'))
        elif field in columns:
            problems.append(Problem(line, f'column "{cell}" appears twice'))
        else:
            columns[field] = index
    for field in REQUIRED:
        if field not in columns:
            problems.append(Problem(line, f'missing column "{LABELS[field]}"'))
    return columns, problems


def email_address(value: str) -> str:
    """The lower-cased address as Doc Box mails it, or ValueError saying why (syntax only: no DNS lookup).

    An international domain is kept in its IDNA form; a local part beyond ASCII is refused, since no
    envelope without SMTPUTF8 carries it: the program's mail to it would never go.
    """
    return mail_address(validate_email(value, check_deliverability=False).normalized).lower()


def _row(line: int, cells: list[str], columns: dict[str, int]) -> tuple[dict, list[str]]:
    known = set(columns.values())
    if any(cell for index, cell in enumerate(cells) if index not in known):
        return {}, ["a cell outside the named columns is filled (an extra separator?)"]
    value = {field: cells[index] if index < len(cells) else "" for field, index in columns.items()}
    reasons, row = [], {"line": line}
    for field, label, limit in (("name", "name", MAX_NAME), ("division", "division", MAX_DIVISION)):
        if not value[field]:
            reasons.append(f"{label} is missing")
        elif len(value[field]) > limit:
            reasons.append(f"{label} is longer than {limit} characters")
        row[field] = value[field]
    for field, label in (("email", "work email"), ("reports_to", "reports-to email")):
        row[field] = None
        if not value.get(field):
            if field == "email":
                reasons.append("work email is missing")
            continue
        try:
            row[field] = email_address(value[field])
        except ValueError as error:
            reasons.append(f'{label} "{value[field]}" is not an email address ({error})')
    flag = value.get("leadership", "").lower()
    if flag not in TRUE | FALSE:
        reasons.append(f'leadership "{value["leadership"]}" is neither yes nor no')
    row["leadership"] = flag in TRUE
    return row, reasons


def read_roster(data: bytes) -> list[RosterRow]:
    """Every row of a roster file, or :class:`RosterInvalid` naming every bad line."""
    records = _records(decode(data))
    first = next(records, None)
    if first is None:
        raise RosterInvalid([Problem(1, "the file is empty")])
    columns, problems = _columns(*first)
    if problems:
        raise RosterInvalid(problems)
    rows, first_line = [], {}
    for line, cells in records:
        row, reasons = _row(line, cells, columns)
        if row.get("email"):
            if row["email"] in first_line:
                reasons.append(f"same work email as line {first_line[row['email']]}")
            else:
                first_line[row["email"]] = line
        problems += [Problem(line, reason) for reason in reasons]
        if not reasons:
            rows.append(RosterRow(**row))
    if not rows and not problems:
        problems.append(Problem(first[0], "the file has a header but no rows"))
    problems += _line_problems(rows, first_line)
    if problems:
        raise RosterInvalid(problems)
    return rows


def _line_problems(rows: list[RosterRow], line_of: dict[str, int]) -> list[Problem]:
    """Reports-to emails that name nobody in the file, and reporting cycles."""
    problems, boss = [], {}
    for row in rows:
        if row.reports_to is None:
            continue
        if row.reports_to == row.email:
            problems.append(Problem(row.line, "reports to themself"))
        elif row.reports_to not in line_of:
            problems.append(Problem(row.line, f"reports to {row.reports_to}, who is not in the file"))
        else:
            boss[row.email] = row.reports_to
    state: dict[str, int] = {}  # 1: on the path being walked, 2: done
    for start in boss:
        path = []
        person = start
        while person in boss and state.get(person) is None:
            state[person] = 1
            path.append(person)
            person = boss[person]
        if state.get(person) == 1:  # walked back into the path: a cycle
            cycle = path[path.index(person):]
            text = " → ".join([*cycle, person])
            problems += [Problem(line_of[p], f"reporting cycle: {text}") for p in cycle]
        for p in path:
            state[p] = 2
    return problems


@dataclass(frozen=True)
class Change:
    """A member whose row differs from what the roster holds: the fields that change."""

    row: RosterRow
    before: Member
    fields: tuple[str, ...]


@dataclass(frozen=True)
class RosterChanges:
    """What importing a file would do; nothing is applied until the coordinator confirms."""

    added: tuple[RosterRow, ...]
    changed: tuple[Change, ...]
    returning: tuple[RosterRow, ...]
    unchanged: tuple[str, ...]
    missing: tuple[Member, ...]

    @property
    def changes_anything(self) -> bool:
        """True when applying would change the roster (listing *missing* members changes nothing)."""
        return bool(self.added or self.changed or self.returning)

    def apply(self, current: list[Member]) -> list[Member]:
        """The roster after the import: added and returning members active, changed ones updated,
        missing ones as they were (marking them as left is the coordinator's separate decision)."""
        updated = {m.email: m for m in current}
        for row in (*self.added, *self.returning, *(c.row for c in self.changed)):
            updated[row.email] = _member(row)
        return sorted(updated.values(), key=lambda m: m.email)


def _member(row: RosterRow) -> Member:
    return Member(email=row.email, name=row.name, division=row.division, reports_to=row.reports_to,
                  leadership=row.leadership)


def compare(rows: list[RosterRow], current: list[Member]) -> RosterChanges:
    """How the rows of a clean file differ from the roster held."""
    held = {m.email: m for m in current}
    added, changed, returning, unchanged = [], [], [], []
    for row in rows:
        before = held.get(row.email)
        if before is None:
            added.append(row)
        elif not before.active:
            returning.append(row)
        else:
            after = _member(row)
            fields = tuple(f.name for f in dataclasses.fields(Member) if getattr(after, f.name) != getattr(before, f.name))
            (changed.append(Change(row, before, fields)) if fields else unchanged.append(row.email))
    in_file = {row.email for row in rows}
    missing = tuple(m for m in sorted(current, key=lambda m: m.email) if m.active and m.email not in in_file)
    return RosterChanges(tuple(added), tuple(changed), tuple(returning), tuple(unchanged), missing)
