"""One validation of what comes in, for every service: APIs, pages and events.

Whatever a person or a script sends is checked here, once, by the same rules,
so that what the sessions service accepts every consumer can store and show:

- *line*: one line of text (a name, a title, an email subject, a slug). No
  control character at all, no line or paragraph separator: a line may end up
  in a mail header or a calendar property, where a line break would start a
  new header. :func:`line_errors`, the marshmallow field :class:`Line`.
- *text*: several lines (a description). Line breaks and tabs are allowed,
  other control characters (NUL ...) are not. :func:`text_errors`, :class:`Text`.
- every string: no lone surrogate (``"\\ud800"`` is valid JSON but no UTF-8),
  no NUL (PostgreSQL cannot store it), at most the column's length.
- *year*: a date or instant between 1970 and 2199; near year 1 or 9999 date
  arithmetic (a window, a month grid, a rule's next occurrence) overflows.
  :func:`year_errors`, :func:`plausible_year`.
- *email*: one address (a program's contact), a line that marshmallow's
  email validator accepts, at most 254 characters. :func:`email_errors`, :class:`EmailLine`.
- *whole number*: an integer inside a range (ids fit 32 bits).
- *mail address*: one an SMTP envelope can carry (Doc Box sends without
  SMTPUTF8): an ASCII local part, the domain in its IDNA form.
  :func:`mail_address`.
- the raw request: :func:`guard_request` refuses, before any view runs, a JSON
  body that is nested too deeply, holds a number Python will not read or that
  no column could hold, or a string with NUL or a lone surrogate; a NUL or
  surrogate in a query or form value; and answers 404 for a path parameter no
  stored id can have. It runs in every Doc Box app (``problems``).
"""

from __future__ import annotations

import json
import math
import re
from datetime import date, datetime

from marshmallow import ValidationError, fields, validate

FIRST_YEAR, LAST_YEAR = 1970, 2199
MAX_DEPTH = 32                 # JSON nesting: Doc Box's deepest body is 3
MAX_JSON_INTEGER = 2 ** 53 - 1  # what every JSON parser reads exactly; more fits no Doc Box value
MAX_ID = 2 ** 31 - 1            # integer ids (staff)
MAX_PATH_PARAMETER = 200

# Documented in the OpenAPI document as the field's pattern (apispec reads validate.Regexp).
LINE_PATTERN = r"^[^\x00-\x1f\x7f-\x9f\u2028\u2029]*$"
TEXT_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]*$"
_LINE = re.compile(LINE_PATTERN[1:-1])
_TEXT = re.compile(TEXT_PATTERN[1:-1])


class BadRequestBody(ValueError):
    """A body that is not JSON Doc Box reads (400)."""


def _has_surrogate(value: str) -> bool:
    return any("\ud800" <= ch <= "\udfff" for ch in value)


def string_errors(value: str, max_length: int | None = None) -> list[str]:
    """What every stored string must satisfy: no NUL, no lone surrogate, not too long."""
    errors = []
    if "\x00" in value:
        errors.append("Must not contain a NUL character.")
    if _has_surrogate(value):
        errors.append("Must be valid Unicode text (a lone surrogate was sent).")
    if max_length is not None and len(value) > max_length:
        errors.append(f"Use at most {max_length} characters.")
    return errors


def line_errors(value: str, max_length: int | None = None) -> list[str]:
    """Messages for a one-line text; empty when it is fine."""
    errors = string_errors(value, max_length)
    if not _LINE.fullmatch(value) and not errors:
        errors.append("Must be one line, without line breaks or control characters.")
    return errors


def text_errors(value: str, max_length: int | None = None) -> list[str]:
    """Messages for a multi-line text (line breaks and tabs allowed); empty when it is fine."""
    errors = string_errors(value, max_length)
    if not _TEXT.fullmatch(value) and not errors:
        errors.append("Must not contain control characters.")
    return errors


MAX_EMAIL = 254  # RFC 5321's longest path
_EMAIL = validate.Email()


def email_errors(value: str, max_length: int = MAX_EMAIL) -> list[str]:
    """Messages for one email address (``name@example.org``); empty when it is fine."""
    errors = line_errors(value, max_length)
    if not errors:
        try:
            _EMAIL(value)
        except ValidationError:
            errors.append("Enter an email address like name@example.org.")
    return errors


class _FullMatch(validate.Regexp):
    """A Regexp validator that matches the whole value (``$`` also matches before a final newline)."""

    def __init__(self, pattern: str, check, max_length: int | None):
        super().__init__(pattern)
        self.check, self.max_length = check, max_length

    def __call__(self, value):
        errors = self.check(value, self.max_length)
        if errors:
            raise ValidationError(errors)
        return value


class Line(fields.String):
    """One line of text, at most ``max_length`` characters (and at least ``min_length``)."""

    def __init__(self, max_length: int, min_length: int = 0, **kwargs):
        validators = [validate.Length(min=min_length or None, max=max_length), _FullMatch(LINE_PATTERN, line_errors, None)]
        super().__init__(validate=validators + list(kwargs.pop("validate", [])), **kwargs)


class Text(fields.String):
    """Multi-line text, at most ``max_length`` characters."""

    def __init__(self, max_length: int, **kwargs):
        validators = [validate.Length(max=max_length), _FullMatch(TEXT_PATTERN, text_errors, None)]
        super().__init__(validate=validators + list(kwargs.pop("validate", [])), **kwargs)


class EmailLine(fields.String):
    """One email address (:func:`email_errors`)."""

    def __init__(self, max_length: int = MAX_EMAIL, **kwargs):
        validators = [validate.Length(max=max_length), _FullMatch(LINE_PATTERN, email_errors, max_length)]
        super().__init__(validate=validators + list(kwargs.pop("validate", [])),
                         metadata={"format": "email"} | kwargs.pop("metadata", {}), **kwargs)


def Whole(lo: int, hi: int, **kwargs) -> fields.Integer:  # noqa: N802 - a field factory reads like a field
    """An integer from ``lo`` to ``hi``; JSON numbers like 2.0 or "2" are refused."""
    return fields.Integer(strict=True, validate=validate.Range(min=lo, max=hi), **kwargs)


def Id(**kwargs) -> fields.Integer:  # noqa: N802
    """An integer id (staff): 1 to 2**31 - 1, so a lookup never overflows a column."""
    return Whole(1, MAX_ID, **kwargs)


# --- mail addresses --------------------------------------------------------------

def mail_address(value: str) -> str:
    """``value`` (an address already checked for its shape) as Doc Box stores and mails it: an internationalized
    domain in its IDNA form (``bücher.example`` -> ``xn--bcher-kva.example``). ``ValueError`` with a sentence
    for one no envelope without SMTPUTF8 can carry (a non-ASCII local part) or a domain IDNA refuses."""
    local, _, domain = value.strip().rpartition("@")
    if not local.isascii():
        raise ValueError("Use an address with only ASCII letters, digits and punctuation before the @.")
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise ValueError("The part after the @ is not a valid domain name.") from exc
    return f"{local}@{domain}"


# --- dates ---------------------------------------------------------------------

def year_errors(value: date | datetime | None) -> list[str]:
    if value is not None and not FIRST_YEAR <= value.year <= LAST_YEAR:
        return [f"Use a date between {FIRST_YEAR} and {LAST_YEAR}."]
    return []


def plausible_year(value: date | datetime) -> None:
    """Marshmallow validator: dates from 1970 to 2199."""
    errors = year_errors(value)
    if errors:
        raise ValidationError(errors)


def parse_day(value: str | None) -> date | None:
    """``YYYY-MM-DD`` between 1970 and 2199, or None."""
    try:
        day = date.fromisoformat((value or "").strip())
    except ValueError:
        return None
    return None if year_errors(day) else day


def parse_month(value: str | None) -> date | None:
    """The first day of ``YYYY-MM`` between 1970 and 2199, or None."""
    match = re.fullmatch(r"(\d{4})-(\d{1,2})", (value or "").strip())
    if not match:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    if not (1 <= month <= 12 and FIRST_YEAR <= year <= LAST_YEAR):
        return None
    return date(year, month, 1)


# --- raw requests --------------------------------------------------------------

def _refuse_constant(name: str):
    raise BadRequestBody(f"{name} is not a JSON number")


def load_json(raw: bytes | str):
    """Parse a request body as strict JSON; :class:`BadRequestBody` when Doc Box cannot read it."""
    try:
        return json.loads(raw, parse_constant=_refuse_constant)
    except RecursionError:
        raise BadRequestBody(f"The JSON is nested too deeply (at most {MAX_DEPTH} levels).") from None
    except UnicodeDecodeError:
        raise BadRequestBody("The body is not UTF-8.") from None
    except BadRequestBody:
        raise
    except json.JSONDecodeError as exc:
        raise BadRequestBody(f"The body is not valid JSON: {exc.msg} at position {exc.pos}.") from None
    except ValueError:  # Python reads integers of at most 4300 digits
        raise BadRequestBody("The body holds a number with too many digits.") from None


def body_errors(document) -> dict[str, list[str]]:
    """Problems of a parsed JSON body by top-level field: bad strings, numbers no column holds.

    Raises :class:`BadRequestBody` for nesting deeper than ``MAX_DEPTH``. Walks
    without recursion, so any depth is safe to inspect.
    """
    errors: dict[str, list[str]] = {}
    top = document if isinstance(document, dict) else {"_body": document}
    for field, value in top.items():
        name = field if isinstance(field, str) and not string_errors(field) else "_body"
        if name == "_body" and isinstance(field, str):
            errors.setdefault(name, []).append("A field name is not valid text.")
        stack = [(value, 2)]
        while stack:
            item, depth = stack.pop()
            if depth > MAX_DEPTH:
                raise BadRequestBody(f"The JSON is nested too deeply (at most {MAX_DEPTH} levels).")
            message = None
            if isinstance(item, str):
                message = (string_errors(item) or [None])[0]
            elif isinstance(item, bool) or item is None:
                continue
            elif isinstance(item, int):
                if abs(item) > MAX_JSON_INTEGER:
                    message = "The number is too large."
            elif isinstance(item, float):
                if not math.isfinite(item):
                    message = "The number is too large."
            elif isinstance(item, dict):
                for key, sub in item.items():
                    if string_errors(key):
                        message = "A field name is not valid text."
                    stack.append((sub, depth + 1))
            elif isinstance(item, list):
                stack.extend((sub, depth + 1) for sub in item)
            if message and message not in errors.get(name, []):
                errors.setdefault(name, []).append(message)
    return errors


def guard_request(request, json_prefixes: tuple[str, ...]) -> None:
    """Refuse input no Doc Box code should see; raises a problem (``problems``) or does nothing."""
    from werkzeug.exceptions import NotFound

    from .problems import Problem, ValidationProblem

    for value in (request.view_args or {}).values():
        if isinstance(value, str) and (string_errors(value, MAX_PATH_PARAMETER) or not _LINE.fullmatch(value)):
            raise NotFound("Nothing has this id.")
    errors: dict[str, list[str]] = {}
    sources = [request.args] + ([request.form] if request.method in ("POST", "PUT", "PATCH") else [])
    for source in sources:
        for name, value in source.items(multi=True):
            problems = string_errors(name) + string_errors(value)
            if problems:
                errors.setdefault(name if not string_errors(name) else "_query", problems[:1])
    if errors:
        raise ValidationProblem("Some values are not valid text.", errors=errors)
    if request.method in ("POST", "PUT", "PATCH") and request.path.startswith(json_prefixes) and request.is_json:
        raw = request.get_data(cache=True)
        if not raw:
            return
        try:
            errors = body_errors(load_json(raw))
        except BadRequestBody as exc:
            raise Problem(str(exc)) from None
        if errors:
            raise ValidationProblem("Some fields are not valid.", errors=errors)
