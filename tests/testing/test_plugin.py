"""The pytest plugin: case files become pytest items, with readable failures."""

from __future__ import annotations

import pytest

from .conftest import CASES, ROOT


def copy_mini(pytester: pytest.Pytester, mini) -> None:
    for path in mini.rglob("*.yaml"):
        target = pytester.path / path.relative_to(mini)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(path.read_text())


def test_case_files_are_collected_one_item_per_case(pytester, mini):
    copy_mini(pytester, mini)
    (pytester.path / "unrelated.yaml").write_text("cases: [1, 2]\n")  # not beside a ruleset
    result = pytester.runpytest_subprocess("-v", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        ["*tests/mini/cases.yaml::a gift a week after the end fires PASSED*"]
    )


def test_a_failure_shows_expected_and_found_with_evidence(pytester, mini):
    copy_mini(pytester, mini)
    (pytester.path / "tests" / "mini" / "cases.yaml").write_text(
        CASES.replace("level: 1}", "level: 2}")
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*expected, but not found:",
            "*- gift-after-coaching  client=cl coach=co  level 2",
            "*found, but not expected*",
            "*+ gift-after-coaching  client=cl coach=co  level 1  low",
            "*evidence: c (coaching co->cl ..2025-06-01), g (paid_service cl->co 2025-06-08..)",
        ]
    )


def test_an_invalid_file_is_one_failing_item_with_located_problems(pytester, mini):
    copy_mini(pytester, mini)
    (pytester.path / "tests" / "mini" / "cases.yaml").write_text(
        CASES.replace("kind: coaching", "kind: coachin", 1)
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*cases.yaml:6 (/cases/0/ties/0/kind): unknown-kind:*"])


def test_the_plugin_can_be_switched_off(pytester, mini):
    copy_mini(pytester, mini)
    pytester.makeini("[pytest]\ndualrel_cases = false\n")
    assert (
        pytester.runpytest_subprocess("-p", "no:cacheprovider").ret
        == pytest.ExitCode.NO_TESTS_COLLECTED
    )
    pytester.makeini("[pytest]\n")
    result = pytester.runpytest_subprocess("-p", "no:dualrel", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED


def test_the_shipped_case_files_run_under_pytest(pytester):
    result = pytester.runpytest_subprocess(str(ROOT / "rulesets"), "-q", "-p", "no:cacheprovider")
    assert result.ret == 0
    result.stdout.fnmatch_lines(["* passed*"])
    assert int(result.stdout.lines[-1].split()[0]) >= 190


def test_a_known_gap_is_an_xfail_and_a_closed_one_fails(pytester, mini):
    copy_mini(pytester, mini)
    gap = CASES.replace(
        "    expect_none: true\n",
        "    expect:\n      - {rule: gift-after-coaching}\n    known_gap: two months wanted\n",
    )
    (pytester.path / "tests" / "mini" / "cases.yaml").write_text(gap)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-rx")
    result.assert_outcomes(passed=1, xfailed=1)
    result.stdout.fnmatch_lines(["*known gap: two months wanted*"])
    closed = gap.replace("start: 2025-08-01", "start: 2025-06-20")
    (pytester.path / "tests" / "mini" / "cases.yaml").write_text(closed)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*the gap is closed, remove known_gap*"])
