"""People's organisation and attributes in patterns, and numeric attribute tests (issue 15,
items 1 and 4): engine against the oracle, whatever the partitioning, located errors."""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dualrel.errors import InvalidArgument, RulesetError
from dualrel.graph.model import Person, Registry, Tie
from dualrel.rules import Monitor, evaluate, load_ruleset, prepare
from dualrel.rules import _sessions as sessions
from dualrel.rules import engine as eng
from dualrel.testing import registries
from tests.oracle import oracle

RULESET = load_ruleset(Path(__file__).parent / "data" / "people.yaml")
COMPILED = prepare(RULESET)[0]
AS_OF = date(2026, 1, 1)

#: values where the tests change their mind, text as CSV gives it, and text that is no number
NUMBERS = st.sampled_from([2, 3, 49.5, 50, 100, 100.5, "2", "3", "50", " 100 ", "1e2", "150"])
VALUES = NUMBERS | st.sampled_from(["Professor", "Associate", "Lecturer", "n/a", "", "nan"])
ORGANISATIONS = st.none() | st.sampled_from(["Acme", "Beta", "Gamma"])


@st.composite
def people_registries(draw, kinds):
    """A registry whose people have organisations and attributes, and whose ties (some
    relabelled as gifts) carry values, drawn where the rules' tests change their mind."""
    reg = draw(registries(min_people=3, max_people=5, max_ties=10, kinds=kinds))
    people = tuple(
        Person(
            p.id,
            p.roles,
            organisation=draw(ORGANISATIONS),
            attributes=draw(
                st.dictionaries(st.sampled_from(["position", "grade"]), VALUES, max_size=2)
            ),
        )
        for p in reg.people
    )
    ties = []
    for t in reg.ties:
        kind = "gift" if draw(st.booleans()) else t.kind
        attrs = dict(t.attributes)
        if draw(st.booleans()):
            attrs["value"] = draw(VALUES)
        ties.append(Tie(t.id, kind, t.source, t.target, t.start, t.end, attrs))
    return Registry(
        people=people, ties=tuple(ties), as_of=reg.as_of, kinds={**reg.kinds, "gift": True}
    )


def found(report):
    return {(f.rule, tuple(sorted(f.subjects.items())), f.evidence) for f in report.findings}


@pytest.mark.parametrize("rule_id", [r.id for r in RULESET.rules])
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_engine_equals_oracle(rule_id, data):
    rule = RULESET.rule(rule_id)
    kinds = sorted({k for c in rule.match.ties for k in c.kinds} - {"gift"} | {"coaching"})
    reg = data.draw(people_registries(kinds))
    got = {f for f in found(evaluate(reg, COMPILED)) if f[0] == rule_id}
    assert got == oracle(RULESET, reg, reg.as_of, rules=[rule_id])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(reg=people_registries(["coaching", "supervision"]))
def test_findings_do_not_depend_on_partitioning_or_jobs(reg):
    expected = evaluate(reg, COMPILED)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sessions, "SESSION_TIES", 1)
        mp.setattr(eng, "_PARALLEL_MIN_KEYS", 0)
        mp.setattr(eng, "_PARALLEL_MIN_TIES", 0)
        assert evaluate(reg, COMPILED).findings == expected.findings
        assert evaluate(reg, COMPILED, jobs=2).findings == expected.findings


def test_a_monitor_reads_people_and_numbers_as_a_batch_does():
    people = [
        Person("a", ("coach",), organisation="Acme", attributes={"position": "Professor"}),
        Person("b", (), organisation="Acme", attributes={"grade": "2"}),
        Person("c", (), attributes={"position": "Professor"}),
    ]
    ties = [
        Tie("t1", "coaching", "a", "b"),
        Tie("t2", "gift", "a", "c", attributes={"value": "150"}),
        Tie("t3", "gift", "a", "b", attributes={"value": "60"}),
        Tie("t4", "gift", "b", "c", attributes={"value": "lots"}),
    ]
    kinds = {"gift": True, "coaching": True, "supervision": True}
    empty = Registry(people=tuple(people[:2]), ties=(), as_of=AS_OF)
    # counting groups matches: Monitor refuses such rules, naming them
    with pytest.raises(InvalidArgument, match="people-features/many-clients-of-one-organisation"):
        Monitor(COMPILED, empty)
    ungrouped = prepare(
        dataclasses.replace(RULESET, rules=tuple(r for r in RULESET.rules if r.match.per is None))
    )[0]
    monitor = Monitor(ungrouped, empty)
    try:
        monitor.add_person(people[2])
        for t in ties:
            monitor.add_tie(t)
        batch = evaluate(
            Registry(people=tuple(people), ties=tuple(ties), as_of=AS_OF, kinds=kinds), ungrouped
        )
        assert found(monitor.report()) == found(batch)
        assert {f[0] for f in found(batch)} == {
            "senior-coach-of-junior",
            "gift-above-limit",
            "gift-in-a-range",
            "negated-senior-supervisor",
            "internal-coach",
        }
    finally:
        monitor.close()


def test_text_that_is_no_number_passes_no_numeric_test():
    reg = Registry(
        people=(Person("a", ()), Person("b", ())),
        ties=(
            Tie("t1", "gift", "a", "b", attributes={"value": "lots"}),
            Tie("t2", "gift", "b", "a", attributes={"value": "101"}),
        ),
        as_of=AS_OF,
        kinds={"gift": True},
    )
    got = {f.evidence for f in evaluate(reg, COMPILED).findings if f.rule == "gift-above-limit"}
    assert got == {("t2",)}


def test_rulesets_without_people_tests_compile_as_before():
    schema = prepare("coaching-core")[0].schema
    assert schema.person_tests == () and schema.numeric_tests == ()


def write(tmp_path: Path, match: str) -> Path:
    path = tmp_path / "rs.yaml"
    path.write_text(
        'id: mine\nversion: "1"\ntitle: t\nparameters:\n  limit: 100\nrules:\n'
        "  - id: r\n    title: t\n    category: t\n    severity: low\n    level: 1\n"
        "    remediation: [{action: a, within_days: 1, owner: coach}]\n"
        "    match:\n" + match
    )
    return path


def problems(path: Path) -> list:
    with pytest.raises(RulesetError) as info:
        load_ruleset(path)
    return list(info.value.problems)


def test_unknown_parameters_of_numeric_tests_are_located(tmp_path):
    path = write(
        tmp_path,
        "      people:\n"
        "        a: {attributes: {grade: {at_least: limt}}}\n"
        "        b: {organisation: {less_than: nope}}\n"
        "      ties:\n"
        "        - {kind: coaching, from: a, to: b, attributes: {fee: {greater_than: limi}}}\n",
    )
    got = sorted((p.code, p.line, p.field) for p in problems(path))
    assert got == [
        ("unknown-parameter", 15, "at_least"),
        ("unknown-parameter", 16, "less_than"),
        ("unknown-parameter", 18, "greater_than"),
    ]
    assert all("did you mean 'limit'" in p.message for p in problems(path)[::2])


def test_numeric_bounds_and_equals_together_are_refused(tmp_path):
    path = write(
        tmp_path,
        "      people:\n"
        "        a: {organisation: {equals: Acme, at_least: 3}}\n"
        "        b: {}\n"
        "      ties:\n"
        "        - {kind: coaching, from: a, to: b}\n",
    )
    (p,) = problems(path)
    assert p.line == 15 and "not both" in p.message


def test_the_json_schema_has_the_people_and_numeric_tests():
    from dualrel.rules.schema import RulesetFile  # noqa: PLC0415

    schema = json.dumps(RulesetFile.model_json_schema())
    for name in ("organisation", "greater_than", "at_least", "less_than", "at_most"):
        assert f'"{name}"' in schema


def test_a_person_test_asks_for_the_roles_too():
    def reg(roles):
        return Registry(
            people=(
                Person("a", roles, organisation="Acme", attributes={"position": "Associate"}),
                Person("b", (), attributes={"grade": 2}),
            ),
            ties=(Tie("t1", "coaching", "a", "b"),),
            as_of=AS_OF,
        )

    def rules(registry):
        return {f.rule for f in evaluate(registry, COMPILED).findings}

    assert "senior-coach-of-junior" in rules(reg(("coach",)))
    assert "senior-coach-of-junior" not in rules(reg(("mentor",)))


@pytest.mark.parametrize(
    ("value", "fires"), [("97", True), (97.5, False), ("1", False), ("2.5", False), ("2.6", True)]
)
def test_fields_compare_across_ties_and_within_one(value, fires):
    # value > giver's grade + 1 (one fact) and value <= coach's grade - 3 (a join)
    reg = Registry(
        people=(
            Person("a", (), attributes={"grade": "1.5"}),
            Person("k", (), attributes={"grade": 100}),
            Person("b", ()),
        ),
        ties=(
            Tie("t1", "gift", "a", "b", attributes={"value": value}),
            Tie("t2", "coaching", "k", "b"),
        ),
        as_of=AS_OF,
        kinds={"gift": True, "coaching": True},
    )
    got = {f.rule for f in evaluate(reg, COMPILED).findings}
    assert ("gift-worth-a-grade" in got) is fires
    assert got & {"gift-worth-a-grade"} == {
        f[0] for f in oracle(RULESET, reg, AS_OF, rules=["gift-worth-a-grade"])
    }


GIFTS = """\
id: gifts
version: "1"
title: t
vocabulary:
  kinds: {gift: {directed: true}}
parameters:
  gift_limit: 50
rules:
  - id: gift-above-limit
    title: t
    category: t
    severity: low
    level: 1
    remediation: [{action: a, within_days: 1, owner: coach}]
    match:
      people: {coach: {}, client: {attributes: {grade: {less_than: 10}}}}
      ties:
        - {kind: coaching, from: coach, to: client}
        - {kind: gift, from: client, to: coach, attributes: {value: {greater_than: gift_limit}}}
"""


def test_check_warns_once_per_field_where_a_value_is_no_number(tmp_path):
    from tests.cli.util import run  # noqa: PLC0415

    (tmp_path / "people.csv").write_text(
        "id,roles,name,grade\nco,coach,Ann Secret,3\ncl,,Bo Secret,junior\ncl2,,,2\n"
    )
    (tmp_path / "ties.csv").write_text(
        "id,kind,source,target,value\nc1,coaching,co,cl,\nc2,coaching,co,cl2,\n"
        "g1,gift,cl2,co,a bottle\ng2,gift,cl2,co,lots\ng3,gift,cl2,co,120\nf1,family,co,cl,x\n"
    )
    (tmp_path / "rs.yaml").write_text(GIFTS)
    proc = run("check", tmp_path, "-r", tmp_path / "rs.yaml", "--as-of", "2026-01-01")
    assert proc.returncode == 1, proc.stderr  # g3 is a finding
    lines = [line for line in proc.stderr.splitlines() if "not-a-number" in line]
    assert len(lines) == 2, proc.stderr
    people_csv, ties_csv = sorted(lines)
    assert people_csv.startswith(f"warning: {tmp_path / 'people.csv'}:3: not-a-number: person cl")
    assert ties_csv.startswith(f"warning: {tmp_path / 'ties.csv'}:4: not-a-number: tie g1")
    assert "1 more" in ties_csv and "more" not in people_csv
    for secret in ("Secret", "junior", "bottle", "lots"):
        assert secret not in proc.stderr


def test_no_warning_when_no_rule_reads_numbers(tmp_path):
    from dualrel.check import run_check  # noqa: PLC0415

    (tmp_path / "people.csv").write_text("id,roles,grade\nco,coach,high\ncl,,low\n")
    (tmp_path / "ties.csv").write_text("id,kind,source,target,value\nc1,coaching,co,cl,many\n")
    warnings: list = []
    run_check(tmp_path, ["coaching-core"], as_of=AS_OF, warnings=warnings)
    # the registry's own warnings come too (cl has no client role): none about numbers
    assert [w.code for w in warnings] == ["role-mismatch"]


def test_counting_people_alike_and_ties():
    people = (
        Person("co", ("coach",)),
        Person("a1", (), organisation="Acme"),
        Person("a2", (), organisation="Acme"),
        Person("b1", (), organisation="Beta"),
        Person("x", ()),
        Person("sp", ()),
    )

    def ties(*extra):
        return (
            Tie("c1", "coaching", "co", "a1"),
            Tie("c2", "coaching", "co", "b1"),
            Tie("c3", "coaching", "co", "x"),
            Tie("s1", "sponsorship", "sp", "a1"),
            Tie("s2", "sponsorship", "sp", "b1"),
            *extra,
        )

    def findings(*extra):
        reg = Registry(people=people, ties=ties(*extra), as_of=AS_OF)
        got = {(f.rule, f.evidence) for f in evaluate(reg, COMPILED).findings}
        assert got == {(r, e) for r, _, e in oracle(RULESET, reg, AS_OF)}
        return got

    first = findings()
    assert not any(r == "many-clients-of-one-organisation" for r, _ in first)
    assert ("sponsor-of-many-clients", ("c1", "c2", "s1", "s2")) in first
    assert not any(r == "many-sponsorships" for r, _ in first)
    # a second Acme client: the finding shows the Acme clients' ties only
    more = findings(Tie("c4", "coaching", "co", "a2"), Tie("s3", "sponsorship", "sp", "x"))
    assert ("many-clients-of-one-organisation", ("c1", "c4")) in more
    assert ("many-sponsorships", ("c1", "c2", "c3", "s1", "s2", "s3")) in more


def test_counting_a_grouped_variable_or_alike_of_a_clause_is_refused(tmp_path):
    path = write(
        tmp_path,
        "      people: {a: {}, b: {}}\n"
        "      ties:\n"
        "        - {as: c, kind: coaching, from: a, to: b}\n"
        "      per: [a]\n"
        "      count: {of: a, at_least: 2}\n",
    )
    (p,) = problems(path)
    assert (p.code, p.line, p.field) == ("unbound-variable", 18, "of")
    path = write(
        tmp_path,
        "      people: {a: {}, b: {}}\n"
        "      ties:\n"
        "        - {as: c, kind: coaching, from: a, to: b}\n"
        "      per: [a]\n"
        "      count: {of: c, at_least: 2, alike: organisation}\n",
    )
    (p,) = problems(path)
    assert (p.code, p.line, p.field) == ("unknown-variable", 18, "alike")


PLANTABLE = [r.id for r in RULESET.rules if r.match.per is None]


@pytest.mark.parametrize("rule_id", PLANTABLE)
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_registries_matching_plants_people_numbers_and_comparisons(rule_id, data):
    from dualrel.testing import registries_matching  # noqa: PLC0415

    reg = data.draw(registries_matching(RULESET, rule_id))
    got = {f[0] for f in found(evaluate(reg, COMPILED))}
    assert rule_id in got
    assert rule_id in {f[0] for f in oracle(RULESET, reg, reg.as_of, rules=[rule_id])}
