"""What a check produced: findings with their status, waivers, the baseline, the registry.

Every output format renders one :class:`CheckResult`; the exit code is computed on it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from dualrel.findings import Citation, Finding, RulesetRef

__all__ = [
    "FINDING_STATUSES",
    "CheckResult",
    "CheckedFinding",
    "EvidenceTie",
    "FindingStatus",
    "RegistryInfo",
    "ResolvedFinding",
    "RuleInfo",
    "RuleStep",
    "WaiverInfo",
    "WaiverOutcome",
    "WaiverStatus",
]

FindingStatus = Literal["open", "waived", "baselined"]
WaiverStatus = Literal["applied", "expired", "stale"]
FINDING_STATUSES: tuple[FindingStatus, ...] = ("open", "waived", "baselined")


@dataclass(frozen=True, slots=True)
class RegistryInfo:
    """The registry a report is about: the path as given and the sha256 of its content."""

    path: str
    sha256: str


@dataclass(frozen=True, slots=True)
class EvidenceTie:
    """A tie of a finding's evidence, as the registry describes it."""

    id: str
    kind: str
    source: str
    target: str
    directed: bool
    start: date | None = None
    end: date | None = None
    file: str | None = None
    line: int | None = None
    pointer: str | None = None


@dataclass(frozen=True, slots=True)
class RuleStep:
    """A remediation step as the rule declares it (before dates and assignees)."""

    action: str
    within_days: int
    owner: str


@dataclass(frozen=True, slots=True)
class RuleInfo:
    """A rule of a ruleset in use (every enabled rule, with or without findings)."""

    ruleset: RulesetRef
    id: str
    title: str
    description: str
    category: str
    severity: str
    level: int
    citations: tuple[Citation, ...]
    remediation: tuple[RuleStep, ...]

    @property
    def qualified_id(self) -> str:
        return f"{self.ruleset.id}/{self.id}"


@dataclass(frozen=True, slots=True)
class WaiverInfo:
    """A waiver as written in the waivers file (``source`` is ``file:line``)."""

    source: str
    reason: str
    approved_by: str
    expires: date
    agreement: str | None = None
    fingerprint: str | None = None
    rule: str | None = None
    subjects: Mapping[str, str] | None = None


@dataclass(frozen=True, slots=True)
class WaiverOutcome:
    """What became of a waiver: ``applied`` (it waived ``findings``), ``expired`` or ``stale``."""

    waiver: WaiverInfo
    status: WaiverStatus
    findings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CheckedFinding:
    """A finding with its status after waivers and the baseline are applied."""

    finding: Finding
    status: FindingStatus
    description: str
    ties: tuple[EvidenceTie, ...]
    waiver: WaiverInfo | None = None
    #: The baseline holds this finding (its status is ``waived`` if a waiver applies too).
    in_baseline: bool = False


@dataclass(frozen=True, slots=True)
class ResolvedFinding:
    """A finding of the baseline that the current check no longer reports."""

    fingerprint: str
    rule: str
    ruleset: RulesetRef
    title: str
    severity: str
    level: int
    subjects: Mapping[str, str]
    evidence: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CheckResult:
    """Everything a report says, in a deterministic order."""

    registry: RegistryInfo
    as_of: date
    rulesets: tuple[RulesetRef, ...]
    rules: tuple[RuleInfo, ...]
    findings: tuple[CheckedFinding, ...]
    fail_level: int = 1
    waivers: tuple[WaiverOutcome, ...] = ()
    waivers_file: str | None = None
    baseline: RegistryInfo | None = None
    resolved: tuple[ResolvedFinding, ...] = ()
    names: Mapping[str, str] = field(default_factory=dict)

    def failing(self) -> tuple[CheckedFinding, ...]:
        """Open findings at or above the fail level: the ones that make the check fail."""
        return tuple(
            f for f in self.findings if f.status == "open" and f.finding.level >= self.fail_level
        )

    def exit_code(self) -> int:
        """0 when nothing fails, 1 when some finding fails."""
        return 1 if self.failing() else 0

    def by_status(self) -> dict[str, int]:
        counts = Counter(f.status for f in self.findings)
        return {s: counts.get(s, 0) for s in FINDING_STATUSES}

    def by_level(self) -> dict[int, int]:
        counts = Counter(f.finding.level for f in self.findings)
        return {level: counts.get(level, 0) for level in (3, 2, 1)}

    def by_rule(self) -> dict[str, int]:
        counts = Counter(f"{f.finding.ruleset.id}/{f.finding.rule}" for f in self.findings)
        return dict(sorted(counts.items()))

    def by_waiver_status(self) -> dict[str, int]:
        counts = Counter(w.status for w in self.waivers)
        return {s: counts.get(s, 0) for s in ("applied", "expired", "stale")}

    def rule(self, ruleset: RulesetRef, rule_id: str) -> RuleInfo | None:
        for r in self.rules:
            if r.ruleset == ruleset and r.id == rule_id:
                return r
        return None
