"""Text that ends up in a header: one line, no control characters.

Program names, titles and email subjects travel into email headers
(``Subject``), iCalendar properties and page titles. A line break there makes
the message impossible to build (``email`` refuses it) or, worse, would start
a new header, so such text is refused at input: :func:`single_line` is a
marshmallow validator, :func:`header_errors` checks the fields of a dict the
way an operation receives them. Both API and pages use them, and any service
that takes such text in may reuse them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from marshmallow import ValidationError

# C0 and C1 controls (line feed, carriage return, tab, NUL, ESC ...), DEL and the Unicode line and paragraph
# separators: everything email.policy, iCalendar or a terminal would read as a break or a control.
_NOT_ONE_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
MESSAGE = "Use one line without line breaks or control characters."
HEADER_FIELDS = ("name", "title", "email_subject")


def is_single_line(value: str) -> bool:
    return not _NOT_ONE_LINE.search(value)


def single_line(value: str | None) -> None:
    """marshmallow validator: ``fields.String(validate=single_line)``."""
    if value is not None and not is_single_line(value):
        raise ValidationError(MESSAGE)


def header_errors(data: Mapping, fields: Iterable[str] = HEADER_FIELDS) -> dict[str, list[str]]:
    """Problem ``errors`` for the given fields of ``data`` that are not one line (empty when all are)."""
    return {field: [MESSAGE] for field in fields
            if isinstance(data.get(field), str) and not is_single_line(data[field])}
