"""``sarif``: SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.

One ``tool.driver.rules`` entry per rule of the rulesets in use (id ``ruleset/rule``),
one result per finding.  Levels: 3 -> error, 2 -> warning, 1 -> note.  Each result
points at the registry file and line of its last evidence tie (the tie that makes the
relationship dual) when the loader knows it, and always carries logical locations naming
the evidence ties.  Waived findings carry an accepted external suppression; with a
baseline, ``baselineState`` is ``unchanged`` or ``new``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dualrel._version import __version__
from dualrel.findings import ESCALATION_LEVELS, CheckedFinding, CheckResult, EvidenceTie, RuleInfo
from dualrel.report._base import OutputFormat, People, step_text, workspace_path

__all__ = ["FORMAT", "LEVELS", "SECURITY_SEVERITY", "render"]

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {3: "error", 2: "warning", 1: "note"}
#: GitHub reads ``security-severity`` as a number in a string: >=9 critical, >=7 high,
#: >=4 medium, else low.
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}
FINGERPRINT_KEY = "dualrelFingerprint/v1"


def _uri(path: str) -> str:
    """A relative POSIX path when the file is under the working directory, else a file URI."""
    p = workspace_path(path)
    return Path(p).as_uri() if Path(p).is_absolute() else p


def _rule(rule: RuleInfo) -> dict[str, Any]:
    steps = "\n".join(
        f"{i}. {s.action} (owner: {s.owner.replace('_', ' ')}, within {s.within_days} days)"
        for i, s in enumerate(rule.remediation, 1)
    )
    cites = "; ".join(f"{c.code} {c.clause}" for c in rule.citations)
    help_text = f"{rule.description}\n\nWhat to do:\n{steps}\n\nCites: {cites or 'none'}"
    md_steps = "\n".join(
        f"{i}. {s.action} (owner: {s.owner.replace('_', ' ')}, within {s.within_days} days)"
        for i, s in enumerate(rule.remediation, 1)
    )
    md_cites = "\n".join(f"- {c.code} {c.clause}" for c in rule.citations) or "- none"
    return {
        "id": rule.qualified_id,
        "name": rule.id,
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": rule.description or rule.title},
        "help": {
            "text": help_text,
            "markdown": f"{rule.description}\n\n**What to do**\n\n{md_steps}\n\n"
            f"**Cites**\n\n{md_cites}",
        },
        "defaultConfiguration": {"level": LEVELS[rule.level]},
        "properties": {
            "security-severity": SECURITY_SEVERITY[rule.severity],
            "severity": rule.severity,
            "escalation-level": rule.level,
            "escalation": ESCALATION_LEVELS[rule.level],
            "category": rule.category,
            "tags": ["dual-relationship", rule.category, f"level-{rule.level}"],
            "precision": "high",
        },
    }


def _physical(tie: EvidenceTie) -> dict[str, Any] | None:
    if tie.file is None:
        return None
    loc: dict[str, Any] = {"artifactLocation": {"uri": _uri(tie.file)}}
    if tie.line is not None:
        loc["region"] = {"startLine": tie.line}
    return loc


def _logical(tie: EvidenceTie) -> dict[str, Any]:
    return {"name": tie.id, "fullyQualifiedName": f"ties/{tie.id}", "kind": "object"}


def _result(
    f: CheckedFinding, index: int, people: People, registry: str, has_baseline: bool
) -> dict[str, Any]:
    fd = f.finding
    who = ", ".join(f"{k} {people.label(v)}" for k, v in sorted(fd.subjects.items()))
    msg = f"{fd.title}: {who}. Evidence: {', '.join(fd.evidence + fd.records)}."
    if fd.remediation:
        msg += f" First: {step_text(fd.remediation[0], people)}."
    if f.status != "open":
        msg += f" Status: {f.status}."
    primary = f.ties[-1] if f.ties else None
    location: dict[str, Any] = {}
    physical = _physical(primary) if primary else None
    if physical is not None:
        location["physicalLocation"] = physical
    elif not f.ties:
        location["physicalLocation"] = {"artifactLocation": {"uri": _uri(registry)}}
    location["logicalLocations"] = (
        [_logical(t) for t in reversed(f.ties)]
        if f.ties
        else [{"name": e, "fullyQualifiedName": f"ties/{e}", "kind": "object"} for e in fd.evidence]
    ) + [{"name": r, "fullyQualifiedName": r, "kind": "object"} for r in fd.records]
    out: dict[str, Any] = {
        "ruleId": f"{fd.ruleset.id}/{fd.rule}",
        "ruleIndex": index,
        "level": LEVELS[fd.level],
        "message": {"text": msg},
        "locations": [location],
        "partialFingerprints": {FINGERPRINT_KEY: fd.fingerprint},
        "properties": {
            "status": f.status,
            "severity": fd.severity,
            "subjects": {k: people.id(v) for k, v in sorted(fd.subjects.items())},
            "evidence": list(fd.evidence),
            "records": list(fd.records),
        },
    }
    related = []
    for i, t in enumerate(f.ties[:-1]):
        loc: dict[str, Any] = {"id": i, "message": {"text": f"{t.kind} tie {t.id}"}}
        phys = _physical(t)
        if phys is not None:
            loc["physicalLocation"] = phys
        loc["logicalLocations"] = [_logical(t)]
        related.append(loc)
    if related:
        out["relatedLocations"] = related
    if f.status == "waived" and f.waiver is not None:
        w = f.waiver
        out["suppressions"] = [
            {
                "kind": "external",
                "status": "accepted",
                "justification": f"{w.reason} (approved by {w.approved_by}; "
                f"agreement {w.agreement or 'none'}; expires {w.expires.isoformat()}; {w.source})",
            }
        ]
    if has_baseline:
        out["baselineState"] = "unchanged" if f.in_baseline else "new"
    return out


def _document(result: CheckResult, people: People) -> dict[str, Any]:
    rules = list(result.rules)
    index = {(r.ruleset, r.id): i for i, r in enumerate(rules)}
    results = [
        _result(
            f,
            index[(f.finding.ruleset, f.finding.rule)],
            people,
            result.registry.path,
            result.baseline is not None,
        )
        for f in result.findings
        if (f.finding.ruleset, f.finding.rule) in index
    ]
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "dualrel",
                "version": __version__,
                "semanticVersion": __version__,
                "rules": [_rule(r) for r in rules],
            }
        },
        "automationDetails": {"id": "dualrel/" + "+".join(r.id for r in result.rulesets) + "/"},
        "columnKind": "unicodeCodePoints",
        "results": results,
        "properties": {
            "registry": {
                "uri": _uri(result.registry.path),
                "sha256": result.registry.sha256,
            },
            "asOf": result.as_of.isoformat(),
            "rulesets": [f"{r.id}@{r.version}" for r in result.rulesets],
            "failLevel": result.fail_level,
            "pseudonyms": people.note(),
            "waivers": result.by_waiver_status(),
            "resolved": [r.fingerprint for r in result.resolved],
        },
    }
    if result.warnings:  # only then, so that other runs read as they always did
        run["invocations"] = [
            {
                "executionSuccessful": True,
                "toolExecutionNotifications": [
                    {
                        "level": "warning",
                        "descriptor": {"id": w.code},
                        "message": {"text": w.message},
                    }
                    for w in result.warnings
                ],
            }
        ]
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def render(result: CheckResult, people: People, colour: bool = False) -> str:
    return json.dumps(_document(result, people), indent=2, ensure_ascii=False) + "\n"


FORMAT = OutputFormat(
    name="sarif",
    help="SARIF 2.1.0 for GitHub code scanning (people pseudonymised)",
    suffix=".sarif",
    shared=True,
    render=render,
)
