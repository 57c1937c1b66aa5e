"""The case-based program: peer support after a quality review or a lawsuit (issue 14).

A referrer names a physician, a trigger type and a date and learns nothing
more (:mod:`.referrals`); the coordinator matches a trained supporter who
attests to having no conflict (:mod:`.pairings`, :mod:`.supporters`); the
first contact is due within a set time, with a reminder and then an
escalation (:mod:`.timers`); contacts are fixed outcomes; closing takes a
reason code; identifiable rows are deleted on schedule and a de-identified
row stays (:mod:`.retention`); a yearly survey's answers link to no one
(:mod:`.survey`); reports are exact for the coordinator and suppressed for
viewers (:mod:`.reports`).

What the service around it provides (database, roster, mail queue, staff
sign-in) is named in :mod:`.host`; the tables are in :mod:`.models`.
"""
