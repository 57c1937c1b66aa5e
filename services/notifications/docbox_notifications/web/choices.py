"""What the faculty forms offer: programs, reminder times, digest or reminders, time zones.

Field names are the same on the subscribe form and the manage page:
``programs`` (checkboxes of program ids), ``offsets`` (checkboxes of minutes
before the start, from :data:`~docbox_notifications.operations.OFFSET_CHOICES`),
``digest`` (radio: ``off`` = reminders before each session, ``on`` = one
email each Monday instead) and ``timezone`` (an IANA name, empty = the
program's).
"""

from __future__ import annotations

from functools import lru_cache
from zoneinfo import available_timezones

from ..models import inbox
from ..operations import OFFSET_CHOICES

REGIONS = ("Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia", "Europe", "Indian",
           "Pacific")
DIGEST_OPTIONS = [("off", "A reminder before each session"),
                  ("on", "One email each Monday listing the week's sessions, instead of reminders")]


def offset_options() -> list[tuple[str, str]]:
    return [(str(minutes), f"{label} before") for minutes, label in OFFSET_CHOICES.items()]


def open_programs() -> dict[str, dict]:
    """Programs faculty may subscribe to (marked ``open`` by sessions), by name."""
    return {p.entry_id: p.data for p in inbox.programs(open_only=True)}


def program_options(programs: dict[str, dict]) -> list[tuple[str, str]]:
    return [(pid, data.get("name") or pid) for pid, data in programs.items()]


@lru_cache(maxsize=1)
def _zone_names() -> tuple[str, ...]:
    # Canonical "Region/City" names only: the legacy aliases (US/Eastern, Etc/GMT+5 ...) only lengthen the list.
    return tuple(sorted(z for z in available_timezones() if z.split("/", 1)[0] in REGIONS and "/" in z))


def timezone_options(current: str = "") -> list[tuple[str, str]]:
    names = list(_zone_names())
    if current and current not in names:
        names.insert(0, current)
    return [(name, name.replace("_", " ")) for name in names]


def program_zone_label(programs: dict[str, dict], chosen: list[str]) -> str:
    """Text of the empty time-zone option: the zone the digest would use (the first chosen program's)."""
    for pid in sorted(chosen):
        if pid in programs and programs[pid].get("timezone"):
            return f"Same as the program ({programs[pid]['timezone'].replace('_', ' ')})"
    return "Same as the program"


def read_offsets(values: list[str]) -> tuple[list[int], list[str]]:
    """Chosen offsets (minutes) and the values that are not one of the choices."""
    good, bad = [], []
    for value in values:
        if value.isascii() and value.isdigit() and len(value) <= 6 and int(value) in OFFSET_CHOICES:
            good.append(int(value))
        else:
            bad.append(value)
    return sorted(set(good), reverse=True), bad
