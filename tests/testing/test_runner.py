"""The test case runner: what passes, what fails, located problems, the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from dualrel.cli import main
from dualrel.rules import shipped_rulesets
from dualrel.testing import TestCaseError, run_mutants, run_tests
from dualrel.testing._cases import read_case_file
from dualrel.testing.runner import format_case_result

from .conftest import CASES


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / "tests" / "mini" / name
    path.write_text(text)
    return path


def test_a_ruleset_name_path_or_folder_runs_its_cases(mini, monkeypatch):
    for target in (mini / "mini.yaml", mini / "tests", mini / "tests" / "mini" / "cases.yaml"):
        results = run_tests([target])
        assert (results.passed, results.failed, results.exit_code) == (2, 0, 0)
    monkeypatch.chdir(mini.parent)
    assert run_tests(["coaching-core"]).ruleset_ids() == ["coaching-core"]


def test_every_shipped_ruleset_passes_is_fully_covered_and_kills_every_mutant():
    results = run_tests(list(shipped_rulesets()))
    assert results.exit_code == 0, [format_case_result(r) for r in results.results if not r.passed]
    assert sorted(results.ruleset_ids()) == sorted(shipped_rulesets())
    lacking = [(c.ruleset, c.rule) for c in results.coverage() if not c.covered]
    assert lacking == []
    report = run_mutants(results)
    assert [(r.ruleset, r.mutant.rule, r.mutant.description) for r in report.survivors] == []
    assert all(total >= 100 for total, _, _ in report.counts().values())


def test_an_unexpected_finding_fails_unless_only_false(mini):
    strict = CASES.replace("expect_none: true", "expect: []")
    write(mini, "cases.yaml", strict.replace("2025-08-01", "2025-06-20"))
    results = run_tests([mini / "mini.yaml"])
    (failed,) = [r for r in results.results if not r.passed]
    assert [f.rule for f in failed.unexpected] == ["gift-after-coaching"]
    text = format_case_result(failed)
    assert "found, but not expected" in text
    assert (
        "evidence: c (coaching co->cl ..2025-06-01), g (paid_service cl->co 2025-06-20..)" in text
    )
    lenient = strict.replace("expect: []", "expect: []\n    only: false")
    write(mini, "cases.yaml", lenient.replace("2025-08-01", "2025-06-20"))
    assert run_tests([mini / "mini.yaml"]).exit_code == 0


def test_a_missing_or_wrong_finding_fails(mini):
    write(mini, "cases.yaml", CASES.replace("level: 1}", "level: 2}"))
    results = run_tests([mini / "mini.yaml"])
    assert results.exit_code == 1
    (failed,) = [r for r in results.results if not r.passed]
    assert [e.level for e in failed.missing] == [2]
    text = format_case_result(failed)
    assert (
        "expected, but not found:\n      - gift-after-coaching  client=cl coach=co  level 2" in text
    )
    assert "+ gift-after-coaching  client=cl coach=co  level 1  low" in text


def test_absent_rules_must_not_fire(mini):
    text = CASES.replace(
        "    expect_none: true",
        "    expect: []\n    only: false\n    absent: [gift-after-coaching]",
    )
    write(mini, "cases.yaml", text.replace("2025-08-01", "2025-06-20"))
    (_, second) = run_tests([mini / "mini.yaml"]).results
    assert not second.passed and [f.rule for f in second.forbidden] == ["gift-after-coaching"]


def test_parameters_change_the_ruleset_for_one_case(mini):
    text = CASES.replace(
        "  - name: a gift two months after the end does not\n",
        "  - name: a gift two months after the end does not\n    parameters: {window_days: 90}\n",
    )
    write(mini, "cases.yaml", text)
    (_, second) = run_tests([mini / "mini.yaml"]).results
    assert [f.rule for f in second.findings] == ["gift-after-coaching"]


def test_include_runs_other_files_against_this_ruleset(mini):
    (mini / "other.yaml").write_text(
        (mini / "mini.yaml").read_text().replace("id: mini", "id: other")
    )
    (mini / "tests" / "other").mkdir()
    (mini / "tests" / "other" / "inherited.yaml").write_text('include: ["../mini/*.yaml"]\n')
    results = run_tests([mini / "other.yaml"])
    assert results.passed == 2 and results.ruleset_ids() == ["other"]


@pytest.mark.parametrize(
    ("change", "located"),
    [
        (
            ("kind: coaching", "kind: coachin"),
            "cases.yaml:6 (/cases/0/ties/0/kind): unknown-kind: unknown tie kind 'coachin' "
            "(did you mean 'coaching'?)",
        ),
        (
            ("target: cl, end", "target: cx, end"),
            "cases.yaml:6 (/cases/0/ties/0/target): unknown-person: target 'cx' is not a "
            "person of the registry",
        ),
        (
            ("rule: gift-after-coaching", "rule: gift-after-coachin"),
            "cases.yaml:9 (/cases/0/expect/0/rule): unknown-rule: ruleset 'mini' has no rule "
            "'gift-after-coachin' (did you mean 'gift-after-coaching'?)",
        ),
        (
            ("{coach: co, client: cl}", "{coach: co, clent: cl}"),
            "cases.yaml:9 (/cases/0/expect/0/subjects/clent): unknown-subject: rule "
            "'gift-after-coaching' has no person variable 'clent' (did you mean 'client'?)",
        ),
        (
            ("as_of: 2026-01-01\n", ""),
            "cases.yaml:2 (/cases/0): no-as-of: case 'a gift a week after the end fires' has "
            "dated ties but no as_of",
        ),
        (
            ("    expect_none: true\n", ""),
            "cases.yaml:10 (/cases/1): schema: give either expect: [findings] or expect_none: true",
        ),
        (
            ("a gift two months after the end does not", "a gift a week after the end fires"),
            "cases.yaml:10 (/cases/1/name): duplicate-case: case name 'a gift a week after the "
            "end fires' already used at line 3",
        ),
        (
            (
                "cases:\n",
                "cases:\n  - name: x\n    parameters: {window: 3}\n    people: [{id: a}]\n"
                "    expect_none: true\n",
            ),
            "cases.yaml:4 (/cases/0/parameters/window): unknown-parameter: unknown parameter "
            "'window' (did you mean 'window_days'?)",
        ),
        (("cases:\n", "cases: [\n"), "cases.yaml:3: malformed: not valid YAML"),
    ],
)
def test_invalid_files_are_reported_by_file_and_line(mini, capsys, change, located):
    path = write(mini, "cases.yaml", CASES.replace(*change, 1))
    with pytest.raises(TestCaseError) as err:
        read_case_file(path)
    assert located in [
        str(p)[len(str(path.parent)) + 1 :][: len(located)] for p in err.value.problems
    ]
    assert main(["test", str(mini / "mini.yaml")]) == 2
    assert f"{path.parent}/{located}" in capsys.readouterr().err


def test_every_problem_of_every_file_is_reported_at_once(mini):
    write(
        mini,
        "cases.yaml",
        CASES.replace("kind: coaching", "kind: coachin").replace(
            "rule: gift-after-coaching", "rule: nope"
        ),
    )
    write(mini, "more.yaml", "cases: []\n")
    results = run_tests([mini / "mini.yaml"])
    assert results.exit_code == 2 and results.results == ()
    assert sorted({p.code for p in results.problems}) == ["schema", "unknown-kind", "unknown-rule"]


def test_the_cli_prints_a_line_per_case_and_a_summary(mini, capsys):
    assert main(["test", str(mini / "mini.yaml")]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("PASS  ") and out[0].endswith(
        "cases.yaml:3  a gift a week after the end fires"
    )
    assert out[-1] == "2 passed, 0 failed (1 file(s), 1 ruleset(s))"
    write(mini, "cases.yaml", CASES.replace("level: 1}", "level: 3}"))
    assert main(["test", str(mini / "mini.yaml"), "-q"]) == 1
    out = capsys.readouterr().out
    assert "PASS" not in out and "FAIL" in out and "1 passed, 1 failed" in out


def test_nothing_to_run_is_an_input_error(tmp_path, capsys):
    assert main(["test", str(tmp_path)]) == 2
    assert main(["test", "no-such-ruleset"]) == 2
    assert "no such file or folder, and no shipped ruleset" in capsys.readouterr().err


def test_coverage_reports_rules_without_a_negative_case(mini, capsys):
    write(mini, "cases.yaml", CASES.split("  - name: a gift two months")[0])
    assert main(["test", str(mini / "mini.yaml"), "--coverage"]) == 0
    out = capsys.readouterr().out
    assert "MISS mini/gift-after-coaching: 1 positive, 0 negative" in out
    assert "no case checks that this rule does not fire on a near miss" in out
    assert main(["test", str(mini / "mini.yaml"), "--require-coverage"]) == 1


def test_an_empty_registry_is_no_negative_case(mini):
    write(
        mini,
        "more.yaml",
        "as_of: 2026-01-01\ncases:\n  - name: nobody\n    people: [{id: a}]"
        "\n    expect_none: true\n",
    )
    results = run_tests([mini / "mini.yaml"])
    (cov,) = results.coverage()
    assert cov.negative == ("a gift two months after the end does not",)


def test_only_case_files_are_taken_for_case_files(mini):
    from dualrel.testing._discover import is_case_file  # noqa: PLC0415 (a private helper)

    assert is_case_file(mini / "tests" / "mini" / "cases.yaml")
    assert not is_case_file(mini / "mini.yaml")  # the ruleset itself
    elsewhere = mini / "data.yaml"
    elsewhere.write_text("cases: [1]\n")  # not beside a ruleset and names none
    assert not is_case_file(elsewhere)
    bomb = (
        "a: &a [x, x, x, x, x, x, x, x, x]\n"
        + "".join(
            f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
            for p, c in zip("abcdefgh", "bcdefghi", strict=True)
        )
        + "cases: *i\nruleset: mini\n"
    )
    (mini / "bomb.yaml").write_text(bomb)
    assert not is_case_file(mini / "bomb.yaml")  # refused within the node limit, not expanded
