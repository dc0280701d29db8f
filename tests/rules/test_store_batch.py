"""A batch store is the store made tie by tie: ``Store.add_ties`` files what ``add_tie``
files, ``all_candidates`` finds the anchors ``is_candidate`` allows, and a tie's fact text,
made once per kind, dates and attribute mapping, is the text made for that tie alone."""

from __future__ import annotations

from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dualrel.graph.model import Person, Registry, Tie
from dualrel.rules import prepare
from dualrel.rules._facts import Clock, Numbering, TieFacts
from dualrel.rules._sessions import Store
from dualrel.rules.plan import CompiledRuleset
from dualrel.testing import registries

AS_OF = date(2026, 1, 1)
COMPILED = [prepare(name)[0] for name in ("coaching-core", "tests/rules/data/people.yaml")]


def _filed(store: Store) -> tuple[object, ...]:
    index = store.index
    return (
        list(index.ties),
        {p: [t.id for t in ts] for p, ts in index.adjacency.items() if ts},
        {p: [t.id for t in ts] for p, ts in index.overseers.items() if ts},
        dict(store.tie_number),
    )


def _store(compiled: CompiledRuleset, reg: Registry) -> Store:
    store = Store(compiled, AS_OF)
    for person in reg.people:
        store.add_person(person)
    return store


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(reg=registries(max_people=8, max_ties=24), which=st.sampled_from(range(len(COMPILED))))
def test_add_ties_files_what_add_tie_files(reg: Registry, which: int) -> None:
    compiled = COMPILED[which]
    one, many = _store(compiled, reg), _store(compiled, reg)
    for tie in reg.ties:
        one.add_tie(tie)
    many.add_ties(reg.ties)
    assert _filed(many) == _filed(one)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(reg=registries(max_people=8, max_ties=24), which=st.sampled_from(range(len(COMPILED))))
def test_all_candidates_are_the_people_is_candidate_allows(reg: Registry, which: int) -> None:
    compiled = COMPILED[which]
    store = _store(compiled, reg)
    store.add_ties(reg.ties)
    keys = store.all_candidates()
    assert len(keys) == len(set(keys))
    assert set(keys) == {
        (rule.name, person)
        for rule in compiled.rules
        for person in store.number
        if store.is_candidate(rule, person)
    }


def _tie_facts(people: list[Person]) -> TieFacts:
    schema = COMPILED[0].schema
    number = {p.id: i for i, p in enumerate(people)}
    roles = {p.id: frozenset(p.roles) for p in people}
    return TieFacts(schema, Clock(AS_OF), Numbering(number, roles, {}, lambda *_: None))


PEOPLE = [Person("co", ("coach",)), Person("cl", ("client",)), Person("x", ("client",))]


def test_ties_sharing_kind_dates_and_attributes_get_the_text_each_would_get_alone() -> None:
    signed = {"agreement_signed": "2025-01-01"}
    ties = [
        Tie("t1", "coaching", "co", "cl", start=date(2025, 1, 1), attributes=signed),
        Tie("t2", "coaching", "co", "x", start=date(2025, 1, 1), attributes=signed),
        Tie("t3", "romance", "cl", "co", start=date(2025, 1, 1), attributes=signed),
        Tie("t4", "coaching", "co", "x", start=date(2025, 2, 1), attributes=signed),
    ]
    shared = _tie_facts(PEOPLE)
    for tie in ties:
        assert shared.bodies(tie) == _tie_facts(PEOPLE).bodies(tie)


def test_a_changed_attribute_dict_is_read_again() -> None:
    attributes: dict[str, str] = {}
    facts = _tie_facts(PEOPLE)
    first = Tie("t1", "coaching", "co", "cl", attributes=attributes)
    before = facts.bodies(first)
    attributes["agreement_signed"] = "2025-01-01"  # a plain dict can change
    second = Tie("t2", "coaching", "co", "cl", attributes=attributes)
    assert facts.bodies(second) == _tie_facts(PEOPLE).bodies(second)
    assert facts.bodies(second) != before
