"""Baselines: baselined findings, resolved ones, and bad baseline files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dualrel.check import run_check
from dualrel.report import ReportFileError, render
from tests.report.util import FRIENDSHIP, ROMANCE, small_registry, write_registry


def test_baselined_and_resolved(tmp_path: Path, planted: Path) -> None:
    base = tmp_path / "base.json"
    base.write_text(render(run_check(planted), "json"), encoding="utf-8")
    same = run_check(planted, baseline=base)
    assert {f.status for f in same.findings} == {"baselined"}
    assert same.exit_code() == 0 and same.resolved == ()
    assert same.baseline is not None and same.baseline.path == str(base)

    # the friendship ends, a business tie appears: one resolved, one new open finding
    friendship_over = {**FRIENDSHIP, "end": "2026-01-01"}
    business = {"id": "b1", "kind": "business", "source": "co1", "target": "cl2"}
    reg = write_registry(
        tmp_path / "next.json", small_registry([ROMANCE, friendship_over, business])
    )
    later = run_check(reg, baseline=base)
    statuses = {f.finding.rule: f.status for f in later.findings}
    assert statuses == {"romance-active-client": "baselined", "business-active-client": "open"}
    assert [r.rule for r in later.resolved] == ["personal-contact-active-client"]
    assert later.exit_code() == 1
    doc = json.loads(render(later, "json"))
    assert doc["summary"]["resolved"] == 1 and doc["resolved"][0]["subjects"]["client"] == "cl2"


def test_resolved_only_for_rulesets_in_use(tmp_path: Path, planted: Path) -> None:
    base = tmp_path / "base.json"
    base.write_text(render(run_check(planted), "json"), encoding="utf-8")
    other = run_check(planted, ["counselling-windows"], baseline=base)
    assert other.resolved == ()


@pytest.mark.parametrize(
    ("text", "code", "where"),
    [
        ("{not json", "malformed", ":1"),
        ('{"format": "dualrel.registry/1", "people": []}', "not-a-report", "/format"),
        ("[1, 2]", "not-a-report", "/format"),
    ],
)
def test_bad_baseline(tmp_path: Path, planted: Path, text: str, code: str, where: str) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(ReportFileError) as err:
        run_check(planted, baseline=bad)
    p = err.value.problems[0]
    assert p.code == code and p.file == str(bad) and where in str(p)


def test_baseline_with_a_broken_finding_names_it(tmp_path: Path, planted: Path) -> None:
    doc = json.loads(render(run_check(planted), "json"))
    doc["findings"][0]["level"] = 7
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(ReportFileError) as err:
        run_check(planted, baseline=bad)
    p = err.value.problems[0]
    assert p.pointer == "/findings/0/level"
    assert p.record == doc["findings"][0]["fingerprint"]
