"""A saved JSON report back as the :class:`CheckResult` it was written from.

``dualrel render REPORT.json --format FMT`` renders any format from a report without
evaluating the registry again: the JSON report holds everything the formats show (the
rules in use, each finding's records with their dates and date windows, whether the
baseline holds it), so the result read back renders byte for byte as the check's own.
Two things do not travel, and no format shows them: a rule's escalation days (the
register reads them from the rulesets) and the line of a warning.  Names travel only in
a report made with ``--reveal``, for the people its findings name.
"""

from __future__ import annotations

from dualrel.errors import Problem
from dualrel.findings import (
    CheckedFinding,
    CheckResult,
    Citation,
    EvidenceRecord,
    EvidenceTie,
    EvidenceWindow,
    Finding,
    RegistryInfo,
    RemediationStep,
    ResolvedFinding,
    RuleInfo,
    RulesetRef,
    RuleStep,
    WaiverInfo,
    WaiverOutcome,
)
from dualrel.report.schema import (
    FindingModel,
    ReportDocument,
    RulesetRefModel,
    WaiverModel,
)

__all__ = ["check_result"]


def _ref(r: RulesetRefModel) -> RulesetRef:
    return RulesetRef(r.id, r.version)


def _waiver(w: WaiverModel) -> WaiverInfo:
    return WaiverInfo(
        source=w.source,
        reason=w.reason,
        approved_by=w.approved_by,
        expires=w.expires,
        agreement=w.agreement,
        fingerprint=w.fingerprint,
        rule=w.rule,
        subjects=w.subjects,
    )


def _finding(f: FindingModel) -> CheckedFinding:
    finding = Finding(
        rule=f.rule,
        ruleset=_ref(f.ruleset),
        title=f.title,
        category=f.category,
        severity=f.severity,
        level=f.level,
        subjects=f.subjects,
        evidence=tuple(f.evidence),
        citations=tuple(Citation(c.code, c.clause) for c in f.citations),
        remediation=tuple(
            RemediationStep(
                action=s.action,
                within_days=s.within_days,
                due=s.due,
                owner=s.owner,
                assignee=s.assignee,
                unassigned_reason=s.unassigned_reason,
            )
            for s in f.remediation
        ),
        fingerprint=f.fingerprint,
        records=tuple(f.records),
    )
    ties = tuple(
        EvidenceTie(
            id=t.id,
            kind=t.kind,
            source=t.source,
            target=t.target,
            directed=t.directed,
            start=t.start,
            end=t.end,
            file=t.location.file if t.location else None,
            line=t.location.line if t.location else None,
            pointer=t.location.pointer if t.location else None,
        )
        for t in f.evidence_ties
    )
    return CheckedFinding(
        finding=finding,
        status=f.status,
        description=f.description,
        ties=ties,
        waiver=_waiver(f.waiver) if f.waiver else None,
        in_baseline=f.in_baseline,
        records=tuple(EvidenceRecord(r.id, tuple(r.dates.items())) for r in f.evidence_records),
        windows=tuple(EvidenceWindow(w.item, w.condition, w.bound, w.value) for w in f.windows),
    )


def check_result(doc: ReportDocument) -> CheckResult:
    """The :class:`CheckResult` that ``doc`` was written from (see the module docstring
    for what a JSON report does not hold)."""
    names: dict[str, str] = {}
    for f in doc.findings:
        names.update(f.names or {})
    return CheckResult(
        registry=RegistryInfo(doc.generated_for.registry.path, doc.generated_for.registry.sha256),
        as_of=doc.generated_for.as_of,
        rulesets=tuple(_ref(r) for r in doc.rulesets),
        rules=tuple(
            RuleInfo(
                ruleset=_ref(r.ruleset),
                id=r.id,
                title=r.title,
                description=r.description,
                category=r.category,
                severity=r.severity,
                level=r.level,
                citations=tuple(Citation(c.code, c.clause) for c in r.citations),
                remediation=tuple(
                    RuleStep(s.action, s.within_days, s.owner) for s in r.remediation
                ),
            )
            for r in doc.rules
        ),
        findings=tuple(_finding(f) for f in doc.findings),
        fail_level=doc.summary.fail_level,
        waivers=tuple(
            WaiverOutcome(_waiver(w.waiver), w.status, tuple(w.findings)) for w in doc.waivers
        ),
        waivers_file=doc.waivers_file,
        baseline=RegistryInfo(doc.baseline.path, doc.baseline.sha256) if doc.baseline else None,
        resolved=tuple(
            ResolvedFinding(
                fingerprint=r.fingerprint,
                rule=r.rule,
                ruleset=_ref(r.ruleset),
                title=r.title,
                severity=r.severity,
                level=r.level,
                subjects=r.subjects,
                evidence=tuple(r.evidence),
            )
            for r in doc.resolved
        ),
        names=names,
        warnings=tuple(
            Problem(file=w.file, code=w.code, message=w.message, severity="warning")  # type: ignore[arg-type]
            for w in doc.warnings
        ),
    )
