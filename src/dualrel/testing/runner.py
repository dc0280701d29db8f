"""Running ruleset test cases, and measuring how well they guard the rules.

>>> from dualrel.testing import run_tests
>>> results = run_tests(["coaching-core"])
>>> results.ok, results.failed
(True, 0)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from dualrel._internal.terminal import printable
from dualrel.errors import Problem
from dualrel.findings import Finding
from dualrel.graph.model import Registry
from dualrel.rules.compiler import compile_ruleset
from dualrel.rules.engine import evaluate
from dualrel.rules.loader import Rule, Ruleset, load_ruleset
from dualrel.rules.plan import CompiledRuleset
from dualrel.testing._cases import (
    Case,
    CaseFile,
    Expected,
    TestCaseError,
    read_case_files,
)
from dualrel.testing._discover import discover

__all__ = [
    "CaseResult",
    "RuleCoverage",
    "TestCaseError",
    "TestResults",
    "check_case",
    "evaluate_case",
    "format_case_result",
    "run_tests",
]


Outcome = Literal["pass", "fail", "known-gap", "gap-closed"]


@dataclass(frozen=True, slots=True)
class CaseResult:
    """The outcome of one case: what it expected, what came, and what differs."""

    __test__ = False

    case: Case
    findings: tuple[Finding, ...]
    missing: tuple[Expected, ...]
    unexpected: tuple[Finding, ...]
    forbidden: tuple[Finding, ...] = ()  # findings of rules the case lists under ``absent``

    @property
    def matched(self) -> bool:
        """The findings are what the case expects."""
        return not (self.missing or self.unexpected or self.forbidden)

    @property
    def outcome(self) -> Outcome:
        """``pass`` or ``fail``; for a known gap, ``known-gap`` while it fails as expected
        and ``gap-closed`` once it passes (a failure, as pytest's strict xfail: remove
        ``known_gap`` and the case counts again)."""
        if self.case.known_gap is None:
            return "pass" if self.matched else "fail"
        return "gap-closed" if self.matched else "known-gap"

    @property
    def passed(self) -> bool:
        """Not a failure: the case passed, or a known gap still fails as expected."""
        return self.outcome in ("pass", "known-gap")


@dataclass(frozen=True, slots=True)
class RuleCoverage:
    """Which cases made a rule fire (and expected it) and which checked it does not."""

    ruleset: str
    rule: str
    positive: tuple[str, ...]
    negative: tuple[str, ...]

    @property
    def covered(self) -> bool:
        return bool(self.positive and self.negative)


@dataclass(frozen=True, slots=True)
class TestResults:
    """Every case of a run, with the problems of files that could not be read."""

    __test__ = False

    files: tuple[CaseFile, ...]
    results: tuple[CaseResult, ...]
    problems: tuple[Problem, ...] = ()
    rulesets: Mapping[str, Ruleset] = field(default_factory=dict)

    @property
    def passed(self) -> int:
        return sum(r.outcome == "pass" for r in self.results)

    @property
    def known_gaps(self) -> int:
        """Cases marked as known gaps that still fail, as expected."""
        return sum(r.outcome == "known-gap" for r in self.results)

    def ruleset_ids(self) -> list[str]:
        """The ids of the rulesets tested, in the order first met."""
        return [rs.id for rs in self.rulesets.values()]

    @property
    def failed(self) -> int:
        return sum(not r.passed for r in self.results)

    @property
    def ok(self) -> bool:
        return not self.problems and self.failed == 0

    @property
    def exit_code(self) -> int:
        """0 all passed; 1 a case failed; 2 a file is invalid (or there was nothing to run)."""
        if self.problems or not self.results:
            return 2
        return 0 if self.failed == 0 else 1

    def coverage(self) -> tuple[RuleCoverage, ...]:
        """Per rule of every ruleset tested: its positive and negative cases."""
        out: list[RuleCoverage] = []
        for ref, ruleset in self.rulesets.items():
            mine = [r for r in self.results if r.case.ruleset_ref == ref]
            for rule in ruleset.rules:
                pos = tuple(r.case.name for r in mine if _is_positive(r, rule))
                neg = tuple(r.case.name for r in mine if _is_negative(r, rule))
                out.append(RuleCoverage(ruleset.id, rule.id, pos, neg))
        return tuple(out)


def _is_positive(result: CaseResult, rule: Rule) -> bool:
    return (
        result.outcome == "pass"
        and any(e.rule == rule.id for e in result.case.expected)
        and any(f.rule == rule.id for f in result.findings)
    )


def _is_negative(result: CaseResult, rule: Rule) -> bool:
    """The case passed, the rule did not fire, and the case would have caught it firing:
    the rule is listed under ``absent``, or the case is strict and holds ties of the kinds
    every clause of the rule reads (a near miss, not an empty registry)."""
    if result.outcome != "pass" or any(f.rule == rule.id for f in result.findings):
        return False
    if rule.id in result.case.absent:
        return True
    if not result.case.only:
        return False
    kinds = {t.kind for t in result.case.registry.ties}
    return all(kinds & set(c.kinds) for c in rule.match.ties if c.exists)


def _matches(e: Expected, f: Finding) -> bool:
    return (
        f.rule == e.rule
        and (e.subjects is None or dict(f.subjects) == dict(e.subjects))
        and (e.level is None or f.level == e.level)
        and (e.severity is None or f.severity == e.severity)
        and (e.evidence is None or tuple(f.evidence) == tuple(e.evidence))
        and (e.records is None or tuple(f.records) == tuple(e.records))
    )


def check_case(case: Case, findings: Sequence[Finding]) -> CaseResult:
    """Compare a case's expectations with the findings an evaluation gave."""
    findings = [f for f in findings if f.rule not in case.ignored]
    missing = tuple(e for e in case.expected if not any(_matches(e, f) for f in findings))
    unexpected: tuple[Finding, ...] = ()
    if case.only:
        unexpected = tuple(f for f in findings if not any(_matches(e, f) for e in case.expected))
    forbidden = tuple(f for f in findings if f.rule in case.absent and f not in unexpected)
    return CaseResult(case, tuple(findings), missing, unexpected, forbidden)


class _Compiled:
    """Rulesets loaded and compiled once per (reference, parameters)."""

    def __init__(self) -> None:
        self.cache: dict[tuple[str, tuple[tuple[str, float], ...]], CompiledRuleset] = {}

    def get(self, case: Case) -> CompiledRuleset:
        key = (case.ruleset_ref, tuple(sorted(case.parameters.items())))
        if key not in self.cache:
            rs = load_ruleset(case.ruleset_ref, parameters=dict(case.parameters) or None)
            self.cache[key] = compile_ruleset(rs)
        return self.cache[key]


def evaluate_case(case: Case, compiled: CompiledRuleset) -> tuple[Finding, ...]:
    return tuple(evaluate(case.registry, compiled, as_of=case.registry.as_of).findings)


def _run_case_files(
    files: Sequence[CaseFile], on_result: Callable[[CaseResult], None] | None = None
) -> TestResults:
    """Run already read case files."""
    compiled = _Compiled()
    results: list[CaseResult] = []
    rulesets: dict[str, Ruleset] = {}
    for f in files:
        if f.ruleset_ref not in rulesets:
            rulesets[f.ruleset_ref] = load_ruleset(f.ruleset_ref)
        for case in f.cases:
            result = check_case(case, evaluate_case(case, compiled.get(case)))
            results.append(result)
            if on_result is not None:
                on_result(result)
    return TestResults(tuple(files), tuple(results), (), rulesets)


def run_tests(
    paths: Iterable[str | Path] = (),
    *,
    on_result: Callable[[CaseResult], None] | None = None,
) -> TestResults:
    """Find, read and run test cases.

    ``paths`` are case files, folders holding them, ruleset files or shipped ruleset names
    (whose ``tests/<name>/`` folder is run); none means ``rulesets/`` here, else every
    shipped ruleset.  Invalid files are not run: their problems are in ``problems`` and
    ``exit_code`` is 2.  ``on_result`` is called after each case, as it runs.
    """
    found, problems = discover(list(paths))
    files, read_problems = read_case_files(found)
    problems += read_problems
    if problems:
        return TestResults(tuple(files), (), tuple(problems), {})
    return _run_case_files(files, on_result)


# -- text ------------------------------------------------------------------------------------


def _describe_finding(f: Finding, registry: Registry | None = None) -> str:
    subjects = " ".join(f"{k}={v}" for k, v in sorted(f.subjects.items()))
    text = f"{f.rule}  {subjects}  level {f.level}  {f.severity}"
    ties = {t.id: t for t in registry.ties} if registry is not None else {}
    evidence = []
    for tid in f.evidence:
        t = ties.get(tid)
        if t is None:
            evidence.append(tid)
            continue
        dates = ""
        if t.start is not None or t.end is not None:
            start = t.start.isoformat() if t.start else ""
            dates = f" {start}..{t.end.isoformat() if t.end else ''}"
        evidence.append(f"{tid} ({t.kind} {t.source}->{t.target}{dates})")
    return text + "\n        evidence: " + ", ".join(evidence)


def format_case_result(result: CaseResult, *, verbose: bool = False) -> str:
    """One line per case; for a failure, what was expected and what came, with evidence."""
    case = result.case
    outcome = result.outcome
    mark = {"pass": "PASS", "fail": "FAIL", "known-gap": "GAP ", "gap-closed": "FAIL"}[outcome]
    # a case's name is one value: no line break or escape in it reaches the terminal
    head = f"{mark}  {printable(case.where)}  {printable(case.name)}"
    if outcome == "known-gap":
        head += f"\n    known gap (expected to fail, not counted): {case.known_gap}"
    elif outcome == "gap-closed":
        return (
            f"{head}\n    marked as a known gap, but it passes: the gap is closed, remove "
            f"known_gap so the case counts"
        )
    if outcome in ("pass", "known-gap") and not verbose:
        return head
    lines = [head]
    reg = case.registry
    if result.missing:
        lines.append("    expected, but not found:")
        lines += [f"      - {e.describe()}" for e in result.missing]
    if result.unexpected:
        lines.append("    found, but not expected (add it to expect, or say only: false):")
        lines += [f"      + {_describe_finding(f, reg)}" for f in result.unexpected]
    if result.forbidden:
        lines.append("    found, but listed under absent:")
        lines += [f"      + {_describe_finding(f, reg)}" for f in result.forbidden]
    if not result.matched or verbose:
        others = [
            f for f in result.findings if f not in result.unexpected and f not in result.forbidden
        ]
        if others:
            lines.append("    found, as expected:")
            lines += [f"        {_describe_finding(f, reg)}" for f in others]
        elif not result.findings:
            lines.append("    found: nothing")
    return "\n".join(lines)
