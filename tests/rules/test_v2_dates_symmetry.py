"""Issue 15, items 5, 6 and 8: symmetric patterns reported once; known dates, fixed dates
and date attributes; conditions on negated tie clauses; named sub-patterns.

The engine against the brute-force oracle on random registries (also with two jobs and
as a Monitor fed one tie at a time), the checks' located errors, the compiler's symmetry
detection against the oracle's own, and planting with ``registries_matching``.
"""

from __future__ import annotations

import tempfile
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dualrel.errors import RulesetError
from dualrel.graph.model import Person, Registry, Tie
from dualrel.rules import engine as eng
from dualrel.rules import evaluate, prepare
from dualrel.rules._symmetry import symmetries
from dualrel.rules.monitor import Monitor
from dualrel.rules.schema import Match
from dualrel.testing import check_properties, registries, registries_matching
from tests.oracle import _rule_findings, automorphisms, oracle

AS_OF = date(2026, 1, 1)
HEAD = """\
id: v2-sym
version: "1"
title: items 5, 6 and 8 of issue 15
parameters: {window_days: 90, hire_days: 365}
"""
RULE = """\
  - id: {id}
    title: {id}
    category: test
    severity: medium
    level: 2
    remediation: [{{action: Look, within_days: 7, owner: coach}}]
    match:
"""
PATTERNS = """\
patterns:
  coached:
    people: {coach: {roles: [coach]}, client: {}}
    ties:
      - {as: coaching, kind: coaching, from: coach, to: client}
  coached_twice:
    people: {coach: {}, a: {}, b: {}}
    use:
      - {pattern: coached_b, with: {client: a}}
      - {pattern: coached_b, with: {client: b}}
  coached_b:
    people: {coach: {roles: [coach]}, client: {}}
    ties:
      - {kind: coaching, from: coach, to: client}
"""
MATCHES = {
    # item 6: known start, a date attribute, a fixed date
    "romance-began-during": """\
      use: [coached]
      people: {coach: {}, client: {}}
      ties:
        - {as: romance, kind: romance, between: [coach, client], known: [start]}
      where:
        - romance.start >= coaching.start
        - romance.start <= coaching.end
        - coaching.agreement_signed <= romance.start
        - romance.start >= 2025-01-01
""",
    # item 6: known end, and a former client hired within a window
    "former-client-hired": """\
      people: {coach: {}, client: {}}
      ties:
        - {as: coaching, kind: coaching, from: coach, to: client, ended: true, known: [end]}
        - {as: job, kind: employment, from: coach, to: client, known: [start]}
      where:
        - job.start >= coaching.end
        - job.start <= coaching.end + hire_days
""",
    # item 8: a negated clause with dates (no supervision in the last 90 days)
    "no-recent-supervision": """\
      use: [coached]
      people: {coach: {}, client: {}, sup: {}}
      ties:
        - {as: sv, kind: supervision, from: sup, to: coach, exists: false}
      where:
        - sv.end >= as_of - window_days
        - sv.start <= 2025-12-31
""",
    # item 8: a negated clause with an attribute condition, against the match's dates
    "sponsored-without-early-agreement": """\
      people: {sponsor: {}, client: {}, someone: {}}
      ties:
        - {as: sp, kind: sponsorship, from: sponsor, to: client}
        - {as: ag, kind: coaching, from: someone, to: client, exists: false,
           attributes: {agreement_signed: {present: true}}}
      where:
        - ag.agreement_signed <= sp.start
""",
    # item 5: symmetric patterns
    "clients-in-romance": """\
      use: [coached_twice]
      people: {coach: {}, a: {}, b: {}}
      ties:
        - {kind: romance, between: [a, b]}
""",
    "business-partners": """\
      people: {x: {}, y: {}}
      ties:
        - {as: deal, kind: business, between: [x, y]}
      where:
        - deal.start <= as_of
""",
    "partners-per": """\
      people: {x: {}, y: {}, c: {}}
      ties:
        - {kind: business, between: [x, y]}
        - {kind: coaching, from: c, to: x}
        - {kind: coaching, from: c, to: y}
      per: [x, y]
""",
    # looks symmetric, is not: the two coaching ties have different tests
    "not-symmetric": """\
      people: {coach: {}, a: {}, b: {}}
      ties:
        - {kind: coaching, from: coach, to: a, active: true}
        - {kind: coaching, from: coach, to: b}
        - {kind: romance, between: [a, b]}
""",
}
SYMMETRIC = {"clients-in-romance", "business-partners", "partners-per"}
KINDS = ["coaching", "romance", "business", "supervision", "employment", "sponsorship"]


def ruleset_text(ids=None) -> str:
    rules = "".join(
        RULE.format(id=rid) + body for rid, body in MATCHES.items() if ids is None or rid in ids
    )
    return HEAD + PATTERNS + "rules:\n" + rules


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    path = tmp_path_factory.mktemp("v2") / "v2.yaml"
    path.write_text(ruleset_text(), encoding="utf-8")
    return prepare(path)[0]


def found(report):
    return {(f.rule, tuple(sorted(f.subjects.items())), f.evidence) for f in report.findings}


@st.composite
def dated_registries(draw):
    """Random registries whose coaching ties carry any agreement_signed: a date, none,
    or text that is no date."""
    reg = draw(registries(max_people=6, max_ties=14, kinds=KINDS))
    signed = st.one_of(
        st.none(),
        st.sampled_from(["2025-02-30", "soon", "20250101"]),
        st.integers(-800, 300).map(lambda d: (AS_OF + timedelta(days=d)).isoformat()),
    )
    ties = []
    for t in reg.ties:
        attributes = dict(t.attributes)
        if t.kind == "coaching":
            value = draw(signed)
            attributes.pop("agreement_signed", None)
            if value is not None:
                attributes["agreement_signed"] = value
        ties.append(Tie(t.id, t.kind, t.source, t.target, t.start, t.end, attributes))
    return Registry(reg.people, tuple(ties), as_of=reg.as_of, kinds=reg.kinds)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(reg=dated_registries())
def test_engine_equals_oracle(compiled, reg):
    assert found(evaluate(reg, compiled)) == oracle(compiled.ruleset, reg, reg.as_of)


@pytest.fixture(scope="module")
def monitored():
    # the Monitor refuses rules that group matches (partners-per)
    return load_ruleset_text(ruleset_text(set(MATCHES) - {"partners-per"}))


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(reg=dated_registries())
def test_two_jobs_and_the_monitor_find_the_same(compiled, monitored, reg, monkeypatch_module):
    one = found(evaluate(reg, compiled))
    monkeypatch_module.setattr(eng, "_PARALLEL_MIN_KEYS", 0)
    monkeypatch_module.setattr(eng, "_PARALLEL_MIN_TIES", 0)
    assert found(evaluate(reg, compiled, jobs=2)) == one
    monitor = Monitor(monitored, Registry(reg.people, (), as_of=reg.as_of))
    try:
        for tie in reg.ties:
            monitor.add_tie(tie)
        mine = {x for x in one if x[0] != "partners-per"}
        assert found(monitor.report()) == mine
        for tie in reg.ties[::2]:  # and as ties go
            monitor.remove_tie(tie.id)
        rest = Registry(reg.people, reg.ties[1::2], as_of=reg.as_of, kinds=reg.kinds)
        assert found(monitor.report()) == found(evaluate(rest, monitored))
    finally:
        monitor.close()


def test_the_compiler_and_the_oracle_find_the_same_symmetric_rules(compiled):
    for rule in compiled.rules:
        ours = {tuple(sorted(p)) for p in rule.symmetries}
        theirs = {tuple(sorted(s.items())) for s in automorphisms(rule.rule)}
        assert ours == theirs, rule.rule.id
        assert bool(ours) == (rule.rule.id in SYMMETRIC), rule.rule.id


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(reg=dated_registries())
def test_a_symmetry_maps_every_match_onto_a_match(compiled, reg):
    # soundness of the automorphism check: unfiltered, the matches are closed under it
    for rule in compiled.rules:
        every = _rule_findings(rule.rule, compiled.ruleset, reg, reg.as_of)
        subjects = {s for s, _, _ in every}
        for perm in rule.symmetries:
            moved = dict(perm)
            for s in subjects:
                who = dict(s)
                image = tuple(sorted((v, who[moved[v]]) for v in who))
                assert image in subjects, (rule.rule.id, s)


def test_a_couple_is_reported_once_in_the_documented_order(compiled):
    reg = Registry(
        people=(Person("co", ("coach",)), Person("k2", ("client",)), Person("k1", ("client",))),
        ties=(
            Tie("t1", "coaching", "co", "k2"),
            Tie("t2", "coaching", "co", "k1"),
            Tie("t3", "romance", "k2", "k1"),
            Tie("t4", "business", "k2", "k1", start=date(2025, 1, 1)),
        ),
        as_of=AS_OF,
    )
    got = {
        (f.rule, tuple(f.subjects.items()), f.evidence) for f in evaluate(reg, compiled).findings
    }
    assert (
        "clients-in-romance",
        (("a", "k1"), ("b", "k2"), ("coach", "co")),
        ("t3", "t2", "t1"),  # the rule's own clause, then those of the sub-patterns
    ) in {(r, tuple(sorted(s)), e) for r, s, e in got}
    assert sum(r == "clients-in-romance" for r, _, _ in got) == 1
    assert [s for r, s, _ in got if r == "business-partners"] == [(("x", "k1"), ("y", "k2"))]
    assert [s for r, s, _ in got if r == "partners-per"] == [(("x", "k1"), ("y", "k2"))]


def test_known_dates_fixed_dates_and_date_attributes():
    rs = load_ruleset_text(ruleset_text({"romance-began-during"}))

    def fires(romance_start, signed, coaching_start=date(2024, 6, 1)):
        attrs = {} if signed is None else {"agreement_signed": signed}
        reg = Registry(
            people=(Person("co", ("coach",)), Person("cl", ("client",))),
            ties=(
                Tie("c", "coaching", "co", "cl", start=coaching_start, attributes=attrs),
                Tie("r", "romance", "cl", "co", start=romance_start),
            ),
            as_of=AS_OF,
        )
        return bool(evaluate(reg, rs).findings)

    assert fires(date(2025, 3, 1), "2024-05-01")
    assert not fires(None, "2024-05-01")  # an undated romance did not "begin during"
    assert not fires(date(2024, 12, 31), "2024-05-01")  # before the fixed date
    assert not fires(date(2025, 3, 1), "2025-04-01")  # signed after the romance began
    assert not fires(date(2025, 3, 1), None)  # no date: the condition is false
    assert not fires(date(2025, 3, 1), "someday")


def load_ruleset_text(text: str):
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "r.yaml"
        path.write_text(text, encoding="utf-8")
        return prepare(path)[0]


def test_a_negated_clause_with_dates_vetoes_only_ties_meeting_them():
    rs = load_ruleset_text(ruleset_text({"no-recent-supervision"}))

    def fires(sv_end):
        reg = Registry(
            people=(Person("co", ("coach",)), Person("cl"), Person("sv", ("supervisor",))),
            ties=(
                Tie("c", "coaching", "co", "cl"),
                Tie("s", "supervision", "sv", "co", start=date(2020, 1, 1), end=sv_end),
            ),
            as_of=AS_OF,
        )
        return bool(evaluate(reg, rs).findings)

    assert fires(date(2025, 6, 1))  # supervision ended more than 90 days ago
    assert not fires(date(2025, 12, 1))
    assert not fires(None)  # ongoing


def problems_of(text: str) -> list[tuple[str, str]]:
    with pytest.raises(RulesetError) as err:
        load_ruleset_text(text)
    return [(p.code, p.pointer or "") for p in err.value.problems]


def test_located_errors():
    text = HEAD + PATTERNS + "  loop_a:\n    people: {a: {}}\n    use: [loop_b]\n"
    text += "  loop_b:\n    people: {a: {}}\n    use: [loop_a]\n"
    text += "  sloppy:\n    ties:\n      - {kind: romance, between: [p, q]}\n"
    text += (
        "rules:\n"
        + RULE.format(id="bad")
        + """\
      use: [cached, {pattern: coached, with: {clinet: x}}]
      people: {coach: {roles: [client]}, x: {}, s: {}}
      ties:
        - {as: sv, kind: supervision, from: s, to: coach, exists: false}
      where:
        - sv.start >= coaching.agreement_signed
        - coaching.start >= 2025-02-30
        - as_of > 2025-01-01
        - coaching.strat < as_of
"""
    )
    got = problems_of(text)
    assert ("pattern-cycle", "/patterns/loop_a/use/0") in got
    assert ("unknown-variable", "/patterns/sloppy/people") in got
    assert ("unknown-pattern", "/rules/0/match/use/0") in got
    assert ("unknown-variable", "/rules/0/match/use/1/with/clinet") in got
    assert ("pattern-conflict", "/rules/0/match/use/1") in got
    assert ("negated-clause-date", "/rules/0/match/where/0") in got
    assert ("where-syntax", "/rules/0/match/where/1") in got
    assert ("where-syntax", "/rules/0/match/where/2") in got
    assert ("where-syntax", "/rules/0/match/where/3") in got


def test_symmetry_needs_the_whole_pattern_unchanged():
    def perms(match):
        return symmetries(Match.model_validate(match))

    pair = {"people": {"a": {}, "b": {}}, "ties": [{"kind": "romance", "between": ["a", "b"]}]}
    assert perms(pair) == ((("a", "b"), ("b", "a")),)
    directed = {
        "people": {"a": {}, "b": {}},
        "ties": [{"kind": "coaching", "from": "a", "to": "b"}],
    }
    assert perms(directed) == ()
    roles = {**pair, "people": {"a": {"roles": ["coach"]}, "b": {}}}
    assert perms(roles) == ()
    named = {
        **pair,
        "ties": [{"as": "r", "kind": "romance", "between": ["a", "b"]}],
        "per": ["a"],
    }
    assert perms(named) == ()
    dated = {
        "people": {"c": {}, "a": {}, "b": {}},
        "ties": [
            {"as": "x", "kind": "coaching", "from": "c", "to": "a"},
            {"as": "y", "kind": "coaching", "from": "c", "to": "b"},
        ],
        "where": ["x.start < y.start"],
    }
    assert perms(dated) == ()
    both = {**dated, "where": ["x.start <= as_of", "as_of >= y.start"]}
    assert perms(both) == ((("c", "c"), ("a", "b"), ("b", "a")),)


@pytest.mark.parametrize("rule_id", ["romance-began-during", "former-client-hired"])
def test_planting_satisfies_known_fixed_and_attribute_dates(compiled, rule_id):
    @settings(max_examples=25, deadline=None, database=None)
    @given(registries_matching(compiled.ruleset, rule_id))
    def fires(reg):
        assert rule_id in {f.rule for f in evaluate(reg, compiled).findings}

    fires()


def test_the_built_in_properties_hold_for_symmetric_rules(compiled):
    # renaming people changes which ordering of a symmetric match is reported: the
    # invariance property compares such findings unordered
    symmetric = load_ruleset_text(ruleset_text({"clients-in-romance", "business-partners"}))
    results = check_properties(symmetric.ruleset, seed=3, max_examples=60)
    assert [(r.name, r.passed) for r in results if not r.passed] == []
