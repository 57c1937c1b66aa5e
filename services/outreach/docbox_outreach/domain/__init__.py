"""Pure rules of the outreach service: no Flask, no database, no clock.

Every function takes plain values (dataclasses, dates, aware datetimes) and
returns plain values, so the web layer, the workers and the benchmarks call
the same code. Time is always passed in: nothing here reads the current time.

Privacy shapes every signature here: nothing takes or returns free text,
notes, reasons, moods, health information, or patient, case or claim
identifiers. People are opaque ids (roster rows hold name, work email,
division, reporting line and a leadership flag, nothing else); outcomes are
members of the fixed enumerations in :mod:`.vocabulary`.
"""
