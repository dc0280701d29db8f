"""``junit``: JUnit XML for CI dashboards (people pseudonymised).

One ``testsuite`` per ruleset, one ``testcase`` per rule (``classname`` the ruleset id,
``name`` the rule id), one ``failure`` per open finding at or above the fail level.
Other findings of the rule (below the fail level, waived, baselined) are listed in the
test case's ``system-out``.  ``failures`` counts failure elements, as junitparser does;
times are always 0 so the output is deterministic.  XML 1.0 cannot hold most control
characters: an id holding one is written escaped (``\\x1b``), so the document stays
well-formed.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from dualrel._internal.terminal import printable
from dualrel.findings import CheckedFinding, CheckResult
from dualrel.report._base import OutputFormat, People, level_name, step_text

__all__ = ["FORMAT", "render"]


def _finding_text(f: CheckedFinding, people: People) -> str:
    fd = f.finding
    lines = [
        f"{fd.title} [{level_name(fd.level)}, severity {fd.severity}, status {f.status}]",
        f"people: {people.subjects(f)}",
        f"evidence: {', '.join(fd.evidence + fd.records)}",
        f"fingerprint: {fd.fingerprint}",
    ]
    lines += [f"step: {step_text(s, people)}" for s in fd.remediation]
    return "\n".join(lines)


def render(result: CheckResult, people: People, colour: bool = False) -> str:
    root = ET.Element("testsuites", name="dualrel")
    total_tests = total_failures = 0
    for ref in result.rulesets:
        rules = [r for r in result.rules if r.ruleset == ref]
        suite = ET.SubElement(root, "testsuite", name=ref.id)
        props = ET.SubElement(suite, "properties")
        for name, value in (
            ("ruleset.version", ref.version),
            ("registry", result.registry.path),
            ("registry.sha256", result.registry.sha256),
            ("as_of", result.as_of.isoformat()),
            ("fail_level", str(result.fail_level)),
            ("pseudonyms", people.note()),
        ):
            ET.SubElement(props, "property", name=name, value=value)
        failures = 0
        for rule in rules:
            case = ET.SubElement(suite, "testcase", classname=ref.id, name=rule.id, time="0")
            found = [
                f for f in result.findings if f.finding.ruleset == ref and f.finding.rule == rule.id
            ]
            others = []
            for f in found:
                if f.status == "open" and f.finding.level >= result.fail_level:
                    fd = f.finding
                    failure = ET.SubElement(
                        case,
                        "failure",
                        type=f"level-{fd.level}",
                        message=f"{fd.title}: {people.subjects(f)}",
                    )
                    failure.text = _finding_text(f, people)
                    failures += 1
                else:
                    others.append(f)
            if others:
                out = ET.SubElement(case, "system-out")
                out.text = "\n\n".join(_finding_text(f, people) for f in others)
        suite.set("tests", str(len(rules)))
        suite.set("failures", str(failures))
        suite.set("errors", "0")
        suite.set("skipped", "0")
        suite.set("time", "0")
        total_tests += len(rules)
        total_failures += failures
    root.set("tests", str(total_tests))
    root.set("failures", str(total_failures))
    root.set("errors", "0")
    root.set("time", "0")
    ET.indent(root)
    text = printable(ET.tostring(root, encoding="unicode"), keep="\t\n\r")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + text + "\n"


FORMAT = OutputFormat(
    name="junit",
    help="JUnit XML: a suite per ruleset, a case per rule (people pseudonymised)",
    suffix=".xml",
    shared=True,
    render=render,
)
