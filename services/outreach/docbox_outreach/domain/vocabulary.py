"""Every fixed list of the outreach programs, in one place.

Both programs record what happened only as members of these enumerations: a
channel, an outcome, a trigger, a closing reason. There is deliberately no
"other, please specify" anywhere: a free-text field is where a note about what
was said, why someone declined or how they are doing would end up, and such a
note could be read in a lawsuit (peer support is in most places not protected
from discovery). ``Trigger.OTHER`` is a bare code, never followed by text.

The string values are what the database, the API and the CSV exports carry;
they never change once released (add members, do not rename them). Labels are
the words on the pages.
"""

from __future__ import annotations

from enum import StrEnum


class Labelled(StrEnum):
    """A fixed code with a human label (``Channel.IN_PERSON.label == "in person"``)."""

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


class Channel(Labelled):
    """How a mentor or supporter reached out (both programs)."""

    CALL = "call"
    TEXT = "text"
    EMAIL = "email"
    IN_PERSON = "in_person"
    VIDEO = "video"


class AttemptOutcome(Labelled):
    """What one attempt of a mentor came to (one-on-one program)."""

    ATTEMPTED = "attempted"
    REACHED = "reached"
    DECLINED = "declined"
    FOLLOW_UP_REQUESTED = "follow_up_requested"
    RESOURCES_SHARED = "resources_shared"


class OptOutScope(Labelled):
    """How long a mentee's opt-out lasts: this round, or every later round until withdrawn."""

    THIS_ROUND = "this_round"
    FOR_GOOD = "for_good"


class Trigger(Labelled):
    """Why a physician was referred (case-based program). The type only: never the case."""

    QUALITY_REVIEW = "quality_review"
    LITIGATION = "litigation"
    OTHER = "other"


class ContactOutcome(Labelled):
    """What one contact of a supporter came to (case-based program)."""

    NO_ANSWER = "no_answer"
    REACHED = "reached"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    DEFERRED = "deferred"
    FOLLOW_UP_PLANNED = "follow_up_planned"


class ClosingReason(Labelled):
    """Why a pairing was closed (case-based program)."""

    SUPPORT_GIVEN = "support_given"
    DECLINED = "declined"
    NO_RESPONSE = "no_response"
    MOVED_ON = "moved_on"
    NO_ACTIVITY = "no_activity"   # the worker closed it: nothing happened for CASE_IDLE_DAYS


class DivisionPreference(Labelled):
    """A physician's wish about their supporter's division, where known."""

    SAME = "same"
    OTHER = "other"


# The first-contact windows a coordinator may choose, in hours (issue 14).
FIRST_CONTACT_HOURS = (24, 48, 72)
DEFAULT_FIRST_CONTACT_HOURS = 48

# The one outcome that sums up a pairing's contacts: the first of this order
# that occurred (an acceptance outweighs a later "no answer", and so on).
PAIRING_OUTCOME_ORDER = (ContactOutcome.ACCEPTED, ContactOutcome.DECLINED, ContactOutcome.DEFERRED,
                         ContactOutcome.REACHED, ContactOutcome.FOLLOW_UP_PLANNED, ContactOutcome.NO_ANSWER)
