"""Check results to record, made from the bundled example by the real check."""

from __future__ import annotations

import dataclasses
from datetime import date

from dualrel.findings import CheckResult, RuleInfo


def later(
    result: CheckResult, as_of: date, *, drop: tuple[str, ...] = (), keep: int | None = None
) -> CheckResult:
    """``result`` as a check on ``as_of`` would give it once the findings ``drop``
    (fingerprints) were dealt with; ``keep`` keeps only the first findings."""
    found = tuple(f for f in result.findings if f.finding.fingerprint not in drop)
    if keep is not None:
        found = found[:keep]
    return dataclasses.replace(result, as_of=as_of, findings=found)


def with_escalation(
    result: CheckResult, days: dict[int, int], rule: str | None = None
) -> CheckResult:
    """``result`` whose rules (or rule ``rule``) escalate after ``days``."""
    rules: list[RuleInfo] = [
        dataclasses.replace(r, escalation=days) if rule in (None, r.id) else r for r in result.rules
    ]
    return dataclasses.replace(result, rules=tuple(rules))


def waived(result: CheckResult, fingerprint: str) -> CheckResult:
    """``result`` with one finding waived."""
    found = tuple(
        dataclasses.replace(f, status="waived") if f.finding.fingerprint == fingerprint else f
        for f in result.findings
    )
    return dataclasses.replace(result, findings=found)
