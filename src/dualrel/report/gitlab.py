"""``gitlab``: a GitLab Code Quality report, one issue per open finding.

GitLab reads it as ``artifacts: reports: codequality`` and shows the issues in the merge
request (new and resolved ones, matched by ``fingerprint``) and the pipeline.  The report
is the subset of the Code Climate issue format GitLab documents: ``description``,
``check_name`` (``ruleset/rule``), ``fingerprint`` (the finding's), ``severity`` and
``location`` (``path`` and ``lines.begin``), plus Code Climate's ``type`` and
``content.body`` (what to do, in Markdown).  The location is the file and line of the
finding's last evidence tie when the loader knows them, else the registry at line 1 (GitLab
requires a line).  Severities: low -> minor, medium -> major, high -> critical,
critical -> blocker (GitLab's ``info`` is not used: every finding asks for action).
Waived and baselined findings are left out, as they do not fail the check.
"""

from __future__ import annotations

import json
from typing import Any

from dualrel.findings import CheckedFinding, CheckResult
from dualrel.report._base import OutputFormat, People, level_name, primary_location, step_text
from dualrel.report.markdown import escape

__all__ = ["FORMAT", "SEVERITIES", "render"]

#: GitLab's severity for each dualrel severity.
SEVERITIES = {"low": "minor", "medium": "major", "high": "critical", "critical": "blocker"}


def _issue(f: CheckedFinding, people: People, registry: str) -> dict[str, Any]:
    fd = f.finding
    path, line = primary_location(f, registry)
    who = ", ".join(f"{k} {people.label(v)}" for k, v in sorted(fd.subjects.items()))
    # the body is Markdown that GitLab renders: whatever ids and titles hold stays text
    steps = "\n".join(
        f"{i}. {escape(step_text(s, people))}" for i, s in enumerate(fd.remediation, 1)
    )
    cites = escape(", ".join(f"{c.code} {c.clause}" for c in fd.citations) or "none")
    body = (
        f"**{escape(fd.title)}** ({level_name(fd.level)}, severity {fd.severity})\n\n"
        f"People: {escape(who)}. Evidence: {escape(', '.join(fd.evidence + fd.records))}.\n\n"
        f"**What to do**\n\n{steps or 'No step declared.'}\n\n"
        f"Cites: {cites}.\n\n_{people.note()}_"
    )
    return {
        "type": "issue",
        "check_name": f"{fd.ruleset.id}/{fd.rule}",
        "description": f"{fd.title}: {who}",
        "content": {"body": body},
        "fingerprint": fd.fingerprint,
        "severity": SEVERITIES[fd.severity],
        "location": {"path": path, "lines": {"begin": line if line is not None else 1}},
    }


def render(result: CheckResult, people: People, colour: bool = False) -> str:
    issues = [
        _issue(f, people, result.registry.path) for f in result.findings if f.status == "open"
    ]
    return json.dumps(issues, indent=2, ensure_ascii=False) + "\n"


FORMAT = OutputFormat(
    name="gitlab",
    help="GitLab Code Quality report, one issue per open finding (people pseudonymised)",
    suffix=".json",
    shared=True,
    render=render,
)
