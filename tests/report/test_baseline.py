"""Baselines: baselined findings, resolved ones, and bad baseline files."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from dualrel.check import run_check
from dualrel.errors import Problem
from dualrel.report import ReportFileError, render
from tests.cli.util import run
from tests.report.test_formats import sarif_schema
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


def test_a_baseline_of_the_same_registry_warns_of_nothing(tmp_path: Path, planted: Path) -> None:
    base = tmp_path / "base.json"
    base.write_text(render(run_check(planted), "json"), encoding="utf-8")
    result = run_check(planted, baseline=base)
    assert result.warnings == ()
    assert "warnings" not in json.loads(render(result, "json"))
    assert "invocations" not in render(result, "sarif")


def test_a_baseline_of_other_registry_content_is_a_warning(tmp_path: Path, planted: Path) -> None:
    base = tmp_path / "base.json"
    base.write_text(render(run_check(planted), "json"), encoding="utf-8")
    changed = write_registry(tmp_path / "next.json", small_registry([ROMANCE]))
    warned: list[Problem] = []
    result = run_check(changed, baseline=base, warnings=warned)
    (w,) = result.warnings
    assert warned == [w] and w.severity == "warning" and w.code == "baseline-registry"
    assert w.file == str(base) and "the registry changed since" in w.message
    assert str(planted) in w.message  # the registry the baseline was made from
    doc = json.loads(render(result, "json"))
    assert doc["warnings"] == [{"code": w.code, "file": str(base), "message": w.message}]
    load_report_text = tmp_path / "again.json"
    load_report_text.write_text(render(result, "json"), encoding="utf-8")
    assert run_check(changed, baseline=load_report_text).warnings == ()  # same content now
    sarif = json.loads(render(result, "sarif"))
    jsonschema.validate(sarif, sarif_schema())
    (note,) = sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert note["descriptor"]["id"] == "baseline-registry" and note["level"] == "warning"
    assert "warning (`baseline-registry`)" in render(result, "markdown")


def test_a_baseline_of_another_practice_says_so(tmp_path: Path, planted: Path) -> None:
    base = tmp_path / "base.json"
    base.write_text(render(run_check(planted), "json"), encoding="utf-8")
    other = small_registry([ROMANCE])
    text = json.dumps(other)
    for old, new in (("co1", "xo1"), ("cl1", "xl1"), ("cl2", "xl2")):
        text = text.replace(f'"{old}"', f'"{new}"')
    renamed = json.loads(text)
    reg = write_registry(tmp_path / "other.json", renamed)
    (w,) = run_check(reg, baseline=base).warnings
    assert "probably the baseline of another registry" in w.message


def test_the_command_line_prints_the_warning(tmp_path: Path, planted: Path) -> None:
    base = tmp_path / "base.json"
    base.write_text(render(run_check(planted), "json"), encoding="utf-8")
    changed = write_registry(tmp_path / "next.json", small_registry([ROMANCE]))
    proc = run("check", changed, "--baseline", base)
    assert proc.returncode == 0  # a warning never fails a check
    assert f"warning: {base}: baseline-registry: the baseline was made from" in proc.stderr
