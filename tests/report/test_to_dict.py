"""Finding.to_dict and CheckedFinding.to_dict: JSON-ready, and exactly the JSON report's
findings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import dualrel
from dualrel import render, run_check


@pytest.mark.parametrize("reveal", [False, True])
def test_every_finding_of_the_example_is_the_report_s_finding(tmp_path: Path, reveal: bool) -> None:
    first = run_check(dualrel.example_registry())
    waived = first.findings[0].finding.fingerprint
    waivers = tmp_path / "w.yaml"
    waivers.write_text(
        f"- fingerprint: {waived[:12]}\n  reason: referred\n  approved_by: EC\n"
        "  agreement: EC-1\n  expires: 2030-01-01\n",
        encoding="utf-8",
    )
    result = run_check(dualrel.example_registry(), waivers=waivers, reveal=reveal)
    assert result.findings[0].waiver is not None  # a waiver and its expiry date, too
    report = json.loads(render(result, "json", reveal=reveal))["findings"]
    assert len(report) == len(result.findings) > 10
    names = result.names if reveal else None
    for checked, expected in zip(result.findings, report, strict=True):
        got = checked.to_dict(names)
        assert json.dumps(got) == json.dumps(expected)
        engine = checked.finding.to_dict()  # the engine's part: the report's first keys
        assert json.dumps(engine) == json.dumps(dict(list(expected.items())[: len(engine)]))
    assert any(f["names"] for f in report) is reveal
    assert any(f["evidence_ties"] and f["remediation"] for f in report)
