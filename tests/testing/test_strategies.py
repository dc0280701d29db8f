"""Strategies: registries_matching plants the rule's own pattern; validation; shrinking."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st

from dualrel.cli import main
from dualrel.errors import InvalidArgument, RulesetError
from dualrel.graph import load_registry
from dualrel.rules import evaluate, load_ruleset, prepare, shipped_rulesets
from dualrel.rules.schema import Match
from dualrel.testing import people, registries, registries_matching, registry_json, ties
from dualrel.testing._pattern import vetoed
from dualrel.testing.strategies import plantable

from .conftest import ROOT

LANGUAGE = ROOT / "tests" / "rules" / "data" / "language.yaml"
RULESETS = {name: load_ruleset(name) for name in sorted(shipped_rulesets())}
RULESETS["language-features"] = load_ruleset(LANGUAGE)
COMPILED = {name: prepare(rs)[0] for name, rs in RULESETS.items()}
RULES = [(name, r.id) for name, rs in RULESETS.items() for r in rs.rules if plantable(r)]
FAST = settings(
    max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)


@pytest.mark.parametrize(("name", "rule_id"), RULES)
@settings(FAST, max_examples=10)
@given(data=st.data())
def test_the_planted_rule_fires_with_its_planted_people(name, rule_id, data):
    rs = RULESETS[name]
    reg = data.draw(registries_matching(rs, rule_id))
    rule = rs.rule(rule_id)
    planted = {
        v: v for v in rule.match.people if any(v in c.ends for c in rule.match.ties if c.exists)
    }
    fired = [f for f in evaluate(reg, COMPILED[name]).findings if f.rule == rule_id]
    assert any(dict(f.subjects) == planted for f in fired)
    assert not vetoed(rule, reg, planted, reg.as_of)


def test_negated_clauses_are_never_planted():
    rs = RULESETS["language-features"]
    rule = rs.rule("negated-supervision")
    negated = {k for c in rule.match.ties if not c.exists for k in c.kinds}

    @FAST
    @given(registries_matching(rs, rule.id))
    def check(reg):
        for t in reg.ties:
            if t.kind in negated:
                assert not ({t.source, t.target} & set(rule.match.people))

    check()


def test_the_smallest_example_is_just_the_pattern():
    rs = RULESETS["coaching-core"]
    reg = find(
        registries_matching(rs, "family-member-entangled-with-client"),
        lambda r: True,
        settings=settings(database=None),
    )
    assert [p.id for p in reg.people] == ["coach", "client", "via"]
    assert [(t.id, t.kind) for t in reg.ties] == [
        ("coaching", "coaching"),
        ("family", "family"),
        ("entanglement", "romance"),
    ]
    assert all(t.start is None and t.end is None for t in reg.ties)


def test_dates_are_kept_where_the_pattern_needs_them():
    rs = RULESETS["coaching-core"]
    reg = find(
        registries_matching(rs, "romance-former-client"),
        lambda r: True,
        settings=settings(database=None),
    )
    coaching = next(t for t in reg.ties if t.kind == "coaching")
    assert coaching.end is not None and coaching.end < reg.as_of  # ended: true needs an end


def test_a_failing_example_is_a_registry_file_dualrel_check_reads(tmp_path, capsys):
    reg = find(
        registries_matching("coaching-core", "romance-active-client"),
        lambda r: True,
        settings=settings(database=None),
    )
    path = tmp_path / "example.json"
    path.write_text(registry_json(reg))
    again = load_registry(path)
    assert (again.people, again.ties, again.as_of) == (reg.people, reg.ties, reg.as_of)
    assert json.loads(path.read_text())["format"] == "dualrel.registry/1"
    assert main(["check", str(path)]) == 1
    assert "romance-active-client" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("call", "named"),
    [
        (lambda: registries_matching("coaching-core", "nope"), "rule_id='nope'"),
        (lambda: registries_matching("coaching-core", 3), "rule_id=3"),
        (lambda: registries_matching(42, "x"), "ruleset=42"),
        (
            lambda: registries_matching(
                "coaching-core", "romance-active-client", max_noise_ties=-1
            ),
            "max_noise_ties=-1",
        ),
        (
            lambda: registries_matching(
                "coaching-core", "romance-active-client", max_extra_people=True
            ),
            "max_extra_people=True",
        ),
        (
            lambda: registries_matching(
                "coaching-core", "romance-active-client", as_of="2026-01-01"
            ),
            "as_of='2026-01-01'",
        ),
        (lambda: registries(min_people=1), "min_people=1"),
        (lambda: registries(max_people=1), "max_people=1"),
        (lambda: registries(kinds=["nope"]), "['nope']"),
        (lambda: registries(kinds="romance"), "kinds='romance'"),
        (lambda: ties(["a"]), "['a']"),
        (lambda: ties(["a", "b"], kinds=[]), "kinds=[]"),
    ],
)
def test_arguments_are_checked_and_named(call, named):
    with pytest.raises(InvalidArgument) as err:
        call()
    assert named in str(err.value)
    assert isinstance(err.value, TypeError)


def test_a_rule_that_can_never_fire_is_refused(tmp_path: Path):
    rs_path = tmp_path / "never.yaml"
    rs_path.write_text(
        "id: never\nversion: '1'\ntitle: t\nrules:\n"
        "  - id: impossible\n    title: t\n    category: c\n    severity: low\n    level: 1\n"
        "    remediation: [{action: a, within_days: 1, owner: coach}]\n"
        "    match:\n      people: {a: {}, b: {}}\n      ties:\n"
        "        - {as: x, kind: coaching, from: a, to: b, active: true}\n"
        "        - {as: y, kind: romance, between: [a, b]}\n"
        "      where: ['y.start > x.start + 10', 'y.start < x.start']\n"
    )
    # the loader refuses it (lint's contradiction error) ...
    with pytest.raises(RulesetError) as info:
        load_ruleset(rs_path)
    assert [p.code for p in info.value.problems] == ["contradiction"]
    # ... and so does the strategy, for a ruleset built in code
    rs_path.write_text(rs_path.read_text().replace("'y.start < x.start'", "'y.start < as_of'"))
    rs = load_ruleset(rs_path)
    rule = rs.rule("impossible")
    data = rule.match.model_dump(by_alias=True, exclude_none=True)
    data["where"] = ["y.start > x.start + 10", "y.start < x.start"]
    never = replace(rule, match=Match.model_validate(data))
    with pytest.raises(InvalidArgument, match="can never fire"):
        registries_matching(replace(rs, rules=(never,)), "impossible")


@FAST
@given(registries(max_people=5, kinds=["gift", "romance"], extra_kinds={"gift": True}))
def test_registries_may_use_a_ruleset_vocabulary(reg):
    assert reg.kinds["gift"] is True
    assert {t.kind for t in reg.ties} <= {"gift", "romance"}


@FAST
@given(people(), registries(max_people=4, as_of=date(2025, 6, 1)))
def test_people_and_registries_are_valid(person, reg):
    assert person.id.startswith("p")
    ids = [p.id for p in reg.people]
    assert len(ids) == len(set(ids))
    assert all(t.source != t.target and {t.source, t.target} <= set(ids) for t in reg.ties)
    assert all(t.start is None or t.end is None or t.start <= t.end for t in reg.ties)
    assert reg.as_of == date(2025, 6, 1)


def test_registries_matching_refuses_rules_it_cannot_plant_and_says_what_to_use():
    with pytest.raises(InvalidArgument, match="practice_registries"):
        registries_matching("coaching-practice", "late-responses")


def test_the_public_strategies_module_names_exactly_its_all():
    """The strategies live in private modules; the public one re-exports them, no more."""
    from dualrel import testing  # noqa: PLC0415
    from dualrel.testing import strategies  # noqa: PLC0415

    public = {n for n in dir(strategies) if n.isidentifier() and not n.startswith("_")}
    assert set(strategies.__all__) == public - {"annotations"}
    for name in strategies.__all__:
        assert getattr(strategies, name).__module__.startswith("dualrel.testing._strategies.")
    lazy = {"people", "ties", "registries", "registries_matching", "registry_json"}
    assert all(getattr(testing, n) is getattr(strategies, n) for n in lazy | {"write_registry"})
