"""A subscriber's mailbox read as the bytes a mail client gets, through a session's whole life.

Invitation, move, cancellation and restore of a one-off session whose title and
place hold emoji, CJK, combining accents and iCalendar's special characters right
where RFC 5545 folds a line. Every message arrives dated, with short header lines
(RFC 2047 words never split a character); every calendar part is CRLF, folded at
75 octets without splitting a UTF-8 character, and read by Node's ical.js (a parser
nobody here wrote). Applied in arrival order or in reverse (SEQUENCE decides, as
RFC 5546 asks), the messages leave the calendar entry the organizer's last word.

Each invitation arrives in the RFC 6047 (iMIP) structure Google Calendar sends: the
text/calendar part, its ``method`` parameter equal to its METHOD, an inline alternative of
the text, and the same calendar attached as ``application/ics``. That is what Outlook shows
its accept/decline bar for and Gmail its event card; neither can run here, so what is
checked is the structure, read by the email package and by icalendar.
"""

from __future__ import annotations

import json
import subprocess
from datetime import datetime
from pathlib import Path

import pytest

from .conftest import UTC

JS = Path(__file__).resolve().parents[1] / "calendar_sync" / "js"
ADDRESS = "a.rather.long.address.for.the.attendee.line.to.fold@example.org"
TITLE = "a" * 56 + "😀漢字e\u0301 ; , \\ x"                   # the fold falls inside the emoji and the accent
PLACE = "Raum " + "e\u0301" * 40 + " 🏥, Haus; 3"


@pytest.fixture(scope="module")
def instances():
    """ical.js reading each VEVENT of a calendar (tests/calendar_sync/js/instances.mjs)."""
    if not (JS / "node_modules" / "ical.js").exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=JS, check=True, capture_output=True)
    return lambda body: json.loads(subprocess.run(["node", str(JS / "instances.mjs")], input=body,
                                                  capture_output=True, check=True, timeout=60).stdout)


def calendar_bytes(message) -> tuple[str, bytes]:
    [_] = message.calendar_parts()
    return message.invitation()   # the iMIP structure (tests/support/smtp.py)


def test_a_whole_mailbox_reads_the_same_in_any_client_and_any_order(calendar, subscribe, smtp, worker, clock,
                                                                     instances):
    calendar.program(name="Bálint 群 " + "😀" * 30, tz="America/New_York")
    state = calendar.session("s1", datetime(2027, 3, 23, 18, 0, tzinfo=UTC), title=TITLE, location=PLACE,
                             tz="America/New_York")
    subscribe(ADDRESS)
    smtp.clear()
    clock.set(datetime(2027, 3, 22, 18, 30, tzinfo=UTC))
    worker()                                                     # the reminder, with its invitation
    for changes in ({"start": datetime(2027, 3, 23, 20, 0, tzinfo=UTC), "end": datetime(2027, 3, 23, 21, 0, tzinfo=UTC)},
                    {"status": "cancelled"}, {"status": "scheduled"}):
        clock.advance(minutes=7)
        state = calendar.update("session", state, **changes)
        worker()
    mailbox = smtp.to(ADDRESS)
    assert [m["Subject"].split(":")[0] for m in mailbox][1:] == ["Changed", "Cancelled", "Takes place after all"]
    assert len({m["Message-ID"] for m in mailbox}) == len(mailbox) == 4

    seen = []
    for message in mailbox:
        assert message.origination_date() <= clock()
        head = message.raw.split(b"\r\n\r\n", 1)[0]
        assert all(len(line) <= 78 for line in head.split(b"\r\n") if not line.startswith(b"List-Unsubscribe:"))
        method, body = calendar_bytes(message)
        assert b"\n" not in body.replace(b"\r\n", b"") and b"\r" not in body.replace(b"\r\n", b"")
        for line in body.split(b"\r\n"):
            assert len(line) <= 75, line
            line.decode("utf-8")                                # no character split by a fold
        assert f"\r\nMETHOD:{method}\r\n".encode() in body
        [event] = instances(body)["events"]
        assert (event["uid"], event["summary"], event["tzid"]) == ("docbox-session-s1", TITLE, "America/New_York")
        seen.append((method, event))

    expected = ("2027-03-23T20:00:00.000Z", "2027-03-23T21:00:00.000Z", "CONFIRMED")
    for arrival in (seen, seen[::-1]):
        held = None
        for method, event in arrival:                           # RFC 5546: an older SEQUENCE is ignored
            if held is None or event["sequence"] > held["sequence"]:
                held = {**event, "status": "CANCELLED" if method == "CANCEL" else event["status"]}
        assert (held["start"], held["end"], held["status"]) == expected
    assert [e["sequence"] for _, e in seen] == sorted({e["sequence"] for _, e in seen}), "each change a new SEQUENCE"
