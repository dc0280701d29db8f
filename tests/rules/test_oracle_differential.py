"""The engine against the brute-force oracle: same matches, on random and large registries."""

from __future__ import annotations

import random
from datetime import date, timedelta

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dualrel.graph.model import Person, Registry, Tie
from dualrel.rules import evaluate, load_ruleset, prepare, shipped_rulesets
from dualrel.testing import registries
from tests.oracle import oracle

#: the shipped rulesets, and one whose rules supersede inherited ones
SHIPPED = [*sorted(shipped_rulesets()), "tests/rules/data/compose.yaml"]
COMPILED = {name: prepare(name)[0] for name in SHIPPED}


def engine_matches(report):
    return {(f.rule, tuple(sorted(f.subjects.items())), f.evidence) for f in report.findings}


@pytest.mark.parametrize("name", SHIPPED)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_engine_equals_oracle_on_random_registries(name, data):
    compiled = COMPILED[name]
    kinds = sorted(k for k in compiled.schema.kinds if k in compiled.ruleset.kinds)
    reg = data.draw(registries(max_people=8, max_ties=16, kinds=kinds))
    report = evaluate(reg, compiled)
    assert engine_matches(report) == oracle(compiled.ruleset, reg, reg.as_of)


RULES = [(name, rule.id) for name in SHIPPED for rule in COMPILED[name].ruleset.rules]


@pytest.mark.parametrize(("name", "rule_id"), RULES)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_engine_equals_oracle_where_each_rule_is_likely_to_fire(name, rule_id, data):
    # few people and only the rule's own kinds: most draws come close to a match
    compiled = COMPILED[name]
    rule = compiled.ruleset.rule(rule_id)
    kinds = sorted({k for c in rule.match.ties for k in c.kinds if k in compiled.ruleset.kinds})
    # a rule of records only reads no tie (tests/rules/test_practice_oracle.py draws records)
    reg = data.draw(registries(max_people=4, max_ties=8, kinds=kinds or ["coaching"]))
    assert engine_matches(evaluate(reg, compiled)) == oracle(compiled.ruleset, reg, reg.as_of)


def big_registry(n_coaches: int, clients_per_coach: int, seed: int) -> Registry:
    """One giant component: coaches share clients, families and business partners."""
    rng = random.Random(seed)
    as_of = date(2026, 1, 1)
    people: list[Person] = []
    ties: list[Tie] = []
    coaches = [f"co{i}" for i in range(n_coaches)]
    clients = [f"cl{i}" for i in range(n_coaches * clients_per_coach)]
    relatives = [f"re{i}" for i in range(n_coaches)]
    people += [Person(c, ("coach",)) for c in coaches]
    people += [Person(c, ("client",)) for c in clients]
    people += [Person(r, ()) for r in relatives]
    everyone = coaches + clients + relatives
    pair_kinds = [
        "romance",
        "business",
        "family",
        "paid_service",
        "employment",
        "friendship",
        "social_media",
        "mentoring",
        "management",
        "supervision",
    ]

    def day() -> date | None:
        return None if rng.random() < 0.2 else as_of + timedelta(days=rng.randint(-1500, 400))

    def add(kind: str, a: str, b: str, **attrs: str) -> None:
        s, e = day(), day()
        if s and e and e < s:
            s, e = e, s
        ties.append(Tie(str(len(ties)), kind, a, b, s, e, attrs))

    for i, coach in enumerate(coaches):
        for j in range(clients_per_coach):
            client = clients[i * clients_per_coach + j]
            attrs = {"agreement_signed": "2025-01-01"} if rng.random() < 0.9 else {}
            add("coaching", coach, client, **attrs)
        add("coaching", coach, rng.choice(clients))  # shared clients join the caseloads
        add("family", coach, relatives[i])
        supervisor = rng.choice(coaches)
        add("supervision", supervisor, coach)
        # plant situations around the caseload, each with random dates (so some match)
        mine = clients[i * clients_per_coach : (i + 1) * clients_per_coach]
        add(rng.choice(pair_kinds), *rng.sample([coach, rng.choice(mine)], 2))
        add(rng.choice(["romance", "business"]), relatives[i], rng.choice(mine))
        if rng.random() < 0.3:
            add(rng.choice(["romance", "family"]), supervisor, coach)
    kinds = [
        "romance",
        "business",
        "family",
        "friendship",
        "social_media",
        "paid_service",
        "employment",
        "mentoring",
        "management",
        "sponsorship",
    ]
    while len(ties) < n_coaches * (clients_per_coach + 6) * 2:
        a, b = rng.sample(everyone, 2)
        add(rng.choice(kinds), a, b)
    return Registry(people=tuple(people), ties=tuple(ties), as_of=as_of)


@pytest.mark.large
def test_nothing_lost_on_300k_ties_in_one_component():

    reg = big_registry(n_coaches=9_000, clients_per_coach=12, seed=7)
    assert len(reg.ties) >= 300_000
    g = nx.Graph()
    g.add_edges_from((t.source, t.target) for t in reg.ties)
    assert max(len(c) for c in nx.connected_components(g)) > 0.95 * len(reg.people)
    rs = load_ruleset("coaching-core")
    report = evaluate(reg, rs)
    expected = oracle(rs, reg, reg.as_of)
    # the test means something only if much matches, under nearly every rule
    assert len(expected) > 5_000
    assert len({m[0] for m in expected}) >= len(rs.rules) - 1
    assert engine_matches(report) == expected
