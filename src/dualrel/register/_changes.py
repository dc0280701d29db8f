"""Changes made by hand (private): acknowledge, assign, complete a step, resolve, reopen,
note. Each is checked against the finding's status and recorded as an event with who
made it and when; a change the status does not allow is refused, naming what would."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, update

from dualrel.register._model import RegisterFinding
from dualrel.register._paths import RegisterError
from dualrel.register._read import find_one
from dualrel.register._tables import events, findings, steps

__all__ = ["acknowledge", "add_note", "assign", "complete", "reopen", "resolve"]

_ACTIVE = ("open", "reopened", "acknowledged", "in-remediation")


def _event(
    conn: Any,
    f: RegisterFinding,
    kind: str,
    *,
    by: str,
    at: datetime,
    to_status: str | None = None,
    step: int | None = None,
    due: date | None = None,
    detail: str | None = None,
) -> None:
    conn.execute(
        events.insert().values(
            fingerprint=f.fingerprint,
            run=None,
            kind=kind,
            at=at,
            on_date=at.date(),
            by=by,
            from_status=f.status,
            to_status=to_status or f.status,
            level=f.level,
            step=step,
            due=due,
            detail=detail,
        )
    )


def _set_status(conn: Any, f: RegisterFinding, status: str, **more: Any) -> None:
    conn.execute(
        update(findings)
        .where(findings.c.fingerprint == f.fingerprint)
        .values(status=status, **more)
    )


def _require(f: RegisterFinding, allowed: tuple[str, ...], change: str) -> None:
    if f.status not in allowed:
        raise RegisterError(
            f"finding {f.fingerprint} is {f.status}: only a finding that is "
            f"{' or '.join(allowed)} can be {change}"
        )


def acknowledge(conn: Any, fp: str, *, by: str, at: datetime, note: str | None) -> None:
    f = find_one(conn, fp)
    _require(f, ("open", "reopened"), "acknowledged")
    _event(conn, f, "acknowledged", by=by, at=at, to_status="acknowledged", detail=note)
    _set_status(conn, f, "acknowledged")


def _step(f: RegisterFinding, step: int) -> None:
    if not any(s.step == step for s in f.steps):
        raise RegisterError(
            f"finding {f.fingerprint} has no step {step} (its steps are 1 to {len(f.steps)})"
        )


def assign(conn: Any, fp: str, assignee: str, *, by: str, at: datetime, step: int | None) -> None:
    """Assign one step, or every uncompleted step when ``step`` is ``None``."""
    f = find_one(conn, fp)
    _require(f, _ACTIVE, "assigned")
    if step is not None:
        _step(f, step)
    chosen = [
        s.step for s in f.steps if (s.step == step) or (step is None and s.completed_on is None)
    ]
    if not chosen:
        raise RegisterError(f"finding {f.fingerprint} has no uncompleted step to assign")
    for n in chosen:
        conn.execute(
            update(steps)
            .where(steps.c.fingerprint == f.fingerprint, steps.c.step == n)
            .values(assignee=assignee)
        )
        _event(
            conn, f, "assigned", by=by, at=at, to_status="in-remediation", step=n, detail=assignee
        )
    _set_status(conn, f, "in-remediation")


def complete(conn: Any, fp: str, step: int, *, by: str, at: datetime, note: str | None) -> None:
    f = find_one(conn, fp)
    _require(f, _ACTIVE, "worked on")
    _step(f, step)
    held = next(s for s in f.steps if s.step == step)
    if held.completed_on is not None:
        raise RegisterError(
            f"step {step} of finding {f.fingerprint} was completed on "
            f"{held.completed_on.isoformat()} by {held.completed_by}"
        )
    conn.execute(
        update(steps)
        .where(steps.c.fingerprint == f.fingerprint, steps.c.step == step)
        .values(completed_on=at.date(), completed_by=by, completed_at=at, note=note)
    )
    _event(
        conn,
        f,
        "completed",
        by=by,
        at=at,
        to_status="in-remediation",
        step=step,
        due=held.due,
        detail=note,
    )
    _set_status(conn, f, "in-remediation")


def resolve(conn: Any, fp: str, *, by: str, at: datetime, note: str | None) -> None:
    f = find_one(conn, fp)
    _require(f, (*_ACTIVE, "waived"), "resolved")
    due = max((s.due for s in f.steps), default=None)
    _event(conn, f, "resolved", by=by, at=at, to_status="resolved", due=due, detail=note)
    _set_status(conn, f, "resolved", resolved_on=at.date())


def reopen(conn: Any, fp: str, *, by: str, at: datetime, note: str | None) -> None:
    """Reopen a resolved finding: a new episode whose steps are due again from today."""
    f = find_one(conn, fp)
    _require(f, ("resolved",), "reopened")
    today = at.date()
    conn.execute(
        update(steps)
        .where(steps.c.fingerprint == f.fingerprint, steps.c.step == bindparam("n"))
        .values(
            due=bindparam("due"),
            completed_on=None,
            completed_by=None,
            completed_at=None,
            note=None,
        ),
        [{"n": s.step, "due": today + timedelta(days=s.within_days)} for s in f.steps],
    )
    _event(conn, f, "reopened", by=by, at=at, to_status="reopened", detail=note)
    _set_status(conn, f, "reopened", resolved_on=None, opened_on=today)


def add_note(conn: Any, fp: str, text: str, *, by: str, at: datetime) -> None:
    if not text.strip():
        raise RegisterError("a note needs some text")
    f = find_one(conn, fp)
    _event(conn, f, "noted", by=by, at=at, detail=text)
