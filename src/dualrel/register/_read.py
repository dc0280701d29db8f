"""Reading the register (private): findings with their steps, a finding's history, runs."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any, cast

from sqlalchemy import select

from dualrel.register._model import Event, EventKind, RegisterFinding, Run, Status, Step
from dualrel.register._paths import RegisterError
from dualrel.register._tables import events, findings, runs, steps

__all__ = ["find_one", "history", "list_events", "list_findings", "list_runs"]


def _steps_of(conn: Any, fingerprints: Iterable[str] | None) -> dict[str, list[Step]]:
    query = select(steps).order_by(steps.c.fingerprint, steps.c.step)
    if fingerprints is not None:
        query = query.where(steps.c.fingerprint.in_(list(fingerprints)))
    out: dict[str, list[Step]] = defaultdict(list)
    for s in conn.execute(query):
        out[s.fingerprint].append(
            Step(
                step=s.step,
                owner=s.owner,
                within_days=s.within_days,
                due=s.due,
                assignee=s.assignee,
                completed_on=s.completed_on,
                completed_by=s.completed_by,
            )
        )
    return out


def _finding(row: Any, held: list[Step]) -> RegisterFinding:
    return RegisterFinding(
        fingerprint=row.fingerprint,
        ruleset=row.ruleset,
        rule=row.rule,
        rule_level=row.rule_level,
        level=row.level,
        status=cast(Status, row.status),
        subjects=json.loads(row.subjects),
        evidence=tuple(json.loads(row.evidence)),
        first_seen=row.first_seen,
        last_seen=row.last_seen,
        opened_on=row.opened_on,
        resolved_on=row.resolved_on,
        steps=tuple(held),
    )


def list_findings(
    conn: Any,
    *,
    status: Iterable[str] = (),
    level: Iterable[int] = (),
    rule: Iterable[str] = (),
    assignee: str | None = None,
    overdue_on: date | None = None,
) -> tuple[RegisterFinding, ...]:
    """Findings matching every filter given, highest level first, then rule and
    fingerprint. ``rule`` is ``ruleset/rule`` or a rule id; ``assignee`` matches any step;
    ``overdue_on`` keeps findings with a step overdue on that date."""
    query = select(findings)
    statuses, levels, wanted = list(status), list(level), list(rule)
    if statuses:
        query = query.where(findings.c.status.in_(statuses))
    if levels:
        query = query.where(findings.c.level.in_(levels))
    rows = list(conn.execute(query))
    if wanted:
        rows = [r for r in rows if r.rule in wanted or f"{r.ruleset}/{r.rule}" in wanted]
    held = _steps_of(conn, None if len(rows) > 500 else [r.fingerprint for r in rows])
    out = [_finding(r, held.get(r.fingerprint, [])) for r in rows]
    if assignee is not None:
        out = [f for f in out if any(s.assignee == assignee for s in f.steps)]
    if overdue_on is not None:
        out = [f for f in out if f.overdue_steps(overdue_on)]
    out.sort(key=lambda f: (-f.level, f.ruleset, f.rule, f.fingerprint))
    return tuple(out)


def find_one(conn: Any, fingerprint: str) -> RegisterFinding:
    """The finding whose fingerprint is or starts with ``fingerprint``."""
    if not fingerprint or not all(c in "0123456789abcdef" for c in fingerprint):
        raise RegisterError(f"not a fingerprint (lowercase hex): {fingerprint!r}")
    rows = list(
        conn.execute(
            select(findings).where(findings.c.fingerprint.like(f"{fingerprint}%")).limit(2)
        )
    )
    if not rows:
        raise RegisterError(f"no finding {fingerprint} in the register")
    if len(rows) > 1:
        raise RegisterError(f"several findings start with {fingerprint}: give more of it")
    row = rows[0]
    return _finding(row, _steps_of(conn, [row.fingerprint]).get(row.fingerprint, []))


def history(conn: Any, fingerprint: str) -> tuple[Event, ...]:
    """Every change of the finding, oldest first."""
    full = find_one(conn, fingerprint).fingerprint
    return _events(
        conn.execute(select(events).where(events.c.fingerprint == full).order_by(events.c.id))
    )


def list_events(conn: Any, kinds: Iterable[str]) -> tuple[Event, ...]:
    """Every change of these kinds (all kinds when none given), oldest first."""
    query = select(events).order_by(events.c.id)
    wanted = list(kinds)
    if wanted:
        query = query.where(events.c.kind.in_(wanted))
    return _events(conn.execute(query))


def _events(rows: Any) -> tuple[Event, ...]:
    return tuple(
        Event(
            id=r.id,
            fingerprint=r.fingerprint,
            kind=cast(EventKind, r.kind),
            at=r.at,
            on=r.on_date,
            by=r.by,
            run=r.run,
            from_status=r.from_status,
            to_status=r.to_status,
            level=r.level,
            step=r.step,
            due=r.due,
            detail=r.detail,
        )
        for r in rows
    )


def list_runs(conn: Any) -> tuple[Run, ...]:
    """Every recorded run, oldest first."""
    return tuple(
        Run(
            id=r.id,
            as_of=r.as_of,
            recorded_at=r.recorded_at,
            recorded_by=r.recorded_by,
            registry_sha256=r.registry_sha256,
            rulesets=tuple(r.rulesets.split()),
            findings=r.findings,
        )
        for r in conn.execute(select(runs).order_by(runs.c.id))
    )
