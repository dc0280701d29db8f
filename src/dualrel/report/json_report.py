"""``json``: the machine-readable report ``dualrel.report/1`` (exact ids).

This is what ``--baseline`` and ``dualrel explain`` read; its JSON Schema is
:func:`dualrel.report.schema.report_json_schema`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pydantic_core

from dualrel._version import __version__
from dualrel.findings import CheckedFinding, CheckResult, RuleInfo, WaiverInfo
from dualrel.report._base import OutputFormat, People
from dualrel.report.schema import REPORT_FORMAT, ReportDocument

__all__ = ["FORMAT", "document", "document_data", "render"]


def _waiver(w: WaiverInfo) -> dict[str, Any]:
    return {
        "source": w.source,
        "reason": w.reason,
        "approved_by": w.approved_by,
        "agreement": w.agreement,
        "expires": w.expires,
        "fingerprint": w.fingerprint,
        "rule": w.rule,
        "subjects": dict(w.subjects) if w.subjects is not None else None,
    }


def _finding(f: CheckedFinding, names: dict[str, str] | None) -> dict[str, Any]:
    fd = f.finding
    out: dict[str, Any] = {
        "rule": fd.rule,
        "ruleset": {"id": fd.ruleset.id, "version": fd.ruleset.version},
        "title": fd.title,
        "category": fd.category,
        "severity": fd.severity,
        "level": fd.level,
        "subjects": dict(sorted(fd.subjects.items())),
        "evidence": list(fd.evidence),
        "records": list(fd.records),
        "citations": [{"code": c.code, "clause": c.clause} for c in fd.citations],
        "remediation": [
            {
                "action": s.action,
                "within_days": s.within_days,
                "due": s.due,
                "owner": s.owner,
                "assignee": s.assignee,
                "unassigned_reason": s.unassigned_reason,
            }
            for s in fd.remediation
        ],
        "fingerprint": fd.fingerprint,
        "status": f.status,
        "description": f.description,
        "evidence_ties": [
            {
                "id": t.id,
                "kind": t.kind,
                "source": t.source,
                "target": t.target,
                "directed": t.directed,
                "start": t.start,
                "end": t.end,
                "location": (
                    {"file": t.file, "line": t.line, "pointer": t.pointer} if t.file else None
                ),
            }
            for t in f.ties
        ],
        "waiver": _waiver(f.waiver) if f.waiver else None,
        "names": names,
    }
    # what only the html page and sarif's baseline state show, so that `dualrel render`
    # can write them from this report: only when there is some, as ReportDocument says
    if f.in_baseline:
        out["in_baseline"] = True
    if f.records:
        out["evidence_records"] = [{"id": r.id, "dates": dict(r.dates)} for r in f.records]
    if f.windows:
        out["windows"] = [
            {"item": w.item, "condition": w.condition, "bound": w.bound, "value": w.value}
            for w in f.windows
        ]
    return out


def document(result: CheckResult, names: Mapping[str, str] | None = None) -> ReportDocument:
    """The report as a validated :class:`ReportDocument`; ``names`` only with ``--reveal``."""
    return ReportDocument.model_validate(document_data(result, names))


def document_data(result: CheckResult, names: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The report as plain data, keys in the order of :class:`ReportDocument`'s fields.

    Built from a :class:`CheckResult` (whose findings come from validated rulesets), it is
    a valid document by construction; the tests hold it to the published JSON Schema and
    to the bytes pydantic writes for the validated model.
    """
    known = dict(names or {})
    reveal = bool(known)
    findings = []
    for f in result.findings:
        found: dict[str, str] | None = None
        if reveal:
            ids = set(f.finding.subjects.values())
            ids |= {s.assignee for s in f.finding.remediation if s.assignee}
            found = {i: known[i] for i in sorted(ids) if i in known}
        findings.append(_finding(f, found))
    data: dict[str, Any] = {
        "format": REPORT_FORMAT,
        "generated_by": f"dualrel {__version__}",
        "generated_for": {
            "registry": {"path": result.registry.path, "sha256": result.registry.sha256},
            "as_of": result.as_of,
        },
        "rulesets": [{"id": r.id, "version": r.version} for r in result.rulesets],
        "findings": findings,
        "resolved": [
            {
                "fingerprint": r.fingerprint,
                "rule": r.rule,
                "ruleset": {"id": r.ruleset.id, "version": r.ruleset.version},
                "title": r.title,
                "severity": r.severity,
                "level": r.level,
                "subjects": dict(sorted(r.subjects.items())),
                "evidence": list(r.evidence),
            }
            for r in result.resolved
        ],
        "waivers": [
            {"waiver": _waiver(w.waiver), "status": w.status, "findings": list(w.findings)}
            for w in result.waivers
        ],
        "waivers_file": result.waivers_file,
        "baseline": (
            {"path": result.baseline.path, "sha256": result.baseline.sha256}
            if result.baseline
            else None
        ),
        "summary": {
            "total": len(result.findings),
            "by_status": result.by_status(),
            "by_level": {str(k): v for k, v in result.by_level().items()},
            "by_rule": result.by_rule(),
            "fail_level": result.fail_level,
            "failing": len(result.failing()),
            "resolved": len(result.resolved),
            "waivers": result.by_waiver_status(),
        },
    }
    if result.warnings:
        data["warnings"] = [
            {"code": w.code, "file": w.file, "message": w.message} for w in result.warnings
        ]
    if result.rules:
        data["rules"] = [_rule(r) for r in result.rules]
    return data


def _rule(r: RuleInfo) -> dict[str, Any]:
    return {
        "ruleset": {"id": r.ruleset.id, "version": r.ruleset.version},
        "id": r.id,
        "title": r.title,
        "description": r.description,
        "category": r.category,
        "severity": r.severity,
        "level": r.level,
        "citations": [{"code": c.code, "clause": c.clause} for c in r.citations],
        "remediation": [
            {"action": s.action, "within_days": s.within_days, "owner": s.owner}
            for s in r.remediation
        ],
    }


def render(result: CheckResult, people: People, colour: bool = False) -> str:
    # pydantic's serializer writes the same text as json.dumps(..., indent=2,
    # ensure_ascii=False), about 7 times faster than the pure-Python indenting encoder.
    # The plain data is written as it is: validating it into a ReportDocument first gives
    # the same bytes (tests/report) and took a third of the report stage at 100k findings.
    data = document_data(result, people.names)
    return pydantic_core.to_json(data, indent=2).decode() + "\n"


FORMAT = OutputFormat(
    name="json",
    help="dualrel.report/1 JSON (exact ids; read by --baseline and explain)",
    suffix=".json",
    shared=False,
    render=render,
)
