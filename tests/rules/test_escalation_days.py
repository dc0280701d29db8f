"""Escalation over time in rulesets: ``escalation: {level_1: DAYS, level_2: DAYS}`` on a
ruleset (its rules and the ones it inherits) and on a rule, over the library defaults."""

from __future__ import annotations

import dualrel
from dualrel.rules import load_ruleset
from dualrel.rules.schema import DEFAULT_ESCALATION_DAYS
from tests.rules.test_loader import RULE, header, problems, write


def test_defaults_then_the_chain_then_the_rule(tmp_path):
    plain = load_ruleset(
        write(tmp_path, "p.yaml", header("p") + RULE.format(id="r", kind="coaching", to="client"))
    )
    assert dict(plain.escalation) == DEFAULT_ESCALATION_DAYS == {1: 14, 2: 7}
    text = header("a", "extends: coaching-core\nescalation: {level_2: 3}\n") + RULE.format(
        id="mine", kind="coaching", to="client"
    ).replace("    match:", "    escalation: {level_1: 1}\n    match:")
    rs = load_ruleset(write(tmp_path, "a.yaml", text))
    assert dict(rs.escalation) == {1: 14, 2: 3}  # coaching-core's level_1, its own level_2
    assert rs.escalation_of(rs.rule("mine")) == {1: 1, 2: 3}
    assert rs.escalation_of(rs.rule("romance-former-client")) == {1: 14, 2: 3}


def test_the_check_carries_each_rule_s_days(tmp_path):
    result = dualrel.run_check(dualrel.example_registry(), ["coaching-core"])
    assert {tuple(sorted(r.escalation.items())) for r in result.rules} == {((1, 14), (2, 7))}


def test_bad_escalation_is_located(tmp_path):
    text = header("a", "escalation: {level_3: 2, level_1: -1}\n") + RULE.format(
        id="r", kind="coaching", to="client"
    ).replace("    match:", "    escalation: {}\n    match:")
    found = problems(write(tmp_path, "a.yaml", text))
    where = sorted((p.line, p.pointer) for p in found)
    assert (4, "/escalation/level_1") in where and (4, "/escalation/level_3") in where
    assert any(p.pointer == "/rules/0/escalation" for p in found)
    assert all(p.code == "schema" for p in found)
