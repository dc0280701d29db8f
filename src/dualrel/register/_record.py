"""Recording a check into the register (private): one transaction per run.

Every finding of the check is looked up by fingerprint. A new one is opened; a resolved
one that comes back is reopened, with a new episode (its steps due again from this run's
date); one the check waives is waived, and a waived one the check reports open again is
opened again (``unwaived``). A finding of a rule this run checked that the run no longer
reports is resolved by it, on its evaluation date. Findings of rules the run did not
check are left alone. Escalation is then applied as of the run's evaluation date.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, delete, func, select

from dualrel.findings import CheckedFinding, CheckResult
from dualrel.register._bulk import insert_rows, update_rows
from dualrel.register._escalate import apply_escalation
from dualrel.register._model import RecordedRun, Run
from dualrel.register._paths import RegisterError
from dualrel.register._tables import events, findings, rules, runs, steps

__all__ = ["record_run", "step_rows"]


def step_rows(fingerprint: str, found: CheckedFinding, start: date) -> list[dict[str, Any]]:
    """The rows of a finding's steps for an episode starting on ``start``."""
    return [
        {
            "fingerprint": fingerprint,
            "step": n,
            "owner": s.owner,
            "within_days": s.within_days,
            "due": start + timedelta(days=s.within_days),
            "assignee": s.assignee,
            "completed_on": None,
            "completed_by": None,
            "completed_at": None,
            "note": None,
        }
        for n, s in enumerate(found.finding.remediation, start=1)
    ]


def _insert_run(conn: Any, result: CheckResult, by: str, at: datetime) -> Run:
    latest = conn.execute(select(func.max(runs.c.as_of))).scalar()
    if latest is not None and result.as_of < latest:
        raise RegisterError(
            f"the register already holds a run evaluated on {latest.isoformat()}: runs are "
            f"recorded in date order, and this check was evaluated on "
            f"{result.as_of.isoformat()} (use --as-of)"
        )
    names = tuple(f"{r.id}@{r.version}" for r in result.rulesets)
    values = {
        "as_of": result.as_of,
        "recorded_at": at,
        "recorded_by": by,
        "registry_sha256": result.registry.sha256,
        "rulesets": " ".join(names),
        "findings": len(result.findings),
    }
    run_id = conn.execute(runs.insert().values(**values)).inserted_primary_key[0]
    return Run(
        id=int(run_id),
        as_of=result.as_of,
        recorded_at=at,
        recorded_by=by,
        registry_sha256=result.registry.sha256,
        rulesets=names,
        findings=len(result.findings),
    )


def _store_rules(conn: Any, result: CheckResult, run: int) -> set[tuple[str, str]]:
    rows = [
        {
            "ruleset": r.ruleset.id,
            "rule": r.id,
            "level_1_days": r.escalation.get(1),
            "level_2_days": r.escalation.get(2),
            "run": run,
        }
        for r in result.rules
    ]
    if rows:
        conn.execute(
            delete(rules).where(
                and_(rules.c.ruleset == bindparam("b_ruleset"), rules.c.rule == bindparam("b_rule"))
            ),
            [{"b_ruleset": r["ruleset"], "b_rule": r["rule"]} for r in rows],
        )
        conn.execute(rules.insert(), rows)
    return {(r.ruleset.id, r.id) for r in result.rules}


def record_run(conn: Any, result: CheckResult, *, by: str, at: datetime) -> RecordedRun:
    """Record ``result`` through ``conn`` (inside the caller's write transaction)."""
    run = _insert_run(conn, result, by, at)
    checked = _store_rules(conn, result, run.id)
    as_of = result.as_of
    known = {
        f.fingerprint: f
        for f in conn.execute(
            select(
                findings.c.fingerprint,
                findings.c.ruleset,
                findings.c.rule,
                findings.c.status,
                findings.c.level,
                findings.c.rule_level,
                findings.c.opened_on,
            )
        )
    }
    new_findings: list[dict[str, Any]] = []
    new_steps: list[dict[str, Any]] = []
    new_events: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    restart: list[str] = []
    opened: list[str] = []
    reopened: list[str] = []
    waived: list[str] = []

    def event(fp: str, kind: str, before: str | None, after: str, level: int) -> None:
        new_events.append(
            {
                "fingerprint": fp,
                "run": run.id,
                "kind": kind,
                "at": at,
                "on_date": as_of,
                "by": by,
                "from_status": before,
                "to_status": after,
                "level": level,
                "step": None,
                "due": None,
                "detail": None,
            }
        )

    current: dict[str, CheckedFinding] = {}
    for cf in result.findings:
        current.setdefault(cf.finding.fingerprint, cf)
    for fp, cf in current.items():
        f = cf.finding
        is_waived = cf.status == "waived"
        old = known.get(fp)
        if old is None:
            status = "waived" if is_waived else "open"
            new_findings.append(
                {
                    "fingerprint": fp,
                    "ruleset": f.ruleset.id,
                    "rule": f.rule,
                    "rule_level": f.level,
                    "level": f.level,
                    "status": status,
                    "subjects": json.dumps(dict(sorted(f.subjects.items()))),
                    "evidence": json.dumps([*f.evidence, *f.records]),
                    "first_seen": as_of,
                    "last_seen": as_of,
                    "first_run": run.id,
                    "last_run": run.id,
                    "opened_on": as_of,
                    "resolved_on": None,
                }
            )
            new_steps.extend(step_rows(fp, cf, as_of))
            event(fp, "opened", None, "open", f.level)
            opened.append(fp)
            if is_waived:
                event(fp, "waived", "open", "waived", f.level)
                waived.append(fp)
            continue
        status, level, opened_on = old.status, old.level, old.opened_on
        if f.level != old.rule_level and f.level > level:
            level = f.level
            event(fp, "level-changed", status, status, level)
        if status == "resolved":
            event(fp, "reopened", status, "reopened", level)
            status, opened_on = "reopened", as_of
            restart.append(fp)
            new_steps.extend(step_rows(fp, cf, as_of))
            reopened.append(fp)
        if is_waived and status != "waived":
            event(fp, "waived", status, "waived", level)
            status = "waived"
            waived.append(fp)
        elif not is_waived and status == "waived":
            event(fp, "unwaived", status, "open", level)
            status = "open"
        updates.append(
            {
                "fingerprint": fp,
                "status": status,
                "level": level,
                "rule_level": f.level,
                "opened_on": opened_on,
                "resolved_on": None,
                "last_seen": as_of,
                "last_run": run.id,
            }
        )
    gone = [
        old
        for fp, old in known.items()
        if fp not in current and old.status != "resolved" and (old.ruleset, old.rule) in checked
    ]
    if gone:
        query = select(steps.c.fingerprint, func.max(steps.c.due)).group_by(steps.c.fingerprint)
        latest_due = {row[0]: row[1] for row in conn.execute(query).all()}
        for old in gone:
            event(old.fingerprint, "resolved", old.status, "resolved", old.level)
            new_events[-1]["due"] = latest_due.get(old.fingerprint)
    insert_rows(conn, findings, new_findings)
    if restart:
        conn.execute(
            delete(steps).where(steps.c.fingerprint == bindparam("fp")),
            [{"fp": fp} for fp in restart],
        )
    insert_rows(conn, steps, new_steps)
    update_rows(conn, findings, ["fingerprint"], updates)
    update_rows(
        conn,
        findings,
        ["fingerprint"],
        [{"status": "resolved", "resolved_on": as_of, "fingerprint": o.fingerprint} for o in gone],
    )
    insert_rows(conn, events, new_events)
    escalations = apply_escalation(conn, as_of, by=by, at=at, run=run.id)
    return RecordedRun(
        run=run,
        opened=tuple(sorted(opened)),
        reopened=tuple(sorted(reopened)),
        resolved=tuple(sorted(old.fingerprint for old in gone)),
        waived=tuple(sorted(waived)),
        escalations=escalations,
    )
