"""The one interface every output format implements, and how formats see people."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dualrel.findings import ESCALATION_LEVELS, CheckedFinding, CheckResult, RemediationStep
from dualrel.report.pseudonym import Pseudonymizer

__all__ = [
    "OutputFormat",
    "People",
    "Renderer",
    "Streamer",
    "due_text",
    "level_name",
    "primary_location",
    "step_text",
    "workspace_path",
]


@dataclass(frozen=True, slots=True)
class People:
    """How a format shows people: exact ids or keyed aliases, names only when revealed."""

    pseudonymizer: Pseudonymizer = field(default_factory=Pseudonymizer.reveal)
    names: Mapping[str, str] = field(default_factory=dict)

    def id(self, person_id: str) -> str:
        return self.pseudonymizer.alias(person_id)

    def label(self, person_id: str) -> str:
        """The id (or alias), followed by the name in parentheses when revealed."""
        name = self.names.get(person_id)
        return f"{self.id(person_id)} ({name})" if name else self.id(person_id)

    def subjects(self, finding: CheckedFinding) -> str:
        """``coach=co001 client=cl0003``, variables in sorted order."""
        return " ".join(f"{k}={self.label(v)}" for k, v in sorted(finding.finding.subjects.items()))

    def note(self) -> str:
        return self.pseudonymizer.note()


Renderer = Callable[[CheckResult, People, bool], str]
"""``render(result, people, colour) -> text``; ``colour`` is only true on a terminal."""

Streamer = Callable[[CheckResult, People], Iterator[bytes]]
"""``stream(result, people) -> parts``: the text ``render`` gives without colour, as UTF-8
bytes in parts, so that a large report is written without being held whole."""


@dataclass(frozen=True, slots=True)
class OutputFormat:
    """One output format: its name, one line of help, file suffix and renderer.

    ``shared`` formats (all but text and json) pseudonymise people by default.
    ``stream``, when given, writes the report in parts (:data:`Streamer`).
    ``timelines`` formats draw each finding's cited practice records and date windows
    (``CheckedFinding.records`` and ``windows``); a check for the others need not find them.
    """

    name: str
    help: str
    suffix: str
    shared: bool
    render: Renderer
    timelines: bool = False
    stream: Streamer | None = None


def level_name(level: int) -> str:
    return f"level {level} ({ESCALATION_LEVELS.get(level, '?')})"


def step_text(step: RemediationStep, people: People) -> str:
    """``Pause the engagement (coach co001) by 2026-11-26``."""
    if step.assignee is not None:
        who = f"{step.owner.replace('_', ' ')} {people.label(step.assignee)}"
    else:
        who = f"{step.owner.replace('_', ' ')}, unassigned"
    return f"{step.action} ({who}) by {step.due.isoformat()}"


def due_text(finding: CheckedFinding) -> str:
    steps = finding.finding.remediation
    return steps[0].due.isoformat() if steps else ""


def workspace_path(path: str) -> str:
    """``path`` as a relative POSIX path when it is under the working directory (where CI
    systems resolve report paths from), else as given, absolute."""
    p = Path(path)
    if not p.is_absolute():
        return p.as_posix()
    try:
        return p.relative_to(Path(os.getcwd())).as_posix()
    except ValueError:
        return p.as_posix()


def primary_location(finding: CheckedFinding, registry: str) -> tuple[str, int | None]:
    """Where a finding points: the file and line its last evidence tie (the tie that makes
    the relationship dual) was read from when known, else the registry without a line."""
    tie = finding.ties[-1] if finding.ties else None
    if tie is not None and tie.file is not None:
        return workspace_path(tie.file), tie.line
    return workspace_path(registry), None
