"""The formats CI systems read natively: GitHub Actions annotations and GitLab Code Quality.

The annotation lines are parsed back as GitHub's runner parses workflow commands; the
Code Quality report is validated against GitLab's own schema (vendored, see
``gitlab-codeclimate.md``) and what GitLab's documentation adds to it.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import jsonschema
import pytest

from dualrel.check import run_check
from dualrel.graph import load_registry
from dualrel.report import CheckResult, Pseudonymizer, render
from dualrel.report.github import COMMANDS, escape_data, escape_property
from dualrel.report.gitlab import SEVERITIES
from tests.report.util import EXAMPLE

HERE = Path(__file__).parent
#: ``::command key=value,key=value::message``, as the runner splits it
COMMAND = re.compile(r"::(?P<cmd>[a-z]+)(?: (?P<props>[^:]*))?::(?P<msg>.*)")
GITLAB_SEVERITIES = {"info", "minor", "major", "critical", "blocker"}


def unescape(text: str) -> str:
    """The runner's unescaping (actions/runner ``ActionCommand.UnescapeValue``)."""
    for escaped, plain in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
        text = text.replace(escaped, plain)
    return text


def annotations(out: str) -> list[tuple[str, dict[str, str], str]]:
    found = []
    for line in out.splitlines():
        match = COMMAND.fullmatch(line)
        if match is None:
            assert not line.startswith("::"), line
            continue
        props = dict(p.split("=", 1) for p in (match["props"] or "").split(",") if p)
        found.append(
            (match["cmd"], {k: unescape(v) for k, v in props.items()}, unescape(match["msg"]))
        )
    return found


# -- github -------------------------------------------------------------------------------


def test_escaping_follows_githubs_rules() -> None:
    assert escape_data("a%b\r\nc:d,e") == "a%25b%0D%0Ac:d,e"
    assert escape_property("a%b\r\nc:d,e") == "a%25b%0D%0Ac%3Ad%2Ce"
    assert escape_data("%0A") == "%250A"  # an escape in the text stays text
    for text in ("plain", "x%0Ay", "::error::x", "a,b:c\nd%"):
        assert unescape(escape_property(text)) == text
        assert unescape(escape_data(text)) == text


def test_github_one_annotation_per_open_finding_at_its_evidence_line(
    example_result: CheckResult, pseudo: Pseudonymizer
) -> None:
    out = render(example_result, "github", pseudonymizer=pseudo)
    found = annotations(out)
    assert len(found) == len(example_result.findings) == 12
    registry = load_registry(EXAMPLE)
    for (cmd, props, message), f in zip(found, example_result.findings, strict=True):
        fd = f.finding
        assert cmd == COMMANDS[fd.level]
        assert props["file"].endswith("practice.json")
        assert int(props["line"]) == registry.locations[("tie", fd.evidence[-1])].line
        assert props["title"] == f"{fd.ruleset.id}/{fd.rule} (level {fd.level}, {fd.severity})"
        assert message.startswith(f"{fd.title}: ") and fd.fingerprint in message
        for pid in fd.subjects.values():
            assert pseudo.alias(pid) in message
            assert not re.search(rf"\b{pid}\b", out)
    assert [c for c, _, _ in found].count("error") == 1
    assert COMMANDS == {3: "error", 2: "warning", 1: "notice"}
    assert out.splitlines()[-2] == (
        "dualrel check: 12 open finding(s) at or above level 1; "
        "12 open, 0 waived, 0 baselined in all."
    )


def test_github_paths_are_relative_to_the_workspace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pseudo: Pseudonymizer
) -> None:
    reg = tmp_path / "data" / "practice.json"
    reg.parent.mkdir()
    reg.write_bytes(EXAMPLE.read_bytes())
    monkeypatch.chdir(tmp_path)
    found = annotations(render(run_check(reg.resolve()), "github", pseudonymizer=pseudo))
    assert {props["file"] for _, props, _ in found} == {"data/practice.json"}


def test_github_text_cannot_break_out_of_a_command(
    example_result: CheckResult, pseudo: Pseudonymizer
) -> None:
    f = example_result.findings[0]
    title = "Romance,\nnext::error file=x::injected 50%"
    odd = replace(f, finding=replace(f.finding, title=title, rule="a:b,c"))
    out = render(replace(example_result, findings=(odd,)), "github", pseudonymizer=pseudo)
    ((cmd, props, message),) = annotations(out)
    assert cmd == "error" and set(props) == {"file", "line", "title"}
    assert props["title"].startswith(f"{f.finding.ruleset.id}/a:b,c (level")
    assert message.startswith(title + ": ")
    # the runner ends the properties at the first "::" and the command at the line's end
    assert len(out.splitlines()) == 3


def test_github_leaves_out_waived_and_baselined_findings(
    example_result: CheckResult, pseudo: Pseudonymizer
) -> None:
    first, second, *rest = example_result.findings
    findings = (replace(first, status="waived"), replace(second, status="baselined"), *rest)
    out = render(replace(example_result, findings=findings), "github", pseudonymizer=pseudo)
    assert len(annotations(out)) == 10
    assert first.finding.fingerprint not in out and second.finding.fingerprint not in out
    assert "10 open, 1 waived, 1 baselined in all." in out


def test_github_without_a_line_points_at_the_registry(
    example_result: CheckResult, pseudo: Pseudonymizer
) -> None:
    f = example_result.findings[0]
    ties = tuple(replace(t, file=None, line=None, pointer=None) for t in f.ties)
    result = replace(example_result, findings=(replace(f, ties=ties),))
    ((_, props, _),) = annotations(render(result, "github", pseudonymizer=pseudo))
    assert set(props) == {"file", "title"}
    assert props["file"].endswith("practice.json")


# -- gitlab -------------------------------------------------------------------------------


def gitlab_issues(out: str) -> list[dict[str, object]]:
    """The report, validated issue by issue against GitLab's schema and its documented
    requirements."""
    schema = json.loads((HERE / "gitlab-codeclimate.json").read_text(encoding="utf-8"))
    report = json.loads(out)
    assert isinstance(report, list)
    jsonschema.validators.validator_for(schema)(schema).validate(report[0] if report else {})
    for issue in report:
        jsonschema.validators.validator_for(schema)(schema).validate(issue)
        assert issue["severity"] in GITLAB_SEVERITIES
        assert isinstance(issue["check_name"], str) and issue["check_name"]
        assert isinstance(issue["location"]["lines"]["begin"], int)
        assert not issue["location"]["path"].startswith("/")
    assert len({i["fingerprint"] for i in report}) == len(report)
    return report


def test_gitlab_report_is_valid_with_an_issue_per_open_finding(
    example_result: CheckResult, pseudo: Pseudonymizer
) -> None:
    issues = gitlab_issues(render(example_result, "gitlab", pseudonymizer=pseudo))
    assert len(issues) == len(example_result.findings) == 12
    registry = load_registry(EXAMPLE)
    for issue, f in zip(issues, example_result.findings, strict=True):
        fd = f.finding
        assert issue["check_name"] == f"{fd.ruleset.id}/{fd.rule}"
        assert issue["fingerprint"] == fd.fingerprint
        assert issue["severity"] == SEVERITIES[fd.severity]
        line = registry.locations[("tie", fd.evidence[-1])].line
        assert issue["location"] == {"path": issue["location"]["path"], "lines": {"begin": line}}
        assert str(issue["location"]["path"]).endswith("practice.json")
        body = issue["content"]["body"]  # type: ignore[index]
        assert "What to do" in body and "DUALREL_PSEUDONYM_KEY" in body
        for pid in fd.subjects.values():
            assert pseudo.alias(pid) in str(issue["description"])
    assert set(SEVERITIES.values()) <= GITLAB_SEVERITIES


def test_gitlab_schema_rejects_what_gitlab_drops() -> None:
    schema = json.loads((HERE / "gitlab-codeclimate.json").read_text(encoding="utf-8"))
    validator = jsonschema.validators.validator_for(schema)(schema)
    assert not validator.is_valid({"description": "x", "severity": "major", "location": {}})
    assert not validator.is_valid(
        {"description": "x", "fingerprint": "f", "severity": "major", "location": {"lines": 3}}
    )


def test_gitlab_leaves_out_waived_findings_and_locates_unknown_lines_at_line_1(
    example_result: CheckResult, pseudo: Pseudonymizer
) -> None:
    first, second, *_ = example_result.findings
    ties = tuple(replace(t, file=None, line=None, pointer=None) for t in second.ties)
    findings = (replace(first, status="waived"), replace(second, ties=ties))
    out = render(replace(example_result, findings=findings), "gitlab", pseudonymizer=pseudo)
    (issue,) = gitlab_issues(out)
    assert issue["fingerprint"] == second.finding.fingerprint
    assert issue["location"]["lines"] == {"begin": 1}  # type: ignore[index]


def test_gitlab_empty_report_is_an_empty_list(
    example_result: CheckResult, pseudo: Pseudonymizer
) -> None:
    findings = tuple(replace(f, status="waived") for f in example_result.findings)
    waived = replace(example_result, findings=findings)
    assert json.loads(render(waived, "gitlab", pseudonymizer=pseudo)) == []
