"""Remediation steps: a rule's steps for its findings, routed to their assignees (private).

A step's assignee depends on the rule's step and the finding's coach alone, so a check
makes each (step, coach) once, for every coach of a rule at once, and findings share the
objects (:meth:`dualrel.rules._sessions.Store.findings`).
"""

from __future__ import annotations

import functools
from datetime import date, timedelta

from dualrel._internal.frozen import instances
from dualrel.findings import RemediationStep
from dualrel.graph.index import TieIndex
from dualrel.rules.loader import Rule

__all__ = ["Steps", "assignees", "remediations"]

#: remediation steps made: by action, days and owner, then by coach
Steps = dict[tuple[str, int, str], dict[str | None, RemediationStep]]


def remediations(
    index: TieIndex,
    as_of: date,
    spec: Rule,
    coaches: list[str | None],
    steps: Steps,
) -> list[tuple[RemediationStep, ...]]:
    """The steps of a finding of ``spec`` for each of ``coaches`` (distinct; a finding's
    coach is its ``coach`` subject), each made once per action, days, owner and coach in
    ``steps``: the steps not there yet made together, each step of the rule for every
    coach at once."""
    per_step: list[list[RemediationStep]] = []
    for s in spec.remediation:
        made = steps.setdefault((s.action, s.within_days, s.owner), {})
        new = [c for c in coaches if c not in made]
        if new:
            who, reasons = assignees(index, as_of, s.owner, new)
            n = len(new)
            objects = instances(
                RemediationStep,
                [
                    [s.action] * n,
                    [s.within_days] * n,
                    [_due(as_of, s.within_days)] * n,
                    [s.owner] * n,
                    who,
                    reasons,
                ],
            )
            made.update(zip(new, objects, strict=True))
        per_step.append(list(map(made.__getitem__, coaches)))
    if not per_step:
        return [()] * len(coaches)
    return list(zip(*per_step, strict=True))


def assignees(
    index: TieIndex, as_of: date, owner: str, coaches: list[str | None]
) -> tuple[list[str | None], list[str | None]]:
    """Who must act on a step of ``owner`` for each of ``coaches``, or why nobody in the
    registry is named (each coach's assignee, reason)."""
    if owner == "coach":
        return list(coaches), [None if c else "the rule names no coach" for c in coaches]
    if owner in ("supervisor", "manager"):
        kind = "supervision" if owner == "supervisor" else "management"
        who: list[str | None] = []
        reasons: list[str | None] = []
        for coach in coaches:
            if coach is None:
                who.append(None)
                reasons.append("the rule names no coach")
                continue
            assignee = index.overseer(coach, kind, as_of)
            who.append(assignee)
            reasons.append(None if assignee is not None else f"no active {kind} tie to the coach")
        return who, reasons
    reason = f"owner is {owner.replace('_', ' ')}, outside the registry"
    return [None] * len(coaches), [reason] * len(coaches)


@functools.lru_cache(maxsize=256)
def _due(as_of: date, within: int) -> date:
    """A step's due date: a few distinct ones per check, asked for once per step made."""
    return as_of + timedelta(days=within)
