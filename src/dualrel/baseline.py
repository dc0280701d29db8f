"""Baselines: compare a check with an earlier JSON report.

Findings whose fingerprint is in the baseline are ``baselined`` (reported, not counted for
the exit code); findings of the baseline that are gone are ``resolved``.  Only baseline
findings of the rulesets in use can be resolved: a finding of a ruleset the current check
did not run is neither present nor resolved.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from dualrel.findings import Finding, RegistryInfo, ResolvedFinding, RulesetRef
from dualrel.report.schema import ReportDocument, load_report

__all__ = ["Baseline", "apply_baseline", "load_baseline"]


@dataclass(frozen=True, slots=True)
class Baseline:
    """An earlier report: its file and the findings it listed."""

    file: RegistryInfo
    findings: tuple[ResolvedFinding, ...]

    @property
    def fingerprints(self) -> frozenset[str]:
        return frozenset(f.fingerprint for f in self.findings)


def load_baseline(path: str | os.PathLike[str]) -> Baseline:
    """Read an earlier ``--format json`` report (raises ``ReportFileError`` when invalid)."""
    doc: ReportDocument = load_report(path)
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    findings = tuple(
        ResolvedFinding(
            fingerprint=f.fingerprint,
            rule=f.rule,
            ruleset=RulesetRef(f.ruleset.id, f.ruleset.version),
            title=f.title,
            severity=f.severity,
            level=f.level,
            subjects=dict(sorted(f.subjects.items())),
            evidence=tuple(f.evidence),
        )
        for f in doc.findings
    )
    return Baseline(RegistryInfo(str(path), digest), findings)


def apply_baseline(
    findings: Iterable[Finding], baseline: Baseline, rulesets: Iterable[RulesetRef]
) -> tuple[frozenset[str], tuple[ResolvedFinding, ...]]:
    """The fingerprints of ``findings`` that the baseline holds, and the resolved ones.

    Resolved findings come in report order (highest level first, then ruleset, rule,
    fingerprint).
    """
    current = {f.fingerprint for f in findings}
    known = baseline.fingerprints
    in_use = {r.id for r in rulesets}
    seen: set[str] = set()
    resolved: list[ResolvedFinding] = []
    for old in baseline.findings:
        if old.fingerprint in current or old.ruleset.id not in in_use or old.fingerprint in seen:
            continue
        seen.add(old.fingerprint)
        resolved.append(old)
    resolved.sort(key=lambda r: (-r.level, r.ruleset.id, r.rule, r.fingerprint))
    return frozenset(current & known), tuple(resolved)
