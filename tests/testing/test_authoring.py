"""Authoring tests of a policy: new mutants, equivalent mutants accepted with a reason,
known gaps, and include paths."""

from __future__ import annotations

import dataclasses

import pytest

from dualrel.cli import main
from dualrel.rules import evaluate, load_ruleset
from dualrel.rules.compiler import compile_ruleset
from dualrel.testing import mutants, run_mutants, run_tests
from dualrel.testing._cases import TestCaseError, read_case_file

from .conftest import CASES

ROLES = """\
id: roles
version: "1"
title: Roles and attributes
vocabulary: {roles: [mentor]}
rules:
  - id: gift
    title: A gift of cash or vouchers from a client
    category: gifts
    severity: low
    level: 1
    remediation: [{action: Record the gift, within_days: 7, owner: coach}]
    match:
      people: {coach: {roles: [coach]}, client: {}}
      ties:
        - {as: coaching, kind: coaching, from: coach, to: client}
        - {as: gift, kind: paid_service, from: client, to: coach,
           attributes: {form: {in: [cash, voucher]}}}
"""


def test_roles_and_attribute_values_are_mutated(tmp_path):
    (tmp_path / "roles.yaml").write_text(ROLES)
    rs = load_ruleset(tmp_path / "roles.yaml")
    by_description = {m.description: m for m in mutants(rs)}
    assert {
        "coach: drop the roles coach",
        "coach: role coach -> client",
        "'gift': attribute 'form' in: drop 'cash'",
        "'gift': attribute 'form' in: drop 'voucher'",
    } <= set(by_description)
    rule = rs.rule("gift")
    assert (
        by_description["coach: drop the roles coach"].apply(rule).match.people["coach"].roles == []
    )
    assert by_description["'gift': attribute 'form' in: drop 'cash'"].apply(rule).match.ties[
        1
    ].attributes["form"].in_ == ["voucher"]


def test_thresholds_per_and_record_clauses_are_mutated():
    rs = load_ruleset("coaching-practice")
    ds = {(m.rule, m.description) for m in mutants(rs)}
    assert ("late-responses", "share: more_than late_response_share one step higher") in ds
    assert ("late-responses", "per: drop client") in ds
    assert (
        "late-responses",
        "drop the test of field 'response_window_hours' from 'agreement'",
    ) in ds
    (up,) = [
        m for m in mutants(rs) if m.rule == "late-responses" and m.description == "per: drop client"
    ]
    assert up.apply(rs.rule("late-responses")).match.per == ["coach"]
    assert any(
        m.operator == "threshold" and "count: at_least" in m.description for m in mutants(rs)
    )


def test_a_strictness_mutant_is_killed_only_by_a_case_on_the_boundary(mini):
    (strict,) = [m for m in mutants(load_ruleset(mini / "mini.yaml")) if m.operator == "strictness"]
    report = run_mutants(run_tests([mini / "mini.yaml"]))
    assert strict.id in {r.mutant.id for r in report.survivors}
    boundary = CASES.replace("start: 2025-06-08", "start: 2025-07-01")  # day 30: inside
    (mini / "tests" / "mini" / "cases.yaml").write_text(boundary)
    report = run_mutants(run_tests([mini / "mini.yaml"]))
    assert strict.id not in {r.mutant.id for r in report.survivors}


def _accept(mini, entries: str) -> None:
    (mini / "tests" / "mini" / "cases.yaml").write_text(f"equivalent_mutants:\n{entries}" + CASES)


def test_an_equivalent_mutant_is_accepted_with_its_reason(mini, capsys):
    results = run_tests([mini / "mini.yaml"])
    survivors = {r.mutant.id for r in run_mutants(results).survivors}
    entries = "".join(
        f"  - {{mutant: {sid}, reason: not tested here on purpose}}\n" for sid in sorted(survivors)
    )
    _accept(mini, entries)
    report = run_mutants(run_tests([mini / "mini.yaml"]))
    assert report.survivors == () and report.ok
    assert {r.mutant.id for r in report.accepted} == survivors
    assert main(["test", str(mini / "mini.yaml"), "--mutate", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert f"mini: 12 mutants, {12 - len(survivors)} killed, 0 survived, " in out
    assert f"{len(survivors)} accepted as equivalent" in out


def test_a_killed_mutant_accepted_as_equivalent_is_an_error(mini, capsys):
    _accept(mini, "  - {mutant: gift-after-coaching/kind-2, reason: no case can tell}\n")
    assert main(["test", str(mini / "mini.yaml"), "--mutate", "--quiet"]) == 1
    out = capsys.readouterr().out
    assert "NOT EQUIVALENT mini/gift-after-coaching: 'gift': kind paid_service -> coaching" in out
    assert "accepted as equivalent, but " in out and "a gift a week after the end fires" in out


@pytest.mark.parametrize(
    ("entry", "code", "message"),
    [
        (
            "  - {mutant: gift-after-coaching/kind-9, reason: x}\n",
            "unknown-mutant",
            "ruleset 'mini' has no mutant 'gift-after-coaching/kind-9' (did you mean",
        ),
        ("  - {mutant: gift-after-coaching/kind-1}\n", "schema", "missing required field 'reason'"),
        (
            "  - {mutant: gift-after-coaching/kind-1, reason: ' '}\n",
            "schema",
            "reason: say why no case can tell this mutant from the rule",
        ),
    ],
)
def test_equivalent_mutants_are_checked(mini, entry, code, message):
    _accept(mini, entry)
    with pytest.raises(TestCaseError) as info:
        read_case_file(mini / "tests" / "mini" / "cases.yaml")
    (p,) = info.value.problems
    assert p.code == code and p.message.startswith(message) and p.line == 2


GAP = CASES.replace(
    "    expect_none: true\n",
    "    expect:\n      - {rule: gift-after-coaching, subjects: {coach: co, client: cl}}\n"
    "    known_gap: the committee wants two months; the ruleset says thirty days\n",
)


def test_a_known_gap_is_an_expected_failure_never_counted(mini, capsys):
    (mini / "tests" / "mini" / "cases.yaml").write_text(GAP)
    results = run_tests([mini / "mini.yaml"])
    (gap,) = [r for r in results.results if r.case.known_gap]
    assert gap.outcome == "known-gap" and gap.passed and not gap.matched
    assert (results.passed, results.failed, results.known_gaps) == (1, 0, 1)
    (cov,) = results.coverage()
    assert gap.case.name not in cov.positive + cov.negative
    assert main(["test", str(mini / "mini.yaml"), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "GAP   " in out and "known gap (expected to fail, not counted): the committee" in out
    assert "1 passed, 0 failed, 1 known gap(s)" in out


def test_a_known_gap_kills_no_mutant(mini):
    # without the negative case, dropping the window survives: the gap must not kill it
    (mini / "tests" / "mini" / "cases.yaml").write_text(GAP)
    survived = {
        r.mutant.description for r in run_mutants(run_tests([mini / "mini.yaml"])).survivors
    }
    assert "drop the date condition 'gift.start <= coaching.end + window_days'" in survived


def test_a_known_gap_that_passes_fails_strictly(mini, capsys):
    closed = GAP.replace("start: 2025-08-01", "start: 2025-06-20")
    (mini / "tests" / "mini" / "cases.yaml").write_text(closed)
    results = run_tests([mini / "mini.yaml"])
    assert [r.outcome for r in results.results] == ["pass", "gap-closed"]
    assert results.failed == 1 and results.exit_code == 1
    assert main(["test", str(mini / "mini.yaml"), "--quiet"]) == 1
    assert "the gap is closed, remove known_gap" in capsys.readouterr().out


def test_a_known_gap_needs_a_reason(mini):
    (mini / "tests" / "mini" / "cases.yaml").write_text(
        GAP.split("    known_gap:")[0] + "    known_gap: ''\n"
    )
    with pytest.raises(TestCaseError) as info:
        read_case_file(mini / "tests" / "mini" / "cases.yaml")
    assert "known_gap: say why" in info.value.problems[0].message


def test_an_absolute_include_is_a_located_error(mini, capsys):
    other = mini / "tests" / "mini" / "cases.yaml"
    (mini / "all.yaml").write_text(f"ruleset: mini.yaml\ninclude: ['{other}']\n")
    with pytest.raises(TestCaseError) as info:
        read_case_file(mini / "all.yaml")
    (p,) = info.value.problems
    assert (p.code, p.line, p.pointer) == ("include-absolute", 2, "/include/0")
    assert main(["test", str(mini / "all.yaml")]) == 2


def test_mutants_of_a_known_rule_really_differ(mini):
    rs = load_ruleset(mini / "mini.yaml")
    (strict,) = [m for m in mutants(rs) if m.operator == "strictness"]
    results = run_tests([mini / "mini.yaml"])
    reg = dataclasses.replace(
        results.results[0].case.registry,
        ties=tuple(
            dataclasses.replace(t, start=t.start.replace(month=7, day=1)) if t.id == "g" else t
            for t in results.results[0].case.registry.ties
        ),
    )
    before = evaluate(reg, compile_ruleset(rs)).findings
    after = evaluate(
        reg,
        compile_ruleset(
            dataclasses.replace(rs, rules=(strict.apply(rs.rule("gift-after-coaching")),))
        ),
    ).findings
    assert len(before) == 1 and after == ()
