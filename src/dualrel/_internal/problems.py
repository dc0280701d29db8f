"""Collecting located problems while reading an input, raised once at the end (private).

The registry readers and the policy-test case reader report into one :class:`Collector`,
so nothing stops at the first problem and a broken file is reported in one pass.
"""

from __future__ import annotations

from dualrel.errors import Problem, ProblemCode, RegistryError, Severity

__all__ = ["MAX_ERRORS", "Collector"]

#: Stop collecting errors after this many: the file is broken enough to fix what is shown.
MAX_ERRORS = 1000


class Collector:
    """Collects errors and warnings for one load; raises once at the end."""

    __slots__ = ("errors", "truncated", "warnings")

    def __init__(self) -> None:
        self.errors: list[Problem] = []
        self.warnings: list[Problem] = []
        self.truncated = 0

    def error(
        self,
        file: str,
        code: ProblemCode,
        message: str,
        *,
        line: int | None = None,
        pointer: str | None = None,
        record: str | None = None,
        field: str | None = None,
    ) -> None:
        if len(self.errors) >= MAX_ERRORS:
            self.truncated += 1
            return
        self.errors.append(_problem(file, code, message, line, pointer, record, field, "error"))

    def warning(
        self,
        file: str,
        code: ProblemCode,
        message: str,
        *,
        line: int | None = None,
        pointer: str | None = None,
        record: str | None = None,
        field: str | None = None,
    ) -> None:
        self.keep_warning(_problem(file, code, message, line, pointer, record, field, "warning"))

    def keep_warning(self, problem: Problem) -> None:
        """Keep the warning ``problem`` unless ``MAX_ERRORS`` are kept already."""
        if len(self.warnings) < MAX_ERRORS:
            self.warnings.append(problem)

    def add(self, problem: Problem) -> None:
        """Collect a problem made elsewhere (an error or a warning, by its severity)."""
        if problem.severity == "warning":
            self.keep_warning(problem)
        elif len(self.errors) >= MAX_ERRORS:
            self.truncated += 1
        else:
            self.errors.append(problem)

    @property
    def full(self) -> bool:
        return len(self.errors) >= MAX_ERRORS

    def raise_if_errors(self) -> None:
        if not self.errors:
            return
        problems = list(self.errors)
        if self.truncated:
            last = self.errors[-1]
            problems.append(
                Problem(
                    file=last.file,
                    code="too-many-problems",
                    message=f"stopped after {MAX_ERRORS} problems; "
                    f"{self.truncated} more were not listed",
                )
            )
        raise RegistryError(problems + self.warnings)


def _problem(  # noqa: PLR0917
    file: str,
    code: ProblemCode,
    message: str,
    line: int | None,
    pointer: str | None,
    record: str | None,
    field: str | None,
    severity: Severity,
) -> Problem:
    return Problem(
        file=file,
        line=line,
        pointer=pointer,
        code=code,
        message=message,
        record=record,
        field=field,
        severity=severity,
    )
