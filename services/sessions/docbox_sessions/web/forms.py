"""Reading submitted forms into the values operations expect.

A :class:`Reader` reads one field at a time from a
:class:`docbox_shared.pages.FormState`, converts it, and on bad input adds a
message to that field (the page shows it next to the field, with what the
person typed kept). Operations then check the rules that need the database;
their ``ValidationProblem.errors`` use the API's field names, which
``FormState.merge(errors, rename)`` maps onto the form's. Texts, dates and
numbers follow the same rules as the API (:mod:`docbox_shared.inputs`).
"""

from __future__ import annotations

from datetime import date, datetime, time

from docbox_shared.inputs import MAX_ID, email_errors, line_errors, text_errors, year_errors
from docbox_shared.pages import FormState

MULTI_LINE = {"description", "what_to_expect"}


class Reader:
    def __init__(self, form: FormState):
        self.form = form

    def _raw(self, name: str) -> str:
        value = self.form.get(name)
        return (value[0] if isinstance(value, list) and value else str(value or "")).strip()

    def text(self, name: str, required: bool = False, max_length: int = 200, what: str = "this") -> str | None:
        value = self._raw(name)
        if not value:
            if required:
                self.form.add(name, f"Enter {what}.")
            return None
        check = text_errors if name in MULTI_LINE else line_errors
        for message in check(value, max_length):
            self.form.add(name, message)
        return value

    def email(self, name: str, max_length: int = 254) -> str | None:
        """An optional email address; empty is None."""
        value = self._raw(name)
        if not value:
            return None
        for message in email_errors(value, max_length):
            self.form.add(name, message)
        return value

    def whole(self, name: str, lo: int, hi: int, required: bool = False, what: str = "a number") -> int | None:
        value = self._raw(name)
        if not value:
            if required:
                self.form.add(name, f"Enter {what}.")
            return None
        if not (value.isascii() and value.isdigit() and len(value) <= 12):  # int() refuses "²" and 5,000 digits
            self.form.add(name, f"Enter a whole number, like {max(lo, min(hi, 12))}.")
            return None
        number = int(value)
        if not lo <= number <= hi:
            self.form.add(name, f"Enter a number from {lo} to {hi}.")
            return None
        return number

    def day(self, name: str, required: bool = True) -> date | None:
        value = self._raw(name)
        if not value:
            if required:
                self.form.add(name, "Enter a date.")
            return None
        try:
            day = date.fromisoformat(value)
        except ValueError:
            self.form.add(name, "Enter a real date, like 2027-03-17.")
            return None
        for message in year_errors(day):
            self.form.add(name, message)
        return day

    def clock_time(self, name: str, required: bool = True) -> time | None:
        value = self._raw(name)
        if not value:
            if required:
                self.form.add(name, "Enter a time.")
            return None
        for pattern in ("%H:%M", "%H:%M:%S", "%I:%M %p", "%I:%M%p", "%H.%M"):
            try:
                return datetime.strptime(value.upper(), pattern).time()
            except ValueError:
                continue
        self.form.add(name, "Enter a time like 19:00 or 7:00 PM.")
        return None

    def choice(self, name: str, options, required: bool = True, what: str = "one") -> str | None:
        value = self._raw(name)
        if not value:
            if required:
                self.form.add(name, f"Choose {what}.")
            return None
        if value not in [str(o) for o in options]:
            self.form.add(name, f"Choose {what} from the list.")
            return None
        return value

    def flag(self, name: str) -> bool:
        return bool(self._raw(name))

    def ids(self, name: str) -> list[int]:
        result = []
        for value in self.form.getlist(name):
            value = value.strip()
            if value.isascii() and value.isdigit() and len(value) <= 10 and int(value) <= MAX_ID:
                result.append(int(value))
            else:
                self.form.add(name, "Choose from the list.")
        return result


PAST_FIELD = "confirm_past"


def confirm_past(form: FormState, start: datetime, moment: datetime) -> bool:
    """A start already gone is most often a mistyped date: the page asks once, and the form sends
    ``confirm_past`` (a tick box shown with the question) to save it anyway. True to go on."""
    if start >= moment or form.get(PAST_FIELD):
        return True
    form.add(PAST_FIELD, f"This starts in the past ({start:%a %-d %b %Y, %H:%M}). Check the date, "
                         "or tick the box to save it in the past.")
    return False
