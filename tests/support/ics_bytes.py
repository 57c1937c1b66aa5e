"""An iCalendar body checked as the bytes a calendar client reads (RFC 5545 3.1 and 3.3.11), not as a parser
forgives them: CRLF only, every physical line at most 75 octets and decodable on its own (a fold never splits
a UTF-8 character), every VEVENT with a non-empty UID, DTSTAMP, DTSTART and SUMMARY. Returns the unfolded
content lines, for a test to look for a property exactly as written (TEXT escaping)."""

from __future__ import annotations


def wire_lines(body: bytes) -> list[str]:
    assert body.endswith(b"\r\n"), "the last line ends with CRLF"
    assert b"\r" not in body.replace(b"\r\n", b"") and b"\n" not in body.replace(b"\r\n", b""), "CRLF only"
    for raw in body[:-2].split(b"\r\n"):
        assert len(raw) <= 75, f"{len(raw)} octets: {raw!r}"
        raw.decode("utf-8")   # raises where a fold split a character
    lines = body.replace(b"\r\n ", b"").replace(b"\r\n\t", b"").decode("utf-8")[:-2].split("\r\n")
    event: dict[str, str] | None = None
    for line in lines:
        if line == "BEGIN:VEVENT":
            event = {}
        elif line == "END:VEVENT":
            for name in ("UID", "DTSTAMP", "DTSTART", "SUMMARY"):
                assert event.get(name), f"VEVENT without a {name}: {event}"
            event = None
        elif event is not None and ":" in line:
            name_and_params, value = line.split(":", 1)
            event.setdefault(name_and_params.split(";", 1)[0], value)
    return lines
