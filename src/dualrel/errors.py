"""Errors raised by dualrel.

Every stage (loading a registry, loading a ruleset, evaluating) collects *all* the problems
it finds and raises one exception carrying the structured list, so a user fixes a file in
one pass.  Each problem says where it is (file, line, JSON pointer or record) and which
field is wrong.  Misuse of the Python API raises errors that also subclass the matching
builtin, as hypothesis does (``InvalidArgument`` is a ``TypeError``).  Problem codes are one
closed set, :data:`ProblemCode`, each explained in ``docs/errors.md``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "ClusterError",
    "DualrelError",
    "EngineError",
    "InvalidArgument",
    "Problem",
    "ProblemCode",
    "RegistryError",
    "RulesetError",
    "Severity",
]

Severity = Literal["error", "warning"]

#: Every code a :class:`Problem` may carry, one closed set as pydantic's error codes are;
#: ``docs/errors.md`` says what each means and where it comes from.
ProblemCode = Literal[
    "alias-expansion",
    "ambiguous-fingerprint",
    "contradiction",
    "date-order",
    "disconnected",
    "duplicate-agreement",
    "duplicate-as-of",
    "duplicate-assessment",
    "duplicate-case",
    "duplicate-clause",
    "duplicate-concern",
    "duplicate-consent",
    "duplicate-contact",
    "duplicate-disclosure",
    "duplicate-id",
    "duplicate-person",
    "duplicate-record",
    "duplicate-rule",
    "duplicate-supervision-session",
    "duplicate-tie",
    "empty-field",
    "empty-registry",
    "end-before-start",
    "engine-limit",
    "extends-cycle",
    "extends-outside",
    "field-test",
    "include-absolute",
    "include-nothing",
    "inconsistent-status",
    "invalid",
    "invalid-date",
    "invalid-datetime",
    "invalid-header",
    "invalid-hours",
    "invalid-relation",
    "invalid-value",
    "invalid-waiver",
    "malformed",
    "misplaced-header",
    "missing-column",
    "missing-field",
    "missing-header",
    "missing-citation",
    "missing-relation",
    "missing-subject",
    "naive-datetime",
    "negated-clause-date",
    "no-as-of",
    "no-positive-clause",
    "no-ruleset",
    "no-tests",
    "not-a-number",
    "not-a-report",
    "not-coaching",
    "not-found",
    "out-of-range",
    "pattern-conflict",
    "pattern-cycle",
    "role-mismatch",
    "ruleset",
    "schema",
    "self-tie",
    "supersedes-cycle",
    "supersedes-subjects",
    "too-deep",
    "too-large",
    "too-many-aliases",
    "too-many-clauses",
    "too-many-nodes",
    "too-many-problems",
    "too-many-rules",
    "too-symmetric",
    "unbound-clause",
    "unbound-variable",
    "undeclared-source",
    "undirected-kind",
    "unknown-clause",
    "unknown-field",
    "unknown-fingerprint",
    "unknown-format",
    "unknown-kind",
    "unknown-mutant",
    "unknown-parameter",
    "unknown-pattern",
    "unknown-person",
    "unknown-reference",
    "unknown-role",
    "unknown-rule",
    "unknown-ruleset",
    "unknown-subject",
    "unknown-tie",
    "unknown-type",
    "unknown-value",
    "unknown-variable",
    "unreadable",
    "unsupported-format",
    "vocabulary",
    "where-syntax",
    "wrong-column-count",
    "wrong-type",
    "baseline-registry",
    "duplicate-key",
    "invalid-text",
    "stale-waiver",
    "as-of-today",
    "wrong-encoding",
    "wrong-delimiter",
]


@dataclass(frozen=True, slots=True, order=True)
class Problem:
    """One located problem in an input file.

    ``file`` is the path as given by the user; ``line`` is 1-based when known; ``pointer``
    is a JSON pointer (``/ties/3/end``) for JSON and YAML documents; ``record`` names the
    record (a person, tie or rule id) when known; ``field`` is the offending field.

    >>> p = Problem(file="reg.csv", line=4, code="unknown-person", message="no such person")
    >>> str(p)
    'reg.csv:4: unknown-person: no such person'
    """

    file: str
    line: int | None = None
    pointer: str | None = None
    code: ProblemCode = "invalid"
    message: str = ""
    record: str | None = None
    field: str | None = None
    severity: Severity = "error"

    def location(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
        if self.pointer:
            where += f" ({self.pointer})"
        return where

    def __str__(self) -> str:
        return f"{self.location()}: {self.code}: {self.message}"


def _sorted(problems: Iterable[Problem]) -> tuple[Problem, ...]:
    return tuple(
        sorted(problems, key=lambda p: (p.file, p.line or 0, p.pointer or "", p.code, p.message))
    )


class DualrelError(Exception):
    """Root of every error dualrel raises on purpose."""


class InvalidArgument(DualrelError, TypeError):
    """The Python API was called with an argument it cannot accept."""


class _ProblemsError(DualrelError):
    kind = "input"

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems: tuple[Problem, ...] = _sorted(problems)
        errors = [p for p in self.problems if p.severity == "error"]
        head = f"{len(errors)} problem(s) in {self.kind}"
        body = "\n".join(f"  {p}" for p in errors[:50])
        more = f"\n  ... and {len(errors) - 50} more" if len(errors) > 50 else ""
        super().__init__(f"{head}:\n{body}{more}")


class RegistryError(_ProblemsError):
    """A registry could not be loaded; ``problems`` lists every problem found."""

    kind = "registry"


class RulesetError(_ProblemsError):
    """A ruleset could not be loaded or compiled; ``problems`` lists every problem found."""

    kind = "ruleset"


class ClusterError(DualrelError):
    """A distributed check could not run or finish: its engine (Dask) is not installed,
    its scheduler cannot be reached, or the cluster lost the work (``dualrel.scale``).
    No partial result is ever returned."""


class EngineError(DualrelError):
    """The rule engine reported something that must never happen (a bug, never input)."""
