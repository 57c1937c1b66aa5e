"""Ranking supporters for a referral: who the coordinator is offered first, and why others are not."""

from __future__ import annotations

from datetime import date, timedelta

from docbox_outreach.domain.matching import Supporter, rank_supporters
from docbox_outreach.domain.vocabulary import DivisionPreference

TODAY = date(2026, 6, 1)
TWO_YEARS = timedelta(days=730)


def supporter(id, division="Cardiology", trained=(date(2026, 1, 10),), capacity=3, load=0, resting=False):
    return Supporter(id, division, tuple(trained), capacity, load, resting)


def ranked(supporters, preference=None, line=(), physician="doc"):
    return rank_supporters(supporters, physician, "Cardiology", preference, TODAY, TWO_YEARS, line)


def test_lighter_relative_load_first_then_spare_places_then_freshest_training():
    order = ranked([supporter("busy", load=2), supporter("idle", load=0), supporter("big", capacity=6, load=2),
                    supporter("older", trained=(date(2025, 1, 1),)), supporter("fresh", trained=(date(2026, 5, 1),))])
    assert [c.supporter.id for c in order] == ["fresh", "idle", "older", "big", "busy"]
    assert all(c.eligible for c in order)


def test_division_preference_outranks_load():
    people = [supporter("same-busy", load=2), supporter("other-idle", division="Nephrology")]
    assert ranked(people, DivisionPreference.SAME)[0].supporter.id == "same-busy"
    assert ranked(people, DivisionPreference.OTHER)[0].supporter.id == "other-idle"
    assert ranked(people)[0].division_matches is None


def test_refresher_renews_training_and_expiry_day_no_longer_counts():
    expired = supporter("lapsed", trained=(TODAY - TWO_YEARS,))
    renewed = supporter("renewed", trained=(date(2023, 1, 1), date(2025, 2, 1)))
    by_id = {c.supporter.id: c for c in ranked([expired, renewed])}
    assert by_id["lapsed"].not_eligible == (f"training expired on {TODAY.isoformat()}",)
    assert by_id["renewed"].eligible and by_id["renewed"].training_expires_on == date(2027, 2, 1)


def test_ineligible_supporters_come_last_with_every_reason():
    order = ranked([supporter("full", load=3), supporter("resting", resting=True), supporter("boss"),
                    supporter("doc"), supporter("never", trained=()), supporter("ok", load=2)], line={"boss"})
    assert order[0].supporter.id == "ok"
    reasons = {c.supporter.id: c.not_eligible for c in order[1:]}
    assert reasons == {"full": ("at capacity",), "resting": ("resting",),
                       "boss": ("in the physician's reporting line",), "doc": ("is the physician",),
                       "never": ("not trained",)}
