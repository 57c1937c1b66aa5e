"""Use cases of the sessions service.

Each function changes state and, for calendar entries (programs, one-off
sessions, series), writes the entry's event into the outbox in the same
transaction: callers commit once, so a change and its event exist together or
not at all. Functions raise :mod:`docbox_shared.problems` errors for bad input
before touching anything.

One module per area: :mod:`.states` (entry states and the outbox),
:mod:`.checks` (checks shared by the use cases), :mod:`.programs`,
:mod:`.sessions` (one-off sessions), :mod:`.series`, :mod:`.occurrences`,
:mod:`.attendance`, :mod:`.deletion`. Callers use this package's names.
"""

from docbox_shared.clock import now

from .attendance import NotStarted, can_record_attendance, counts_between, record_attendance
from .checks import MAX_SESSION_LENGTH
from .deletion import HasAttendance, delete_series, delete_session
from .occurrences import (
                          Cancelled,
                          Started,
                          cancel_occurrence,
                          find_occurrence,
                          list_occurrences,
                          move_occurrence,
                          restore_occurrence,
)
from .programs import create_program, get_program, update_program
from .series import create_series, end_series, get_series, update_series
from .sessions import create_session, get_session, update_session
from .states import STATES, _publish, program_state, republish_all, series_span, series_state, session_state

__all__ = ["MAX_SESSION_LENGTH", "STATES", "Cancelled", "HasAttendance", "delete_series", "delete_session", "NotStarted", "Started", "_publish", "can_record_attendance",
           "cancel_occurrence", "counts_between", "create_program", "create_series", "create_session", "end_series",
           "find_occurrence", "get_program", "get_series", "get_session", "list_occurrences", "move_occurrence",
           "now", "program_state", "record_attendance", "republish_all", "restore_occurrence", "series_span",
           "series_state", "session_state", "update_program", "update_series", "update_session"]
