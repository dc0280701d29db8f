"""``junit``: JUnit XML for CI dashboards (people pseudonymised).

One ``testsuite`` per ruleset; in it, per rule (``classname`` the ruleset id), one
``testcase`` per finding, named ``RULE #FINGERPRINT`` with the 12 hex digits the text
report prints, or one passing ``testcase`` named ``RULE`` when the rule found nothing.
A finding's test case fails (one ``failure``) when the finding is open at or above the
fail level; otherwise (below the fail level, waived, baselined) it passes and says what
it found in its ``system-out``.  So ``tests`` counts test cases and ``failures`` failing
test cases, never more failures than tests; times are always 0 so the output is
deterministic.  XML 1.0 cannot hold most control characters: an id holding one is
written escaped (``\\x1b``), so the document stays well-formed.
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
        tests = failures = 0
        for rule in rules:
            found = [
                f for f in result.findings if f.finding.ruleset == ref and f.finding.rule == rule.id
            ]
            if not found:
                ET.SubElement(suite, "testcase", classname=ref.id, name=rule.id, time="0")
                tests += 1
            for f in found:
                fd = f.finding
                case = ET.SubElement(
                    suite,
                    "testcase",
                    classname=ref.id,
                    name=f"{rule.id} #{fd.fingerprint[:12]}",
                    time="0",
                )
                tests += 1
                if f.status == "open" and fd.level >= result.fail_level:
                    failure = ET.SubElement(
                        case,
                        "failure",
                        type=f"level-{fd.level}",
                        message=f"{fd.title}: {people.subjects(f)}",
                    )
                    failure.text = _finding_text(f, people)
                    failures += 1
                else:
                    out = ET.SubElement(case, "system-out")
                    out.text = _finding_text(f, people)
        suite.set("tests", str(tests))
        suite.set("failures", str(failures))
        suite.set("errors", "0")
        suite.set("skipped", "0")
        suite.set("time", "0")
        total_tests += tests
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
    help="JUnit XML: a suite per ruleset, a case per finding (people pseudonymised)",
    suffix=".xml",
    shared=True,
    render=render,
)
