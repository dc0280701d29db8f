"""Findings: fields, remediation due dates and assignees, fingerprints, report order."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, timedelta

from hypothesis import given, settings

from dualrel.graph.model import Person, Registry, Tie
from dualrel.rules import evaluate, load_ruleset
from dualrel.testing import registries

AS_OF = date(2026, 3, 1)


def practice(*extra: Tie) -> Registry:
    people = tuple(Person(p) for p in ("co", "cl", "sup", "mgr", "sup2"))
    ties = (
        Tie("c", "coaching", "co", "cl", start=date(2025, 1, 1)),
        Tie("r", "romance", "cl", "co", start=date(2025, 6, 1)),
        *extra,
    )
    return Registry(people=people, ties=ties, as_of=AS_OF)


def test_a_finding_carries_everything_the_rule_says():
    report = evaluate(practice(), "coaching-core")
    f = next(f for f in report.findings if f.rule == "romance-active-client")
    rule = load_ruleset("coaching-core").rule("romance-active-client")
    assert (f.ruleset.id, f.ruleset.version) == ("coaching-core", "1.0.0")
    assert (f.title, f.category, f.severity, f.level) == (rule.title, rule.category, "critical", 3)
    assert dict(f.subjects) == {"coach": "co", "client": "cl"}
    assert f.evidence == ("c", "r")  # clause order, not file order
    assert [c.clause for c in f.citations] == [c.clause for c in rule.citations]
    assert [(s.action, s.due) for s in f.remediation] == [
        (s.action, AS_OF + timedelta(days=s.within_days)) for s in rule.remediation
    ]


def test_assignees_come_from_active_supervision_and_management_ties():
    report = evaluate(practice(), "coaching-core")
    f = next(f for f in report.findings if f.rule == "romance-active-client")
    by_owner = {s.owner: s for s in f.remediation}
    assert by_owner["coach"].assignee == "co"
    assert by_owner["manager"].assignee is None
    assert by_owner["manager"].unassigned_reason == "no active management tie to the coach"
    assert by_owner["ethics_committee"].assignee is None

    report = evaluate(
        practice(
            Tie("m", "management", "mgr", "co"),
            Tie("s_old", "supervision", "sup2", "co", end=date(2024, 1, 1)),
            Tie("s", "supervision", "sup", "co"),
        ),
        "coaching-core",
    )
    f = next(f for f in report.findings if f.rule == "romance-active-client")
    assert {s.owner: s.assignee for s in f.remediation}["manager"] == "mgr"


def test_supervisor_assignee_ignores_ended_supervision():
    reg = Registry(
        people=tuple(Person(p) for p in ("co", "cl", "sup", "old")),
        ties=(
            Tie("c", "coaching", "co", "cl", end=date(2025, 1, 1)),
            Tie("r", "romance", "co", "cl", start=date(2025, 6, 1)),
            Tie("s1", "supervision", "old", "co", end=date(2025, 12, 31)),
            Tie("s2", "supervision", "sup", "co"),
        ),
        as_of=AS_OF,
    )
    (f,) = [f for f in evaluate(reg, "coaching-core").findings if f.rule == "romance-former-client"]
    assert [s.assignee for s in f.remediation if s.owner == "supervisor"] == ["sup"]


@settings(max_examples=60, deadline=None)
@given(registries(max_people=6, max_ties=14))
def test_fingerprints_ignore_input_order_and_evaluation_date(reg):
    base = evaluate(reg, "coaching-core")
    rng = random.Random(0)
    people, ties = list(reg.people), list(reg.ties)
    rng.shuffle(people)
    rng.shuffle(ties)
    shuffled = evaluate(replace(reg, people=tuple(people), ties=tuple(ties)), "coaching-core")
    assert shuffled == base  # same findings, same order
    assert len({f.fingerprint for f in base.findings}) == len(base.findings)
    later = evaluate(reg, "coaching-core", as_of=reg.as_of + timedelta(days=1))
    same = {(f.rule, tuple(f.subjects.items()), f.evidence): f.fingerprint for f in base.findings}
    for f in later.findings:
        key = (f.rule, tuple(f.subjects.items()), f.evidence)
        if key in same:
            assert same[key] == f.fingerprint


def test_report_is_ordered_by_level_then_severity_and_counts():
    reg = practice(
        Tie("b", "business", "co", "cl"),
        Tie("fr", "friendship", "co", "cl"),
    )
    report = evaluate(reg, "coaching-core")
    levels = [f.level for f in report.findings]
    assert levels == sorted(levels, reverse=True)
    assert report.by_level() == {3: 1, 2: 1, 1: 2}
    assert report.by_rule()["coaching-core/business-active-client"] == 1
