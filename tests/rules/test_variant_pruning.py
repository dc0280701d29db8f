"""Variants no record can satisfy stay out of the engine (``Store.definition``).

A variant (one alternative of a rule's ``where``) needs, for each of its positive record
clauses, a record passing the tests that clause makes of a record alone; when no record
kept passes them, the variant cannot fire and is not handed to durable-rules.  These tests
hold the findings to those of the full definition, and check that a variant some record
can satisfy is kept.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, note, settings

from dualrel.graph import Agreement, Contact, Person, Practice, Registry, Tie, load_registry
from dualrel.rules import _admit, _sessions, evaluate, prepare
from dualrel.rules._build import build_store
from dualrel.rules._record_filter import OneFieldFilter
from dualrel.rules._tester import lenient_tester
from dualrel.testing.strategies import practice_registries, registry_json

ROOT = Path(__file__).resolve().parents[2]
PRACTICE = prepare("coaching-practice")[0]
AS_OF = date(2026, 11, 26)


def _variant_names(rule_id: str) -> list[str]:
    rule = next(r for r in PRACTICE.rules if r.rule.id == rule_id)
    return [v.name for v in rule.variants]


def _findings(reg: Registry, *, pruned: bool, monkeypatch: pytest.MonkeyPatch) -> list:
    with monkeypatch.context() as m:
        if not pruned:
            m.setattr(_sessions.Store, "definition", lambda self: self.compiled.definition)
        report = evaluate(reg, PRACTICE, as_of=reg.as_of)
    return [(f.rule, f.subjects, f.evidence, f.records) for f in report.findings]


def _store(reg: Registry) -> _sessions.Store:
    assert reg.as_of is not None
    return build_store(PRACTICE, reg, reg.as_of, prune=True)


def test_the_example_leaves_out_variants_no_record_satisfies(monkeypatch) -> None:
    reg = load_registry(ROOT / "examples" / "practice.json")
    kept = _store(reg).definition()
    outside = _variant_names("contact-outside-agreement")
    # every agreement of the example lists email: "email is not listed" cannot fire
    assert outside[0] not in kept and outside[0] in PRACTICE.definition
    assert set(kept) < set(PRACTICE.definition)
    full = _findings(reg, pruned=False, monkeypatch=monkeypatch)
    assert len(full) == 28
    assert _findings(reg, pruned=True, monkeypatch=monkeypatch) == full


def _one_coaching(channels: tuple[str, ...], contact_channel: str) -> Registry:
    tz = UTC
    monday = datetime(2026, 11, 23, 10, tzinfo=tz)  # a Monday, within 08:00-19:00
    contacts = tuple(
        Contact(f"ct{i}", "co1", "cl1", contact_channel, monday - timedelta(days=7 * i), "coach")
        for i in range(3)
    )
    agreement = Agreement(
        "ag1",
        "t1",
        signed=date(2026, 1, 5),
        roles=("coach",),
        covers=("confidentiality", "escalation"),
        channels=channels,
        response_window_hours=24,
        reviewed=date(2026, 11, 1),
        hours="08:00-19:00",
        days=("mon", "tue", "wed", "thu", "fri"),
    )
    return Registry(
        people=(Person("co1", ("coach",)), Person("cl1", ("client",))),
        ties=(Tie("t1", "coaching", "co1", "cl1", start=date(2026, 1, 1)),),
        as_of=AS_OF,
        practice=Practice(agreements=(agreement,), contacts=contacts),
    )


def test_a_variant_one_record_satisfies_is_kept_and_fires(monkeypatch) -> None:
    reg = _one_coaching(("email",), "phone")
    kept = _store(reg).definition()
    email, phone = _variant_names("contact-outside-agreement")[:2]
    assert email not in kept  # the agreement lists email
    assert phone in kept  # ... and not phone: the phone contacts can breach it
    found = _findings(reg, pruned=True, monkeypatch=monkeypatch)
    assert [f[0] for f in found].count("contact-outside-agreement") == 1
    assert found == _findings(reg, pruned=False, monkeypatch=monkeypatch)


def test_without_any_record_of_a_section_its_variants_are_left_out(monkeypatch) -> None:
    reg = _one_coaching(("email",), "email")
    reg = Registry(reg.people, reg.ties, as_of=reg.as_of, practice=Practice())
    kept = _store(reg).definition()
    for rule_id in ("contact-outside-agreement", "late-responses"):
        assert not set(_variant_names(rule_id)) & set(kept)
    found = _findings(reg, pruned=True, monkeypatch=monkeypatch)
    rules = {f[0] for f in found}
    assert "agreement-missing-or-incomplete" in rules
    assert not rules & {"contact-outside-agreement", "late-responses"}
    assert found == _findings(reg, pruned=False, monkeypatch=monkeypatch)


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(reg=practice_registries(max_people=6))
def test_pruned_and_full_definitions_find_the_same(reg, monkeypatch) -> None:
    note(registry_json(reg))
    pruned = _findings(reg, pruned=True, monkeypatch=monkeypatch)
    assert pruned == _findings(reg, pruned=False, monkeypatch=monkeypatch)


def _filters_agree(reg: Registry) -> int:
    """For every section with a fast filter: it keeps exactly the records ``fill`` and
    ``tester`` keep, with the same fields; how many records were compared."""
    assert reg.as_of is not None
    store = _sessions.Store(PRACTICE, reg.as_of)
    compared = 0
    for section, tests in _admit.section_filters(PRACTICE).items():
        common = [t for t in tests if t != {"k": f"@{section}"}]
        keys = frozenset(_admit.fields_of(common))
        layout = store.layouts(section, keys)
        fast = layout.filling_tester(common)
        if fast is None:
            continue
        check = lenient_tester(common)
        kept = []
        for rec in reg.practice.section(section):
            fact: dict = {"k": layout.kind}
            layout.fill(rec, f"{section}/{rec.id}", fact)
            assert fast(rec) == (fact if check(fact) else None)
            if check(fact):
                kept.append(rec)
            compared += 1
        if isinstance(fast, OneFieldFilter):  # each value again: from the memo, the same
            assert [r for r in reg.practice.section(section) if fast(r) is not None] == kept
    return compared


def test_the_fast_filter_keeps_what_fill_and_tester_keep_on_the_example() -> None:
    reg = load_registry(ROOT / "examples" / "practice.json")
    assert _filters_agree(reg) > 0  # contacts at least take the fast filter


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(reg=practice_registries(max_people=6))
def test_the_fast_filter_keeps_what_fill_and_tester_keep(reg) -> None:
    note(registry_json(reg))
    _filters_agree(reg)


# -- records no clause can use stay out: tests of a record alone, and bounds ---------------


def _all_admitted(monkeypatch: pytest.MonkeyPatch) -> None:
    # read by a clause no rule counts: admitted, whatever its group
    monkeypatch.setattr(_admit.Admits, "__call__", lambda self, fact: (True, frozenset()))


def _unpruned(reg: Registry, monkeypatch: pytest.MonkeyPatch) -> list:
    """The findings with every record admitted and the full definition."""
    with monkeypatch.context() as m:
        _all_admitted(m)
        return _findings(reg, pruned=False, monkeypatch=m)


def _contacts_kept(reg: Registry) -> set[str]:
    return {rid for rid in _store(reg).record_index.records if rid.startswith("contacts/")}


def _two_ties(contacts: list[tuple[str, str, str, str]]) -> Registry:
    """co1 coaches cl1 (t1: agreed 08:00-19:00, 24 h) and cl2 (t2: 10:00-12:00, 48 h),
    on every day, by email; ``contacts`` are (tie, local time, initiated by, answered)."""
    tz = timezone(timedelta(hours=1))
    agreements = tuple(
        Agreement(
            f"ag{tie}",
            tie,
            signed=date(2026, 1, 5),
            roles=("coach",),
            covers=("confidentiality", "escalation"),
            channels=("email",),
            response_window_hours=window,
            reviewed=date(2026, 11, 1),
            hours=hours,
            days=("mon", "tue", "wed", "thu", "fri", "sat", "sun"),
        )
        for tie, hours, window in (("t1", "08:00-19:00", 24), ("t2", "10:00-12:00", 48))
    )
    rows = []
    for i, (tie, hhmm, by, answered) in enumerate(contacts):
        at = datetime(2026, 11, 20, int(hhmm[:2]), int(hhmm[3:]), tzinfo=tz) - timedelta(days=i)
        responded = None if not answered else at + timedelta(hours=float(answered))
        client = "cl1" if tie == "t1" else "cl2"
        rows.append(Contact(f"ct{i}", "co1", client, "email", at, by, responded))
    return Registry(
        people=(Person("co1", ("coach",)), Person("cl1", ("client",)), Person("cl2", ("client",))),
        ties=(
            Tie("t1", "coaching", "co1", "cl1", start=date(2026, 1, 1)),
            Tie("t2", "coaching", "co1", "cl2", start=date(2026, 1, 1)),
        ),
        as_of=AS_OF,
        practice=Practice(agreements=agreements, contacts=tuple(rows)),
    )


def test_bounds_compare_with_the_widest_partner_and_keep_every_record_that_can_match(
    monkeypatch,
) -> None:
    # t2's window is 10:00-12:00: 09:00 and 12:30 are outside it, though inside t1's;
    # a bound read from the wrong end of the agreements' hours would drop them
    reg = _two_ties(
        [("t2", "09:00", "coach", "")] * 3
        + [("t2", "12:30", "coach", "")] * 3
        + [("t1", "11:00", "coach", "")] * 2  # inside both windows: can match nothing
        + [("t1", "19:30", "client", "30")] * 3  # late for t1 (24 h), answered in 30 h
    )
    kept = _contacts_kept(reg)
    assert kept == {f"contacts/ct{i}" for i in (0, 1, 2, 3, 4, 5, 8, 9, 10)}
    found = _findings(reg, pruned=True, monkeypatch=monkeypatch)
    assert sorted(
        f[0] for f in found if f[0] in ("contact-outside-agreement", "late-responses")
    ) == [
        "contact-outside-agreement",
        "contact-outside-agreement",
        "late-responses",
    ]
    assert _unpruned(reg, monkeypatch) == found


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(reg=practice_registries(max_people=6))
def test_records_left_out_change_no_finding(reg, monkeypatch) -> None:
    note(registry_json(reg))
    pruned = _findings(reg, pruned=True, monkeypatch=monkeypatch)
    assert _unpruned(reg, monkeypatch) == pruned


# -- a count's or share's records in groups too small for it stay out ---------------------


def _no_count_groups(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_admit.Admits, "counted", staticmethod(lambda compiled, section: {}))


def test_contacts_are_counted_per_coach_and_client_outside_the_agreement_and_when_late() -> None:
    outside, late = (
        next(r for r in PRACTICE.rules if r.rule.id == rule_id)
        for rule_id in ("contact-outside-agreement", "late-responses")
    )
    alias = next(p.alias for p in outside.records if p.section == "contacts")
    assert late.counted_share is not None
    assert _admit.Admits.counted(PRACTICE, "contacts") == {
        outside.name: _admit.Counted(alias, ("client", "coach"), 3, None),
        late.name: _admit.Counted(alias, ("client", "coach"), 0.2, late.counted_share.people),
    }
    assert _admit.Admits.counted(PRACTICE, "agreements") == {}


def test_records_a_count_alone_reads_are_kept_in_groups_that_can_reach_it(monkeypatch) -> None:
    # cl1 (t1, 08:00-19:00, 24 h): two contacts from the coach at 19:30, which only the
    # count of contact-outside-agreement reads, and one from the client, answered in 30 h,
    # which late-responses reads too: three in the group, as many as the count asks, so
    # all three are kept (the third counts though it is kept anyway).  cl2 (t2,
    # 10:00-12:00): two from the coach at 09:00, two in their group: left out
    reg = _two_ties(
        [("t1", "19:30", "coach", "")] * 2
        + [("t1", "19:30", "client", "30")]
        + [("t2", "09:00", "coach", "")] * 2
    )
    kept = _contacts_kept(reg)
    assert kept == {"contacts/ct0", "contacts/ct1", "contacts/ct2"}
    with monkeypatch.context() as m:
        _no_count_groups(m)
        every = _contacts_kept(reg)
    assert every == kept | {"contacts/ct3", "contacts/ct4"}
    found = _findings(reg, pruned=True, monkeypatch=monkeypatch)
    outside = [f for f in found if f[0] == "contact-outside-agreement"]
    assert outside == [
        (
            "contact-outside-agreement",
            {"client": "cl1", "coach": "co1"},
            ("t1",),
            ("agreements/agt1", "contacts/ct0", "contacts/ct1", "contacts/ct2"),
        )
    ]
    assert "late-responses" in {f[0] for f in found}
    assert _unpruned(reg, monkeypatch) == found


def test_a_group_one_short_of_the_count_is_left_out_whole(monkeypatch) -> None:
    # the same, less one of cl1's contacts from the coach: two in the group, none kept for
    # the count, and the one late-responses reads is kept for it
    reg = _two_ties([("t1", "19:30", "coach", ""), ("t1", "19:30", "client", "30")])
    kept = _contacts_kept(reg)
    assert kept == {"contacts/ct1"}
    found = _findings(reg, pruned=True, monkeypatch=monkeypatch)
    assert "contact-outside-agreement" not in {f[0] for f in found}
    assert _unpruned(reg, monkeypatch) == found


@pytest.mark.parametrize(
    ("late", "kept"),
    [
        (1, set()),  # 1 of 5 is not more than a fifth (late_response_share 0.2)
        (2, {"contacts/ct0", "contacts/ct1"}),  # 2 of 5 is
    ],
)
def test_late_contacts_are_kept_in_groups_whose_share_can_pass(late, kept, monkeypatch) -> None:
    # five contacts from cl1 within the agreed hours, ``late`` of them answered in 30 h
    # (t1 agrees 24 h), the others in one: late-responses alone reads the late ones
    reg = _two_ties(
        [("t1", "11:00", "client", "30")] * late + [("t1", "11:00", "client", "1")] * (5 - late)
    )
    contacts = _contacts_kept(reg)
    assert contacts == kept
    found = _findings(reg, pruned=True, monkeypatch=monkeypatch)
    assert [f[3] for f in found if f[0] == "late-responses"] == (
        [("agreements/agt1", *sorted(kept))] if kept else []
    )
    with monkeypatch.context() as m:
        _no_count_groups(m)
        every = _contacts_kept(reg)
        assert every == {f"contacts/ct{i}" for i in range(late)}
    assert _unpruned(reg, monkeypatch) == found


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(reg=practice_registries(max_people=6, max_contacts=12))
def test_count_groups_leave_out_records_and_change_no_finding(reg, monkeypatch) -> None:
    note(registry_json(reg))
    kept = set(_store(reg).record_index.records)
    found = _findings(reg, pruned=True, monkeypatch=monkeypatch)
    with monkeypatch.context() as m:
        _no_count_groups(m)
        assert kept <= set(_store(reg).record_index.records)
        assert _findings(reg, pruned=True, monkeypatch=m) == found
