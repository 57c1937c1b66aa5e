"""Settings of the case-based program (joined to the service's ``config.SETTINGS``).

The first-contact window, business hours, holidays and training validity are
the service's (:mod:`docbox_outreach.config`); these are the program's own.
"""

from __future__ import annotations

from docbox_shared.settings import Setting, at_least

SETTINGS = [
    Setting("DOCBOX_OUTREACH_ESCALATE_AFTER_HOURS", "CASE_ESCALATE_AFTER_HOURS", 24,
            "Hours after a first contact's due time at which an overdue pairing is escalated to the coordinators "
            "(the supporter is reminded at the due time).", at_least(1, "an escalation comes after the reminder")),
    Setting("DOCBOX_OUTREACH_CASE_RETENTION_MONTHS", "CASE_RETENTION_MONTHS", 12,
            "Months after a pairing closes at which its identifiable rows are deleted (a de-identified row stays).",
            at_least(1, "a closed pairing may be re-opened by a new referral for a while")),
]
