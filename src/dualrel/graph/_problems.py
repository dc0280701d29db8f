"""Collecting located problems while reading a registry (private)."""

from __future__ import annotations

from dualrel._internal.suggest import did_you_mean
from dualrel.errors import Problem, ProblemCode, RegistryError

__all__ = ["Collector", "did_you_mean"]

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
        self.errors.append(
            Problem(
                file=file,
                line=line,
                pointer=pointer,
                code=code,
                message=message,
                record=record,
                field=field,
            )
        )

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
        if len(self.warnings) >= MAX_ERRORS:
            return
        self.warnings.append(
            Problem(
                file=file,
                line=line,
                pointer=pointer,
                code=code,
                message=message,
                record=record,
                field=field,
                severity="warning",
            )
        )

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
