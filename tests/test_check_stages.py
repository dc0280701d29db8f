"""The findings and result stages of a check do each piece of work once: counted, not timed."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import dualrel
import dualrel._internal.timing
import dualrel.check
import dualrel.finding_table
import dualrel.rules.engine
from dualrel.check import run_check
from dualrel.cli import main
from dualrel.findings import fingerprint
from dualrel.rules import _remediation

EXAMPLE = dualrel.example_registry()
BOTH = ["coaching-core", "coaching-practice"]


def _counting(monkeypatch: pytest.MonkeyPatch, owner: object, name: str) -> Counter[str]:
    calls: Counter[str] = Counter()
    real: Callable[..., Any] = getattr(owner, name)

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls[name] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, counted)
    return calls


def test_fingerprint_makes_no_json_encoder_per_call(monkeypatch: pytest.MonkeyPatch) -> None:
    made = _counting(monkeypatch, json.JSONEncoder, "__init__")
    prints = {fingerprint("rs", "r", {"coach": f"c{i}"}, (f"t{i}",)) for i in range(50)}
    assert len(prints) == 50
    assert made["__init__"] == 0
    # the same text json.dumps gives: fingerprints of baselines and waivers stay valid
    assert fingerprint("rs", "r", {"b": "é", "a": "1"}, ("t",), ("contacts/x",)) == (
        "bac07a4a5345019bd5ef7ffe2d0a8940"
    )


def test_remediation_steps_are_made_once_per_coach_and_step(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # steps are made in bulk, per rule step for the coaches not seen yet: each of those
    # coaches gets its assignee worked out once
    made: Counter[str] = Counter()
    real = _remediation.assignees

    def counted(*args: Any) -> Any:
        made["_step"] += len(args[-1])  # the coaches
        return real(*args)

    monkeypatch.setattr(_remediation, "assignees", counted)
    result = run_check(EXAMPLE)
    steps = [s for f in result.findings for s in f.finding.remediation]
    distinct = {
        (s.action, s.within_days, s.owner, f.finding.subjects.get("coach"))
        for f in result.findings
        for s in f.finding.remediation
    }
    assert made["_step"] == len(distinct) < len(steps)


def test_one_ruleset_is_sorted_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # a finding's sort key is made in one place, whichever sorts (dualrel.finding_table)
    # the sort texts are made in one C loop per sort: count the findings each sort orders
    keys: Counter[str] = Counter()
    table = dualrel.finding_table.FindingTable
    real = table.sorted

    def counted(self: dualrel.finding_table.FindingTable) -> Any:
        keys["_ordered_text"] += len(self)
        return real(self)

    monkeypatch.setattr(table, "sorted", counted)
    result = run_check(EXAMPLE)
    assert keys["_ordered_text"] == len(result.findings)  # evaluate's sort; the check keeps it
    keys.clear()
    assert len(run_check(EXAMPLE, BOTH).findings) > len(result.findings)
    assert keys["_ordered_text"] > len(result.findings)  # two rulesets' findings are merged


def test_no_waivers_no_waiver_index(monkeypatch: pytest.MonkeyPatch) -> None:
    applied = _counting(monkeypatch, dualrel.check, "apply_waivers")
    result = run_check(EXAMPLE)
    assert applied["apply_waivers"] == 0
    assert result.waivers == () and {f.status for f in result.findings} == {"open"}


def test_a_tie_cited_by_several_findings_is_one_evidence_tie() -> None:
    result = run_check(EXAMPLE, BOTH)
    by_id: dict[str, list[object]] = {}
    for f in result.findings:
        for t in f.ties:
            by_id.setdefault(t.id, []).append(t)
    shared = [ties for ties in by_id.values() if len(ties) > 1]
    assert shared
    assert all(t is ties[0] for ties in shared for t in ties)


def test_timelines_only_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    windows = _counting(monkeypatch, dualrel.check, "date_windows")
    records = _counting(monkeypatch, dualrel.check, "_records")
    full = run_check(EXAMPLE, BOTH)
    assert windows["date_windows"] > 0 and records["_records"] == 1
    assert any(f.windows for f in full.findings) and any(f.records for f in full.findings)
    windows.clear()
    records.clear()
    lean = run_check(EXAMPLE, BOTH, timelines=False)
    assert windows["date_windows"] == records["_records"] == 0
    assert all(f.windows == () and f.records == () for f in lean.findings)
    assert [f.finding for f in lean.findings] == [f.finding for f in full.findings]


# json holds them, so that `dualrel render` writes the html page from it
@pytest.mark.parametrize(("fmt", "drawn"), [("json", True), ("sarif", False), ("html", True)])
def test_the_command_finds_timelines_only_for_formats_that_draw_them(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fmt: str, drawn: bool
) -> None:
    windows = _counting(monkeypatch, dualrel.check, "date_windows")
    out = tmp_path / f"report.{fmt}"
    argv = ["check", str(EXAMPLE), "-r", "coaching-core", "-r", "coaching-practice"]
    assert main([*argv, "--format", fmt, "-o", str(out)]) == 1
    assert (windows["date_windows"] > 0) is drawn


def test_the_report_order_is_timed_in_the_findings_stage(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # a clock that moves only while the findings are sorted: the seconds must land in a
    # stage (the sort once ran after the findings lap, timed in none)
    clock = [0.0]
    real = dualrel.rules.engine.sorted_findings

    def sorting(findings: Any) -> Any:
        clock[0] += 100.0
        return real(findings)

    monkeypatch.setattr(dualrel.rules.engine, "sorted_findings", sorting)
    monkeypatch.setattr(dualrel._internal.timing.time, "perf_counter", lambda: clock[0])
    timings: dict[str, float] = {}
    run_check(EXAMPLE, timings=timings)
    assert timings["findings"] == 100.0
    assert sum(timings.values()) == 100.0
