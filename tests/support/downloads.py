"""Reading a CSV download the way Excel meets it: bytes first."""

from __future__ import annotations

import csv
import io

BOM = b"\xef\xbb\xbf"


def csv_rows(answer) -> list[list[str]]:
    """The rows of a CSV download, after checking what makes Excel read it as UTF-8: a byte-order
    mark first, ``charset=utf-8`` in the Content-Type, CRLF line ends."""
    assert answer.status_code == 200, answer.status_code
    assert answer.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert answer.headers["Content-Disposition"].startswith("attachment; filename=")
    raw = answer.data
    assert raw.startswith(BOM) and not raw.startswith(BOM * 2), raw[:8]
    assert raw.endswith(b"\r\n") and b"\n" not in raw.replace(b"\r\n", b""), "CRLF line ends only"
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
