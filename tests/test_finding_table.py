"""Findings kept as columns (``dualrel.finding_table``) are the findings made one by one.

The engine keeps its findings as columns and a check keeps its statuses, descriptions and
cited ties beside them; each ``Finding`` and ``CheckedFinding`` is made when read. These
tests hold the columns to the objects: the engine's to ``Store.finding`` of each match,
the report order to ``Finding.sort_key``, a result's counts to the findings read one by
one, and the JSON report written from the columns to the one written from the objects.
"""

from __future__ import annotations

import dataclasses
import functools
import pickle
from collections import Counter
from collections.abc import Sequence

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dualrel
from dualrel.check import run_check
from dualrel.finding_table import CheckedFindings, FindingTable
from dualrel.findings import FINDING_STATUSES, CheckedFinding, CheckResult, Finding
from dualrel.graph import as_registry
from dualrel.report import People, json_report
from dualrel.rules import prepare, shipped_rulesets
from dualrel.rules.engine import _evaluate_here, _evaluation_date, build_store, evaluate
from dualrel.testing import registries
from tests.report.test_json_text import _checked
from tests.test_findings_keys import _findings

EXAMPLE = dualrel.example_registry()
BOTH = ["coaching-core", "coaching-practice"]
SHIPPED = [*sorted(shipped_rulesets()), "tests/rules/data/compose.yaml"]
COMPILED = {name: prepare(name)[0] for name in SHIPPED}


@pytest.fixture(scope="module")
def example() -> CheckResult:
    return run_check(EXAMPLE, BOTH)


def test_a_check_keeps_its_findings_as_columns(example: CheckResult) -> None:
    assert isinstance(example.findings, CheckedFindings)
    assert isinstance(example.findings.table, FindingTable)
    assert isinstance(evaluate(dualrel.load_registry(EXAMPLE)).findings, FindingTable)


def test_the_findings_read_as_a_tuple_does(example: CheckResult) -> None:
    found = example.findings
    items = list(found)
    n = len(items)
    assert n == len(found) > 3
    assert all(isinstance(f, CheckedFinding) for f in items)
    assert found[0] == items[0] and found[-1] == items[-1] == found[n - 1]
    assert found[0] is not found[0]  # made on each reading, equal each time
    with pytest.raises(IndexError):
        found[n]
    with pytest.raises(IndexError):
        found[-n - 1]
    part = found[1:7:2]
    assert isinstance(part, CheckedFindings) and list(part) == items[1:7:2]
    assert found[::-1] == items[::-1]
    assert found == tuple(items) and tuple(items) == found and found == items
    assert found != items[1:] and found != items[::-1] and found != "abc"
    assert found.index(items[2]) == 2 and items[3] in found
    with pytest.raises(TypeError):
        hash(found)
    # a distributed check sends reports between processes
    assert pickle.loads(pickle.dumps(found)) == found
    assert pickle.loads(pickle.dumps(found.table)) == found.table
    text = repr(found)
    assert text.startswith("CheckedFindings([CheckedFinding(") and f"({n} findings)" in text
    assert repr(found[:2]) == f"CheckedFindings([{items[0]!r}, {items[1]!r}])"


def test_objects_turned_into_columns_are_the_same_findings(example: CheckResult) -> None:
    items = list(example.findings)
    again = CheckedFindings.of(items)
    assert again == example.findings and list(again) == items
    table = FindingTable.of([f.finding for f in items])
    assert table == [f.finding for f in items] and len(table.heads) < len(table)
    assert FindingTable.of(table) is table and CheckedFindings.of(again) is again
    halves = FindingTable.concat([table[:3], table[3:]])
    assert halves == table


@pytest.mark.parametrize("name", SHIPPED)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_the_engines_columns_are_the_findings_made_one_by_one(name: str, data: st.DataObject):
    compiled = COMPILED[name]
    kinds = sorted(k for k in compiled.schema.kinds if k in compiled.ruleset.kinds)
    reg = as_registry(data.draw(registries(max_people=8, max_ties=16, kinds=kinds)))
    table = evaluate(reg, compiled).findings
    # the same store and matches, each finding made alone (Monitor's way)
    store = build_store(compiled, reg, _evaluation_date(reg, None), prune=True)
    rules = {r.name: r for r in compiled.rules}
    made = {
        f.fingerprint: f
        for (rule, _anchor), matches in _evaluate_here(store, store.all_candidates()).items()
        for f in (store.finding(rules[rule], m) for m in matches)
    }
    # a symmetric rule reports one ordering of each match: the others are left out
    shown = [made[fp] for fp in dict.fromkeys(table.fingerprint)]
    assert list(table) == sorted(shown, key=Finding.sort_key)


@settings(max_examples=300)
@given(st.lists(_findings, max_size=12))
def test_the_table_sorts_as_the_sort_key_does(findings: list[Finding]) -> None:
    assert list(FindingTable.of(findings).sorted()) == sorted(findings, key=Finding.sort_key)


def _counts(findings: Sequence[CheckedFinding], level: int) -> tuple[object, ...]:
    """A result's counts as the findings read one by one say them."""
    status = Counter(f.status for f in findings)
    levels = Counter(f.finding.level for f in findings)
    rules = Counter(f"{f.finding.ruleset.id}/{f.finding.rule}" for f in findings)
    failing = [f for f in findings if f.status == "open" and f.finding.level >= level]
    return (
        {s: status.get(s, 0) for s in FINDING_STATUSES},
        {lv: levels.get(lv, 0) for lv in (3, 2, 1)},
        dict(sorted(rules.items())),
        failing,
        1 if failing else 0,
    )


@settings(max_examples=150, deadline=None)
@given(st.lists(_checked(), max_size=8), st.integers(1, 3))
def test_a_results_counts_are_the_findings_read_one_by_one(
    findings: list[CheckedFinding], level: int
) -> None:
    result = dataclasses.replace(_result(), findings=tuple(findings), fail_level=level)
    got = (
        result.by_status(),
        result.by_level(),
        result.by_rule(),
        list(result.failing()),
        result.exit_code(),
    )
    assert got == _counts(findings, level)


@functools.cache
def _result() -> CheckResult:
    return run_check(EXAMPLE)


@pytest.mark.parametrize("reveal", [False, True])
def test_the_report_from_a_checks_columns_is_the_report_of_its_findings(reveal: bool) -> None:
    result = run_check(EXAMPLE, BOTH, reveal=reveal)
    people = People(names=dict(result.names))
    objects = dataclasses.replace(result, findings=tuple(result.findings))
    streamed = b"".join(json_report.stream(result, people))
    assert streamed == b"".join(json_report.stream(objects, people))
    assert result.failing() == objects.failing() and result.by_rule() == objects.by_rule()


@pytest.mark.parametrize("fmt", ["json", "html", "sarif", "junit", "markdown", "text", "github"])
def test_a_format_makes_each_finding_once_and_json_none(
    fmt: str, example: CheckResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: Counter[int] = Counter()
    real = CheckedFindings._item

    def counted(self: CheckedFindings, i: int) -> CheckedFinding:
        made[i] += 1
        return real(self, i)

    monkeypatch.setattr(CheckedFindings, "_item", counted)
    dualrel.render(example, fmt)
    if fmt == "json":  # written from the columns
        assert not made
    else:
        assert len(made) == len(example.findings) and set(made.values()) == {1}
