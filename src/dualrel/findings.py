"""Findings and reports: what the engine says, who must act, and by when."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Literal

__all__ = [
    "ESCALATION_LEVELS",
    "SEVERITY_ORDER",
    "Citation",
    "Finding",
    "RemediationStep",
    "Report",
    "RulesetRef",
    "fingerprint",
]

#: What each escalation level asks for, after the source document.
ESCALATION_LEVELS: Mapping[int, str] = {
    1: "guidance in session",
    2: "manager risk assessment",
    3: "external referral or therapy",
}
SEVERITY_ORDER: Mapping[str, int] = {"low": 0, "medium": 1, "high": 2, "critical": 3}

Owner = Literal["coach", "supervisor", "manager", "ethics_committee", "external"]


@dataclass(frozen=True, slots=True, order=True)
class RulesetRef:
    """A ruleset by id and version."""

    id: str
    version: str


@dataclass(frozen=True, slots=True)
class Citation:
    """A clause of a code of ethics a rule implements: ``{code: ICF-2020, clause: "24"}``.

    Rulesets are read straight into this class (``rules/schema.py`` validates it).
    """

    code: str
    clause: str


@dataclass(frozen=True, slots=True)
class RemediationStep:
    """One step to take: ``due`` is the evaluation date plus the rule's ``within_days``.

    ``assignee`` is the person who must act when the graph says who it is (the coach
    for owner ``coach``; the coach's supervisor or manager through an active supervision
    or management tie); otherwise ``None`` and ``unassigned_reason`` says why.
    """

    action: str
    within_days: int
    due: date
    owner: Owner
    assignee: str | None
    unassigned_reason: str | None = None


def fingerprint(
    ruleset_id: str,
    rule_id: str,
    subjects: Mapping[str, str],
    evidence: tuple[str, ...],
    records: tuple[str, ...] = (),
) -> str:
    """A stable hash of what a finding is about, whatever the input order or date.

    Evidence records count only when there are some, so findings without them keep the
    fingerprints they always had (baselines and waivers stay valid).

    >>> a = fingerprint("rs", "r", {"coach": "c1", "client": "k1"}, ("t1", "t2"))
    >>> a == fingerprint("rs", "r", {"client": "k1", "coach": "c1"}, ("t1", "t2"))
    True
    >>> len(a)
    32
    """
    items: list[object] = [ruleset_id, rule_id, sorted(subjects.items()), list(evidence)]
    if records:
        items.append(list(records))
    payload = json.dumps(items, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class Finding:
    """One match of one rule: who, why, how serious, who must act and by when."""

    rule: str
    ruleset: RulesetRef
    title: str
    category: str
    severity: str
    level: int
    subjects: Mapping[str, str]
    evidence: tuple[str, ...]
    citations: tuple[Citation, ...]
    remediation: tuple[RemediationStep, ...]
    fingerprint: str
    #: practice records of the evidence, as ``section/id`` (``contacts/ct-006``)
    records: tuple[str, ...] = ()

    def sort_key(self) -> tuple[object, ...]:
        """Highest level first, then severity, ruleset, rule, subjects and evidence."""
        return (
            -self.level,
            -SEVERITY_ORDER.get(self.severity, 0),
            self.ruleset.id,
            self.rule,
            sorted(self.subjects.items()),
            self.evidence,
            self.records,
        )


@dataclass(frozen=True, slots=True)
class Report:
    """The findings of one evaluation, in a deterministic order."""

    as_of: date
    rulesets: tuple[RulesetRef, ...]
    findings: tuple[Finding, ...]

    def by_level(self) -> dict[int, int]:
        """How many findings at each level (3, 2, 1; zeros included)."""
        counts = Counter(f.level for f in self.findings)
        return {level: counts.get(level, 0) for level in (3, 2, 1)}

    def by_rule(self) -> dict[str, int]:
        """How many findings per ``ruleset/rule`` id, sorted by id."""
        counts = Counter(f"{f.ruleset.id}/{f.rule}" for f in self.findings)
        return dict(sorted(counts.items()))
