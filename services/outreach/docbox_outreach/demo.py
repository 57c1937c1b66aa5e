"""Demo data for ``make run``: a roster of 100 faculty, then each program's own (``flask seed-demo``)."""

from __future__ import annotations

import random

from sqlalchemy import func, select

from .models import Member, db
from .roster import import_roster

FIRST = ["Ada", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hugo", "Iris", "Jon", "Kemi", "Luis", "Mei",
         "Nora", "Omar", "Priya", "Quinn", "Rosa", "Sam", "Tariq"]
LAST = ["Abbott", "Baker", "Chen", "Diaz", "Evans"]
DEMO_MENTOR = "mentor@docbox.example"
DIVISIONS = ["Cardiology", "Nephrology", "Oncology", "Pulmonology", "Gastroenterology"]


def roster_csv(n: int = 100, seed: int = 1) -> tuple[str, list[str]]:
    """A department of ``n``: a chair, a head per division, everyone else in a division; and 10 mentors
    (two per division, one of them outside any line above the heads, so the chair can be mentored)."""
    rng = random.Random(seed)
    names = [f"{f} {last}" for last in LAST for f in FIRST][:n]
    emails = [f"{name.lower().replace(' ', '.')}@example.org" for name in names]
    lines = ["name,work email,division,reports to,leadership", f"{names[0]},{emails[0]},Medicine,,yes"]
    heads = {}
    for i, division in enumerate(DIVISIONS, start=1):
        heads[division] = emails[i]
        lines.append(f"{names[i]},{emails[i]},{division},{emails[0]},yes")
    for i in range(len(DIVISIONS) + 1, n):
        division = DIVISIONS[i % len(DIVISIONS)]
        boss = heads[division] if rng.random() < 0.9 else ""
        lines.append(f"{names[i]},{emails[i]},{division},{boss},")
    staff = [e for i, e in enumerate(emails) if i > len(DIVISIONS)]
    # The demo's mentor account of the staff pages (sessions' seed-demo) is on the roster as one of them.
    lines[-1] = f"Morgan Mentor,{DEMO_MENTOR},{DIVISIONS[0]},{heads[DIVISIONS[0]]},"
    mentors = [DEMO_MENTOR, *rng.sample(staff[:-1], 9)]
    return "\n".join(lines) + "\n", mentors


def seed() -> str | None:
    """Seed an empty database; None when a roster exists already."""
    if db.session.scalar(select(func.count()).select_from(Member)):
        return None
    text, mentors = roster_csv()
    import_roster(text.encode())
    from .oneonone.demo import seed as seed_oneonone
    done = seed_oneonone(mentors)
    from .cases.demo import seed as seed_cases
    return f"Seeded 100 faculty; {done}; {seed_cases()}"
