"""Path clauses (chains of ties): engine against oracle on generated rulesets and
registries, the same findings whatever the partitioning, and located errors."""

from __future__ import annotations

import dataclasses
import hashlib
import tempfile
from datetime import date
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dualrel.errors import RulesetError
from dualrel.graph.model import Person, Registry, Tie
from dualrel.rules import Monitor, evaluate, load_ruleset, prepare
from dualrel.rules import _sessions as sessions
from dualrel.rules import engine as eng
from dualrel.testing import check_properties, registries, registries_matching
from dualrel.testing.mutate import mutants
from tests.oracle import oracle

HEAD = (
    'id: paths\nversion: "1"\ntitle: t\nrules:\n'
    "  - id: {id}\n    title: t\n    category: t\n    severity: low\n    level: 1\n"
    "    remediation: [{{action: a, within_days: 1, owner: coach}}]\n"
    "    match:\n"
)
# removed when the test process ends (a folder made by mkdtemp was left behind by each run)
_TMP = tempfile.TemporaryDirectory(prefix="dualrel-paths-")
_DIR = Path(_TMP.name)


def ruleset_of(match: str, rule_id: str = "p"):
    text = HEAD.format(id=rule_id) + "".join(f"      {line}\n" for line in match.splitlines())
    path = _DIR / f"{hashlib.sha1(text.encode()).hexdigest()}.yaml"
    path.write_text(text)
    return load_ruleset(path)


def found(report):
    return {(f.rule, tuple(sorted(f.subjects.items())), f.evidence) for f in report.findings}


@st.composite
def path_rules(draw):
    """A rule with one or two paths, maybe a tie clause, a negated clause, roles, per."""
    between = draw(st.booleans())
    kinds = (
        draw(st.sampled_from(["family", "[family, romance]"]))
        if between
        else draw(st.sampled_from(["management", "[management, supervision]"]))
    )
    low = draw(st.integers(1, 3))
    high = draw(st.sampled_from([None, low, low + 1, low + 2]))
    ends = "between: [a, b]" if between else "from: a, to: b"
    most = "null" if high is None else high
    path = f"{{as: line, kind: {kinds}, {ends}, min_hops: {low}, max_hops: {most}"
    path += ", active: true}" if draw(st.booleans()) else "}"
    role = draw(st.sampled_from(["", "roles: [coach]", "roles: [manager, client]"]))
    tie = draw(st.sampled_from(["none", "coaching", "coaching-active", "reverse"]))
    lines = ["people:", f"  a: {{{role}}}", "  b: {}"]
    ties = []
    if tie == "coaching":
        ties.append("- {kind: coaching, from: a, to: b}")
    elif tie == "coaching-active":
        ties.append("- {as: c, kind: coaching, from: a, to: b, active: true}")
    elif tie == "reverse":
        ties.append("- {kind: coaching, from: b, to: a}")
    second = draw(st.booleans())
    if second:
        lines.append("  c: {}")
        ties.append("- {kind: coaching, from: c, to: a}")
    if draw(st.booleans()) and ties:
        ties.append("- {kind: supervision, from: b, to: a, exists: false}")
    if ties:
        lines.append("ties:")
        lines += [f"  {t}" for t in ties]
    lines += ["paths:", f"  - {path}"]
    if second and draw(st.booleans()):
        lines.append("  - {kind: management, from: c, to: b, max_hops: 2}")
    if draw(st.booleans()):
        lines.append("per: [a]")
    return "\n".join(lines)


KINDS = ["management", "supervision", "coaching", "family", "romance"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(match=path_rules(), data=st.data())
def test_engine_equals_oracle_on_generated_path_rules(match, data):
    rs = ruleset_of(match)
    reg = data.draw(registries(min_people=3, max_people=6, max_ties=14, kinds=KINDS))
    compiled = prepare(rs)[0]
    want = oracle(rs, reg, reg.as_of)
    assert found(evaluate(reg, compiled)) == want
    # one session per anchor: derived ties reach every session that needs them
    with mock.patch.object(sessions, "SESSION_TIES", 1):
        assert found(evaluate(reg, compiled)) == want


def management_forest(n_trees: int, depth: int, fan: int) -> Registry:
    """Reporting lines: trees of managers; some managers are coaches of people in their
    own line, or in another tree; every chain is unique, so the evidence is known."""
    people: list[Person] = []
    ties: list[Tie] = []
    for t in range(n_trees):
        level = [f"m{t}"]
        people.append(Person(f"m{t}", ("manager", "coach")))
        for d in range(depth):
            nxt = []
            for boss in level:
                for k in range(fan):
                    pid = f"{boss}.{k}"
                    people.append(Person(pid, ("manager", "coach") if d < depth - 1 else ()))
                    ties.append(Tie(f"m-{pid}", "management", boss, pid))
                    nxt.append(pid)
            level = nxt
        leaf = level[-1]
        ties.append(Tie(f"c-{t}-own", "coaching", f"m{t}", leaf))
        ties.append(Tie(f"c-{t}-other", "coaching", f"m{t}", f"m{(t + 1) % n_trees}.0"))
        ties.append(Tie(f"c-{t}-mid", "coaching", f"m{t}.1", f"m{t}.1.0"))
    return Registry(tuple(people), tuple(ties), as_of=date(2026, 1, 1))


OWN_LINE = """people:
  coach: {roles: [coach]}
  client: {}
ties:
  - {kind: coaching, from: coach, to: client, active: true}
paths:
  - {as: line, kind: management, from: coach, to: client, active: true}"""


def test_a_coach_in_their_own_reporting_line_at_any_depth():
    reg = management_forest(3, 4, 2)
    report = evaluate(reg, ruleset_of(OWN_LINE))
    chains = {(f.subjects["coach"], f.subjects["client"]): f.evidence for f in report.findings}
    own = {
        (f"m{t}", f"m{t}.1.1.1.1"): (
            f"c-{t}-own",
            f"m-m{t}.1",
            f"m-m{t}.1.1",
            f"m-m{t}.1.1.1",
            f"m-m{t}.1.1.1.1",
        )
        for t in range(3)
    }
    direct = {(f"m{t}.1", f"m{t}.1.0"): (f"c-{t}-mid", f"m-m{t}.1.0") for t in range(3)}
    assert chains == own | direct


def test_findings_are_the_same_whatever_the_partitioning(monkeypatch):
    monkeypatch.setattr(eng, "_PARALLEL_MIN_KEYS", 0)
    monkeypatch.setattr(eng, "_PARALLEL_MIN_TIES", 0)
    reg = management_forest(6, 3, 3)
    rs = ruleset_of(
        "people:\n  coach: {roles: [coach]}\n  client: {}\n  below: {}\n"
        "ties:\n  - {kind: coaching, from: coach, to: client}\n"
        "paths:\n  - {kind: management, from: coach, to: client}\n"
        "  - {kind: management, from: client, to: below, min_hops: 1, max_hops: 2}"
    )
    whole = evaluate(reg, rs)
    assert whole.findings
    monkeypatch.setattr(sessions, "SESSION_TIES", 1)
    assert evaluate(reg, rs) == whole
    assert evaluate(reg, rs, jobs=2) == whole


def test_of_several_shortest_chains_the_evidence_is_the_smallest_list_of_tie_ids():
    people = tuple(Person(p, ()) for p in ("a", "x", "y", "b"))
    ties = (
        Tie("t9", "management", "a", "x"),
        Tie("t2", "management", "x", "b"),
        Tie("t5", "management", "a", "y"),
        Tie("t1", "management", "y", "b"),
        Tie("t0", "management", "a", "b", end=date(2020, 1, 1)),  # ended: not active
    )
    reg = Registry(people, ties, as_of=date(2026, 1, 1))
    rs = ruleset_of(
        "people: {a: {}, b: {}}\npaths:\n  - {kind: management, from: a, to: b, "
        "min_hops: 2, active: true}"
    )
    by_pair = {(f.subjects["a"], f.subjects["b"]): f.evidence for f in evaluate(reg, rs).findings}
    assert by_pair == {("a", "b"): ("t5", "t1")}
    assert by_pair == {(dict(s)["a"], dict(s)["b"]): e for _, s, e in oracle(rs, reg, reg.as_of)}


def test_min_hops_reads_the_distance_not_any_longer_chain():
    people = tuple(Person(p, ()) for p in ("a", "x", "b"))
    ties = (
        Tie("t1", "management", "a", "x"),
        Tie("t2", "management", "x", "b"),
        Tie("t3", "management", "a", "b"),
    )
    reg = Registry(people, ties, as_of=date(2026, 1, 1))
    rs = ruleset_of(
        "people: {a: {}, b: {}}\npaths:\n  - {kind: management, from: a, to: b, min_hops: 2}"
    )
    assert evaluate(reg, rs).findings == ()


def test_a_monitor_refuses_path_rules_and_names_them():
    rs = ruleset_of(OWN_LINE, rule_id="own-line")
    with pytest.raises(TypeError, match="paths/own-line"):
        Monitor(rs)


@pytest.mark.parametrize(
    ("match", "code", "where"),
    [
        (
            "people: {a: {}, b: {}}\npaths:\n  - {kind: managment, from: a, to: b}",
            "unknown-kind",
            "did you mean 'management'",
        ),
        (
            "people: {a: {}, b: {}}\npaths:\n  - {kind: family, from: a, to: b}",
            "undirected-kind",
            "between",
        ),
        (
            "people: {a: {}, b: {}}\npaths:\n  - {kind: management, from: a, to: c}",
            "unknown-variable",
            "'c'",
        ),
        (
            "people: {a: {}, b: {}}\npaths:\n  - {kind: management, from: a, to: a}",
            "self-tie",
            "itself",
        ),
        (
            "people: {a: {}, b: {}}\nties:\n  - {as: x, kind: coaching, from: a, to: b}\n"
            "paths:\n  - {as: x, kind: management, from: a, to: b}",
            "duplicate-clause",
            "'x'",
        ),
        (
            "people: {a: {}, b: {}}\nties:\n  - {as: c, kind: coaching, from: a, to: b}\n"
            "paths:\n  - {as: line, kind: management, from: a, to: b}\n"
            "where: [line.start <= c.start]",
            "where-syntax",
            "'line' is a path",
        ),
        (
            "people: {a: {}, b: {}, c: {}}\nties:\n  - {kind: coaching, from: a, to: b}\n"
            "paths:\n  - {kind: management, from: c, to: c}",
            "self-tie",
            "itself",
        ),
    ],
)
def test_path_mistakes_are_located_errors(match, code, where):
    with pytest.raises(RulesetError) as info:
        ruleset_of(match)
    problems = info.value.problems
    hit = [p for p in problems if p.code == code]
    assert hit, problems
    assert where in hit[0].message
    assert hit[0].line is not None and hit[0].line > 8  # under match:, not the file's top


def test_max_hops_below_min_hops_is_a_located_schema_error():
    with pytest.raises(RulesetError) as info:
        ruleset_of(
            "people: {a: {}, b: {}}\npaths:\n  - {kind: management, from: a, to: b, "
            "min_hops: 3, max_hops: 2}"
        )
    assert any("max_hops (2) is less than min_hops (3)" in p.message for p in info.value.problems)


def test_a_path_binds_and_connects_its_variables():
    rs = ruleset_of(
        "people: {a: {}, b: {}, c: {}}\nties:\n  - {kind: coaching, from: a, to: b}\n"
        "paths:\n  - {kind: management, from: b, to: c, max_hops: 3}"
    )
    assert rs.rules[0].match.paths[0].max_hops == 3


PLANTABLE = [
    OWN_LINE,
    "people: {a: {roles: [supervisor]}, b: {}}\nties:\n  - {kind: supervision, from: a, to: b}\n"
    "paths:\n  - {kind: [management, mentoring], from: a, to: b, min_hops: 3, max_hops: 4}",
    "people: {a: {}, b: {}, c: {}}\nties:\n  - {kind: coaching, from: a, to: b, active: true}\n"
    "  - {kind: family, between: [a, c], exists: false}\n"
    "paths:\n  - {as: kin, kind: family, between: [b, c], min_hops: 2, active: true}",
]


@pytest.mark.parametrize("match", PLANTABLE)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_registries_matching_plants_paths(match, data):
    rs = ruleset_of(match)
    reg = data.draw(registries_matching(rs, "p"))
    found_here = found(evaluate(reg, rs))
    assert any(rule == "p" for rule, _, _ in found_here)
    assert found_here == oracle(rs, reg, reg.as_of)


def test_the_properties_leave_path_rules_to_their_cases():
    rs = ruleset_of(OWN_LINE)
    results = check_properties(rs, max_examples=5)
    assert all(r.passed for r in results), [(r.name, r.message) for r in results]


def test_every_mutant_of_a_path_rule_compiles():
    # a mutant that drops a person a path names is not a valid rule, and is not made
    rs = ruleset_of(
        "people: {coach: {}, manager: {}, report: {}}\nties:\n"
        "  - {kind: coaching, from: coach, to: manager, active: true}\n"
        "  - {kind: coaching, from: coach, to: report, active: true}\n"
        "paths:\n  - {kind: management, from: manager, to: report}"
    )
    made = [m.apply(rs.rules[0]) for m in mutants(rs)]
    assert made
    for rule in made:
        if rule is not None:
            prepare(dataclasses.replace(rs, rules=(rule,)))
