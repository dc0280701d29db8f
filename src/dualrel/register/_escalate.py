"""Escalation over time (private): an unresolved finding rises a level once its earliest
uncompleted remediation step is past due by the days its rule allows at its level.

The days count from that step's due date and add up level by level from the rule's own
level: with ``level_1: 14`` and ``level_2: 7``, a level-1 finding whose step was due on
1 March is at level 2 from 16 March (more than 14 days past due) and at level 3 from
23 March. So the outcome depends only on the date asked about, never on how often
escalation was applied, and one call may raise a finding two levels.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from dualrel.register._bulk import insert_rows, update_rows
from dualrel.register._model import CLOSED_STATUSES, Escalation
from dualrel.register._tables import events, findings, rules, steps

__all__ = ["apply_escalation", "escalated_level"]


def escalated_level(
    rule_level: int, level: int, due: date, as_of: date, days: dict[int, int]
) -> tuple[int, list[tuple[int, int]]]:
    """The level a finding reaches on ``as_of`` and each rise ``(from, after days)``.

    >>> escalated_level(1, 1, date(2026, 3, 1), date(2026, 3, 16), {1: 14, 2: 7})
    (2, [(1, 14)])
    >>> escalated_level(1, 1, date(2026, 3, 1), date(2026, 3, 15), {1: 14, 2: 7})
    (1, [])
    >>> escalated_level(1, 1, date(2026, 3, 1), date(2026, 3, 23), {1: 14, 2: 7})
    (3, [(1, 14), (2, 7)])
    """
    rises: list[tuple[int, int]] = []
    threshold = due
    for from_level in range(rule_level, 3):
        after = days.get(from_level)
        if after is None:
            break  # no days for this level: the finding stays here
        threshold += timedelta(days=after)
        if as_of <= threshold:
            break
        if from_level >= level:
            rises.append((from_level, after))
    reached = max(level, rises[-1][0] + 1) if rises else level
    return reached, rises


def apply_escalation(
    conn: Any, as_of: date, *, by: str, at: datetime, run: int | None
) -> tuple[Escalation, ...]:
    """Raise every unresolved finding due to rise by ``as_of``; record each rise."""
    policy = {
        (r.ruleset, r.rule): {
            level: d for level, d in ((1, r.level_1_days), (2, r.level_2_days)) if d is not None
        }
        for r in conn.execute(select(rules))
    }
    # a finding rises only once its earliest uncompleted step is past due
    earliest: dict[str, tuple[date, int]] = {}
    for s in conn.execute(
        select(steps.c.fingerprint, steps.c.step, steps.c.due).where(
            steps.c.completed_on.is_(None), steps.c.due < as_of
        )
    ):
        held = earliest.get(s.fingerprint)
        if held is None or (s.due, s.step) < held:
            earliest[s.fingerprint] = (s.due, s.step)
    if not earliest:
        return ()
    out: list[Escalation] = []
    changes: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    candidates = conn.execute(
        select(
            findings.c.fingerprint,
            findings.c.ruleset,
            findings.c.rule,
            findings.c.rule_level,
            findings.c.level,
            findings.c.status,
        ).where(findings.c.level < 3)
    )
    for f in candidates:
        if f.status in CLOSED_STATUSES or f.fingerprint not in earliest:
            continue
        due, step = earliest[f.fingerprint]
        reached, rises = escalated_level(
            f.rule_level, f.level, due, as_of, policy.get((f.ruleset, f.rule), {})
        )
        if reached == f.level:
            continue
        changes.append({"level": reached, "fingerprint": f.fingerprint})
        past = (as_of - due).days
        for from_level, after in rises:
            reason = (
                f"step {step} due {due.isoformat()} not completed {past} days later; "
                f"{f.ruleset}/{f.rule} escalates level {from_level} after {after} days past due"
            )
            out.append(Escalation(f.fingerprint, from_level, from_level + 1, reason))
            rows.append(
                {
                    "fingerprint": f.fingerprint,
                    "run": run,
                    "kind": "escalated",
                    "at": at,
                    "on_date": as_of,
                    "by": by,
                    "from_status": f.status,
                    "to_status": f.status,
                    "level": from_level + 1,
                    "step": step,
                    "due": due,
                    "detail": reason,
                }
            )
    update_rows(conn, findings, ["fingerprint"], changes)
    insert_rows(conn, events, rows)
    return tuple(sorted(out, key=lambda e: (e.fingerprint, e.from_level)))
