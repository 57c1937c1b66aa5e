"""The one identity of a calendar entry in every calendar: feeds, CalDAV and mailed invitations.

``docbox-<kind>-<entry id>`` with every character outside ``[A-Za-z0-9._-]``
escaped as ``~XX`` (its UTF-8 bytes), so it is stable forever and safe as a
CalDAV resource name on any server (no ``/``). A series has one UID; its
occurrences are told apart by RECURRENCE-ID, never by a UID of their own.
"""

from __future__ import annotations

_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-_")


def uid_for(kind: str, entry_id: str) -> str:
    """The UID of a one-off session (``kind="session"``) or a series (``"series"``)."""
    escaped = "".join(c if c in _SAFE else "".join(f"~{b:02X}" for b in c.encode()) for c in entry_id)
    return f"docbox-{kind}-{escaped}"
