"""End-to-end tests of rulesets, lint, explain, schema and demo."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

from dualrel.waivers import load_waivers
from tests.cli.util import assert_input_error, run
from tests.report.util import EXAMPLE, example_names


def test_rulesets_lists_shipped() -> None:
    proc = run("rulesets")
    assert proc.returncode == 0
    lines = proc.stdout.splitlines()
    assert lines[0].split() == ["NAME", "VERSION", "RULES", "TITLE"]
    core = next(line for line in lines if line.startswith("coaching-core"))
    assert core.split()[1:3] == ["1.0.0", "11"]
    rows = json.loads(run("rulesets", "--json").stdout)
    assert {r["name"] for r in rows} >= {"coaching-core", "icf-2020", "counselling-windows"}


def test_lint_ok_and_all_problems(tmp_path: Path) -> None:
    ok = run("lint", "coaching-core", "icf-2020")
    assert ok.returncode == 0 and "coaching-core: ok" in ok.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        """\
id: bad
version: "1"
title: Bad
rules:
  - id: r1
    title: t
    category: c
    severity: huge
    level: 2
    remediation: []
    match:
      people: {coach: {}}
      ties: [{kind: coaching, from: coach, to: client}]
  - id: r2
    title: t
    category: c
    severity: low
    level: 7
    match:
      people: {coach: {}}
      ties: [{kind: romace, between: [coach, coach]}]
""",
        encoding="utf-8",
    )
    proc = run("lint", bad)
    assert_input_error(proc, f"{bad}:8", f"{bad}:18")
    assert "r1" in proc.stderr and "r2" in proc.stderr
    assert_input_error(run("lint", tmp_path / "missing.yaml"), "missing.yaml")


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("explain") / "report.json"
    assert run("check", EXAMPLE, "-f", "json", "-o", path).returncode == 1
    return path


def test_explain_tells_a_finding(report: Path) -> None:
    doc = json.loads(report.read_text(encoding="utf-8"))
    fp = doc["findings"][0]["fingerprint"]
    for ref in (fp, fp[:8]):
        proc = run("explain", report, ref)
        assert proc.returncode == 0, proc.stderr
        out = proc.stdout
        assert out.startswith("Romance between a coach and an active client")
        assert "coach: co001" in out and "client: cl0003" in out
        assert "t071: romance between co001 and cl0003, since " in out
        assert "t015: coaching from co001 to cl0003" in out
        assert "Why it matters:" in out and "ICF-2020 24" in out
        assert "1. Pause the coaching engagement at once" in out
        assert "who: coach co001; by 2026-11-26" in out
        assert "ethics committee (unassigned" in out
        assert not [n for n in example_names() if n in out]


def test_explain_takes_the_fingerprint_as_the_text_report_prints_it(report: Path) -> None:
    text = run("check", EXAMPLE).stdout
    shown = re.findall(r"#[0-9a-f]{12}\b", text)
    assert shown, text
    doc = json.loads(report.read_text(encoding="utf-8"))
    fingerprints = {f["fingerprint"] for f in doc["findings"]}
    for ref in (shown[0], shown[0].removeprefix("#")):
        proc = run("explain", report, ref)
        assert proc.returncode == 0, proc.stderr
    (full,) = [fp for fp in fingerprints if fp.startswith(shown[0][1:])]
    assert run("explain", report, full).stdout == proc.stdout


def test_explain_bad_input(tmp_path: Path, report: Path) -> None:
    assert_input_error(run("explain", report, "0000000000"), str(report), "0000000000")
    assert_input_error(run("explain", tmp_path / "none.json", "abc"), "none.json")
    registry_not_report = run("explain", EXAMPLE, "abcdef")
    assert_input_error(registry_not_report, "not-a-report", "/format")


@pytest.mark.parametrize("which", ["registry", "ruleset", "report"])
def test_schema(which: str) -> None:
    proc = run("schema", which)
    assert proc.returncode == 0
    schema = json.loads(proc.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    if which == "registry":
        instance = json.loads(EXAMPLE.read_text(encoding="utf-8"))
        jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(
            instance
        )
        bad = {**instance, "ties": [{"kind": "coaching", "source": "a"}]}
        assert not jsonschema.Draft202012Validator(schema).is_valid(bad)
    if which == "report":
        report = json.loads(run("check", EXAMPLE, "-f", "json").stdout)
        jsonschema.Draft202012Validator(schema).validate(report)


WAIVERS = """\
waivers:
  - fingerprint: "#bde7dfb660f5"
    reason: Coaching ends this month
    approved_by: ethics committee
    agreement: EC-2026-117
    expires: "2026-12-31"
  - rule: coaching-core/romance-active-client
    subjects: {coach: co001, client: cl0003}
    reason: Referred
    approved_by: ethics committee
    expires: "2027-01-31"
"""


def test_schema_of_waivers_accepts_what_load_waivers_accepts(tmp_path: Path) -> None:
    proc = run("schema", "waivers")
    assert proc.returncode == 0, proc.stderr
    schema = json.loads(proc.stdout)
    check = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    check.check_schema(schema)
    good = yaml.safe_load(WAIVERS)
    (tmp_path / "w.yaml").write_text(WAIVERS, encoding="utf-8")
    assert len(load_waivers(tmp_path / "w.yaml")) == 2  # the loader accepts it too
    check.validate(good)
    check.validate(good["waivers"])  # the bare list
    entry = good["waivers"][0]
    for bad in (
        {**entry, "fingerprint": "bde7dfb6"},  # fewer than 12 digits
        {**entry, "colour": "red"},
        {k: v for k, v in entry.items() if k != "approved_by"},
        {**entry, "expires": "next week"},
    ):
        assert not check.is_valid({"waivers": [bad]}), bad
    assert not check.is_valid({"waiver": []})


def test_schema_unknown() -> None:
    assert_input_error(run("schema", "graph"), "invalid choice")


def test_demo() -> None:
    proc = run("demo")
    assert proc.returncode == 0
    assert "Level 3 (external referral or therapy): 1" in proc.stdout
    assert "dualrel check REGISTRY" in proc.stdout
    assert not [n for n in example_names() if n in proc.stdout]


def test_top_level_help_lists_commands() -> None:
    out = run("--help").stdout
    for cmd in ("check", "rulesets", "lint", "explain", "schema", "demo"):
        assert cmd in out
