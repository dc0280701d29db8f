"""What the register holds, as the API returns it (private; :mod:`dualrel.register`
re-exports it). Only ids, fingerprints, codes and dates, and the notes committee members
write themselves."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

__all__ = [
    "CLOSED_STATUSES",
    "EVENT_KINDS",
    "STATUSES",
    "Escalation",
    "Event",
    "EventKind",
    "RecordedRun",
    "RegisterFinding",
    "Run",
    "Status",
    "Step",
]

#: A finding's place in its lifecycle.
Status = Literal["open", "acknowledged", "in-remediation", "resolved", "reopened", "waived"]
STATUSES: tuple[Status, ...] = (
    "open",
    "acknowledged",
    "in-remediation",
    "resolved",
    "reopened",
    "waived",
)
#: Statuses in which nothing is asked of anyone: no step is overdue, nothing escalates.
CLOSED_STATUSES: frozenset[str] = frozenset({"resolved", "waived"})

#: What a change was.
EventKind = Literal[
    "opened",
    "reopened",
    "resolved",
    "waived",
    "unwaived",
    "acknowledged",
    "assigned",
    "completed",
    "noted",
    "escalated",
    "level-changed",
]
EVENT_KINDS: tuple[EventKind, ...] = (
    "opened",
    "reopened",
    "resolved",
    "waived",
    "unwaived",
    "acknowledged",
    "assigned",
    "completed",
    "noted",
    "escalated",
    "level-changed",
)


@dataclass(frozen=True, slots=True)
class Run:
    """A recorded check."""

    id: int
    as_of: date
    recorded_at: datetime
    recorded_by: str
    registry_sha256: str
    #: ``id@version`` of each ruleset checked
    rulesets: tuple[str, ...]
    findings: int


@dataclass(frozen=True, slots=True)
class Step:
    """A remediation step of a finding's current episode (``step`` counts from 1)."""

    step: int
    owner: str
    within_days: int
    due: date
    assignee: str | None
    completed_on: date | None = None
    completed_by: str | None = None

    def overdue(self, as_of: date) -> bool:
        """Not completed and due before ``as_of``."""
        return self.completed_on is None and self.due < as_of


@dataclass(frozen=True, slots=True)
class RegisterFinding:
    """A finding as the register knows it: its current state and episode's steps."""

    fingerprint: str
    ruleset: str
    rule: str
    #: the rule's level at the latest run, and the finding's, escalations included
    rule_level: int
    level: int
    status: Status
    subjects: Mapping[str, str]
    evidence: tuple[str, ...]
    first_seen: date
    last_seen: date
    #: the first day of the current episode (first seen, or reopened)
    opened_on: date
    resolved_on: date | None
    steps: tuple[Step, ...]

    @property
    def qualified_rule(self) -> str:
        return f"{self.ruleset}/{self.rule}"

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED_STATUSES

    def overdue_steps(self, as_of: date) -> tuple[Step, ...]:
        """Steps overdue on ``as_of``; none while resolved or waived."""
        if self.is_closed:
            return ()
        return tuple(s for s in self.steps if s.overdue(as_of))


@dataclass(frozen=True, slots=True)
class Event:
    """One change of a finding, attributed: ``at`` is when it was made, ``on`` the date
    it counts for (a run's evaluation date, or the day of a change made by hand)."""

    id: int
    fingerprint: str
    kind: EventKind
    at: datetime
    on: date
    by: str
    run: int | None
    from_status: str | None
    to_status: str | None
    level: int
    step: int | None = None
    due: date | None = None
    #: the reason (codes and dates) or the note a committee member wrote
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class Escalation:
    """A finding raised a level, and why."""

    fingerprint: str
    from_level: int
    to_level: int
    reason: str


@dataclass(frozen=True, slots=True)
class RecordedRun:
    """What recording a check changed."""

    run: Run
    opened: tuple[str, ...]
    reopened: tuple[str, ...]
    resolved: tuple[str, ...]
    waived: tuple[str, ...]
    escalations: tuple[Escalation, ...]
