"""The :class:`Register`: a database of findings tracked across runs (private;
:mod:`dualrel.register` re-exports it)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from types import TracebackType
from typing import Any

from dualrel.findings import CheckResult
from dualrel.register import _changes
from dualrel.register._db import connect, display_url, writing
from dualrel.register._escalate import apply_escalation
from dualrel.register._metrics import compute_metrics
from dualrel.register._model import (
    Escalation,
    Event,
    EventKind,
    RecordedRun,
    RegisterFinding,
    Run,
)
from dualrel.register._paths import RegisterError
from dualrel.register._read import find_one, history, list_events, list_findings, list_runs
from dualrel.register._record import record_run
from dualrel.register._schema import prepare
from dualrel.stats import PERIODS

__all__ = ["Register", "open_register"]


def _now(at: datetime | None) -> datetime:
    """``at`` or now, as a naive UTC time (what both databases store alike)."""
    if at is None:
        return datetime.now(UTC).replace(tzinfo=None)
    if at.tzinfo is not None:
        return at.astimezone(UTC).replace(tzinfo=None)
    return at


def _who(by: str) -> str:
    if not by or not by.strip():
        raise RegisterError("every change is attributed: say who makes it (--by)")
    return _plain(by.strip(), "who")


def _plain(text: str, what: str) -> str:
    """``text`` unless it holds control characters (they would rewrite a terminal that
    prints the history); a note may hold line breaks and tabs."""
    allowed = "\n\t" if what == "note" else ""
    if any((ord(c) < 32 or 127 <= ord(c) < 160) and c not in allowed for c in text):
        raise RegisterError(f"the {what} holds control characters: {text!r}")
    if len(text) > (10_000 if what == "note" else 200):
        raise RegisterError(f"the {what} is too long ({len(text)} characters)")
    return text


def _note(note: str | None) -> str | None:
    return None if note is None else _plain(note, "note")


class Register:
    """A register of findings tracked across runs, in SQLite or PostgreSQL.

    ``url`` is a SQLite file path, ``sqlite:///PATH`` or ``postgresql://...``; ``None``
    is the default file (:func:`dualrel.register.default_path`). Opening makes the
    tables, or upgrades them, and refuses a register whose schema is newer than this
    dualrel knows. Every change names who made it (``by``); ``at`` (default: now, UTC)
    is when, and its date the day the change counts for.
    """

    def __init__(self, url: str | os.PathLike[str] | None = None) -> None:
        self.url = display_url(url)
        self._engine: Any = connect(url)
        try:
            prepare(self._engine, self.url)
        except BaseException:
            self._engine.dispose()
            raise

    def close(self) -> None:
        """Release the database connections."""
        self._engine.dispose()

    def __enter__(self) -> Register:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- runs -------------------------------------------------------------------------

    def record(self, result: CheckResult, *, by: str, at: datetime | None = None) -> RecordedRun:
        """Record a check: open new findings, reopen returning ones, resolve the ones of
        its rules it no longer reports, then escalate as of its evaluation date. All in
        one transaction: another writer waits, and a failure leaves the register as it
        was. Runs are recorded in evaluation-date order."""
        who, when = _who(by), _now(at)
        with writing(self._engine) as conn:
            return record_run(conn, result, by=who, at=when)

    def escalate(
        self, as_of: date, *, by: str, at: datetime | None = None
    ) -> tuple[Escalation, ...]:
        """Raise every unresolved finding whose steps are overdue past its rule's days
        on ``as_of``, recording each rise and its reason."""
        who, when = _who(by), _now(at)
        with writing(self._engine) as conn:
            return apply_escalation(conn, as_of, by=who, at=when, run=None)

    def runs(self) -> tuple[Run, ...]:
        """Every recorded run, oldest first."""
        with self._engine.connect() as conn:
            return list_runs(conn)

    def metrics(self, *, as_of: date | None = None, period: str = "month") -> dict[str, Any]:
        """What a practice tracks (``dualrel stats --register``), as a JSON-ready dict:
        flagged, resolved and escalated per period and level, open findings, time to
        resolution (median, p90) and the share resolved by the due date per level,
        overdue steps by assignee, on ``as_of`` (default today)."""
        if period not in PERIODS:
            raise RegisterError(f"period must be one of {', '.join(PERIODS)}, not {period!r}")
        with self._engine.connect() as conn:
            return compute_metrics(conn, period=period, as_of=as_of or date.today())

    # -- reading ----------------------------------------------------------------------

    def findings(
        self,
        *,
        status: tuple[str, ...] | list[str] = (),
        level: tuple[int, ...] | list[int] = (),
        rule: tuple[str, ...] | list[str] = (),
        assignee: str | None = None,
        overdue_on: date | None = None,
    ) -> tuple[RegisterFinding, ...]:
        """Findings matching every filter given (a list matches any of its values):
        ``rule`` is ``ruleset/rule`` or a rule id, ``assignee`` matches any step's,
        ``overdue_on`` keeps those with a step overdue on that date."""
        with self._engine.connect() as conn:
            return list_findings(
                conn,
                status=status,
                level=level,
                rule=rule,
                assignee=assignee,
                overdue_on=overdue_on,
            )

    def finding(self, fingerprint: str) -> RegisterFinding:
        """The finding whose fingerprint is, or uniquely starts with, ``fingerprint``."""
        with self._engine.connect() as conn:
            return find_one(conn, fingerprint)

    def events(self, *kinds: EventKind) -> tuple[Event, ...]:
        """Every change of the given kinds (all when none), oldest first."""
        with self._engine.connect() as conn:
            return list_events(conn, kinds)

    def history(self, fingerprint: str) -> tuple[Event, ...]:
        """Every change of a finding, oldest first."""
        with self._engine.connect() as conn:
            return history(conn, fingerprint)

    # -- changes by hand --------------------------------------------------------------

    @contextmanager
    def _changing(self, by: str, at: datetime | None) -> Iterator[tuple[Any, str, datetime]]:
        who, when = _who(by), _now(at)
        with writing(self._engine) as conn:
            yield conn, who, when

    def acknowledge(
        self, fingerprint: str, *, by: str, note: str | None = None, at: datetime | None = None
    ) -> RegisterFinding:
        """Open or reopened -> acknowledged."""
        with self._changing(by, at) as (conn, who, when):
            _changes.acknowledge(conn, fingerprint, by=who, at=when, note=_note(note))
            return find_one(conn, fingerprint)

    def assign(
        self,
        fingerprint: str,
        assignee: str,
        *,
        by: str,
        step: int | None = None,
        at: datetime | None = None,
    ) -> RegisterFinding:
        """Give a step (or every uncompleted step) to ``assignee`` (a person's id);
        the finding is then in remediation."""
        with self._changing(by, at) as (conn, who, when):
            _changes.assign(
                conn, fingerprint, _plain(assignee, "assignee"), by=who, at=when, step=step
            )
            return find_one(conn, fingerprint)

    def complete(
        self,
        fingerprint: str,
        step: int,
        *,
        by: str,
        note: str | None = None,
        at: datetime | None = None,
    ) -> RegisterFinding:
        """Mark step ``step`` (from 1) done by ``by`` on ``at``'s date."""
        with self._changing(by, at) as (conn, who, when):
            _changes.complete(conn, fingerprint, step, by=who, at=when, note=_note(note))
            return find_one(conn, fingerprint)

    def resolve(
        self, fingerprint: str, *, by: str, note: str | None = None, at: datetime | None = None
    ) -> RegisterFinding:
        """Resolve by hand (a later run that still reports the finding reopens it)."""
        with self._changing(by, at) as (conn, who, when):
            _changes.resolve(conn, fingerprint, by=who, at=when, note=_note(note))
            return find_one(conn, fingerprint)

    def reopen(
        self, fingerprint: str, *, by: str, note: str | None = None, at: datetime | None = None
    ) -> RegisterFinding:
        """Reopen a resolved finding: its steps are due again, counted from ``at``'s date."""
        with self._changing(by, at) as (conn, who, when):
            _changes.reopen(conn, fingerprint, by=who, at=when, note=_note(note))
            return find_one(conn, fingerprint)

    def note(
        self, fingerprint: str, text: str, *, by: str, at: datetime | None = None
    ) -> RegisterFinding:
        """Add a note to the finding's history (stored as written: the writer's words)."""
        with self._changing(by, at) as (conn, who, when):
            _changes.add_note(conn, fingerprint, _plain(text, "note"), by=who, at=when)
            return find_one(conn, fingerprint)


def open_register(url: str | os.PathLike[str] | None = None) -> Register:
    """Open (and make, or upgrade) the register at ``url``; see :class:`Register`."""
    return Register(url)
