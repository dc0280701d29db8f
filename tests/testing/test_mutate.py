"""Mutation check: each mutant is a real change, and weak tests let mutants survive."""

from __future__ import annotations

import dataclasses

import pytest

from dualrel.cli import main
from dualrel.rules import evaluate, load_ruleset
from dualrel.rules.compiler import compile_ruleset
from dualrel.testing import mutants, run_mutants, run_tests

from .conftest import CASES


def descriptions(ruleset, rule_id):
    return [(m.operator, m.description) for m in mutants(ruleset) if m.rule == rule_id]


def test_the_mutants_of_a_rule(mini):
    rs = load_ruleset(mini / "mini.yaml")
    assert descriptions(rs, "gift-after-coaching") == [
        ("level-up", "level 1 -> 2"),
        ("drop-clause", "drop the tie clause 'coaching'"),
        ("drop-condition", "drop 'ended: true' from 'coaching'"),
        ("kind", "'coaching': kind coaching -> employment"),
        ("direction", "'coaching': from coach to client -> from client to coach"),
        ("drop-clause", "drop the tie clause 'gift'"),
        ("kind", "'gift': kind paid_service -> coaching"),
        ("direction", "'gift': from client to coach -> from coach to client"),
        ("drop-condition", "drop the date condition 'gift.start <= coaching.end + window_days'"),
        ("window", "'gift.start <= coaching.end + window_days': window_days one day larger"),
        ("window", "'gift.start <= coaching.end + window_days': window_days one day smaller"),
        ("strictness", "'gift.start <= coaching.end + window_days': <= -> <"),
    ]
    ids = [m.id for m in mutants(rs) if m.rule == "gift-after-coaching"]
    assert ids[:3] == [
        "gift-after-coaching/level-up-1",
        "gift-after-coaching/drop-clause-1",
        "gift-after-coaching/drop-condition-1",
    ]
    assert len(set(ids)) == len(ids)


def test_every_operator_is_used_on_the_shipped_rulesets():
    ops = {m.operator for m in mutants(load_ruleset("counselling-windows"))}
    assert ops == {
        "level-down",
        "level-up",
        "drop-clause",
        "drop-condition",
        "window",
        "kind",
        "direction",
        "strictness",
    }
    ops = {m.operator for m in mutants(load_ruleset("coaching-practice"))}
    assert {"threshold", "per", "value", "strictness"} <= ops


@pytest.mark.parametrize("name", ["coaching-core", "coaching-practice"])
def test_every_mutant_changes_what_the_rule_means(name):
    # a mutant that cannot change any finding would be a false alarm when it survives, and
    # one the loader would refuse (or the compiler choke on) is no rule at all
    rs = load_ruleset(name)
    for m in mutants(rs):
        rule = rs.rule(m.rule)
        changed = m.apply(rule)
        assert changed is not None and changed != rule, m.description
        compile_ruleset(dataclasses.replace(rs, rules=(changed,)))


def test_a_between_clause_on_a_directed_kind_gets_both_directions():
    ds = descriptions(load_ruleset("coaching-core"), "employment-active-client")
    assert ("direction", "'employment': either direction -> only from coach to client") in ds
    assert ("direction", "'employment': either direction -> only from client to coach") in ds


def test_a_mutated_rule_really_behaves_differently(mini):
    rs = load_ruleset(mini / "mini.yaml")
    (flip,) = [m for m in mutants(rs) if m.description.startswith("'gift': from client")]
    mutated = flip.apply(rs.rule("gift-after-coaching"))
    results = run_tests([mini / "mini.yaml"])
    reg = results.results[0].case.registry
    alone = compile_ruleset(
        type(rs)(**{**{f: getattr(rs, f) for f in rs.__slots__}, "rules": (mutated,)})
    )
    assert evaluate(reg, alone).findings == ()


def test_weak_tests_let_mutants_survive(mini):
    (mini / "tests" / "mini" / "cases.yaml").write_text(
        CASES.split("  - name: a gift two months")[0].replace(", level: 1}", "}")
    )
    report = run_mutants(run_tests([mini / "mini.yaml"]))
    survived = {r.mutant.description for r in report.survivors}
    assert "level 1 -> 2" in survived  # no case checks the level
    assert "'gift.start <= coaching.end + window_days': window_days one day larger" in survived
    assert "drop the tie clause 'gift'" in survived  # no case without a gift
    assert "'gift': kind paid_service -> coaching" not in survived  # the positive case kills it
    assert report.counts() == {"mini": (12, 12 - len(survived), len(survived))}


def test_the_cli_reports_survivors_and_fails(mini, capsys):
    assert main(["test", str(mini / "mini.yaml"), "--mutate"]) == 1
    out = capsys.readouterr().out
    assert (
        "SURVIVED mini/gift-after-coaching: drop 'ended: true' from 'coaching'  "
        "[gift-after-coaching/drop-condition-1]" in out
    )
    assert "mini: 12 mutants, " in out
    (mini / "tests" / "mini" / "cases.yaml").write_text(CASES.replace("level: 1}", "level: 2}"))
    assert main(["test", str(mini / "mini.yaml"), "--mutate"]) == 1
    assert "mutation check skipped: fix the failing cases first" in capsys.readouterr().out
