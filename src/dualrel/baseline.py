"""Baselines: compare a check with an earlier JSON report.

Findings whose fingerprint is in the baseline are ``baselined`` (reported, not counted for
the exit code); findings of the baseline that are gone are ``resolved``.  Only baseline
findings of the rulesets in use can be resolved: a finding of a ruleset the current check
did not run is neither present nor resolved.

A baseline records the registry it was made from (path and sha256).  When that is not the
registry checked, :func:`registry_warning` says so: a baseline hides findings, and one made
for another practice's registry would make all of its findings look resolved.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path

from dualrel.errors import Problem
from dualrel.findings import Finding, RegistryInfo, ResolvedFinding, RulesetRef
from dualrel.report.schema import ReportDocument, load_report

__all__ = ["Baseline", "apply_baseline", "load_baseline", "registry_warning"]


@dataclass(frozen=True, slots=True)
class Baseline:
    """An earlier report: its file, the findings it listed and the registry it was of."""

    file: RegistryInfo
    findings: tuple[ResolvedFinding, ...]
    #: the registry the earlier report was made from, as it records it
    registry: RegistryInfo | None = None

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
    of = doc.generated_for.registry
    return Baseline(RegistryInfo(str(path), digest), findings, RegistryInfo(of.path, of.sha256))


def registry_warning(
    baseline: Baseline, registry: RegistryInfo, people: Collection[str]
) -> Problem | None:
    """A ``baseline-registry`` warning when ``baseline`` was made from another registry
    content than ``registry`` (whose person ids are ``people``), else None."""
    made_from = baseline.registry
    if made_from is None or made_from.sha256 == registry.sha256:
        return None
    subjects = {p for f in baseline.findings for p in f.subjects.values()}
    if subjects and subjects.isdisjoint(people):
        why = "none of the people of its findings is in this registry: it is probably the "
        why += "baseline of another registry"
    else:
        why = "the registry changed since, or the baseline is of another registry"
    return Problem(
        file=baseline.file.path,
        code="baseline-registry",
        message=(
            f"the baseline was made from {made_from.path} (sha256 {made_from.sha256[:12]}), "
            f"not from this registry's content (sha256 {registry.sha256[:12]}): {why}; "
            "the findings it holds are reported as baselined, not counted"
        ),
        severity="warning",
    )


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
