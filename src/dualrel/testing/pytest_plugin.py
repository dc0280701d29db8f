"""A pytest plugin that runs ruleset test case files as pytest items.

Registered under the ``pytest11`` entry point, so ``pytest rulesets/`` in a committee's
own CI runs every case file: a YAML file with ``cases:`` (or ``include:``) that sits in
``tests/<ruleset>/`` beside its ruleset, or that names its ``ruleset:``.  Other YAML files
are left alone.  A failure shows which findings were expected and which came, with their
evidence.  Turn the plugin off with ``-p no:dualrel`` or ``dualrel_cases = false`` in the
pytest configuration.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dualrel.testing._cases import Case, TestCaseError, _Rulesets, read_case_file
from dualrel.testing._discover import is_case_file
from dualrel.testing.runner import CaseResult, _Compiled, check_case, evaluate_case
from dualrel.testing.runner import format_case_result as _format

__all__ = [
    "CaseFailed",
    "DualrelCaseFile",
    "DualrelCaseItem",
    "InvalidCaseFile",
    "InvalidCaseFileItem",
    "pytest_addoption",
    "pytest_collect_file",
]

_RULESETS = _Rulesets()
_COMPILED = _Compiled()


class CaseFailed(AssertionError):
    """A case's findings differ from what it expects."""

    def __init__(self, result: CaseResult) -> None:
        super().__init__(result.case.name)
        self.result = result


class InvalidCaseFile(Exception):
    def __init__(self, error: TestCaseError) -> None:
        super().__init__(str(error))
        self.error = error


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        "dualrel_cases",
        type="bool",
        default=True,
        help="collect dualrel ruleset test case files (tests/<ruleset>/*.yaml)",
    )


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.suffix not in (".yaml", ".yml"):
        return None
    if not parent.config.getini("dualrel_cases"):
        return None
    if not is_case_file(file_path):
        return None
    collector: pytest.Collector = DualrelCaseFile.from_parent(parent, path=file_path)
    return collector


class DualrelCaseFile(pytest.File):
    """A case file: one item per case (or one failing item if the file is invalid)."""

    def collect(self) -> Iterator[pytest.Item]:
        try:
            case_file = read_case_file(self.path, _RULESETS)
        except TestCaseError as exc:
            yield InvalidCaseFileItem.from_parent(self, name="invalid test case file", error=exc)
            return
        for case in case_file.cases:
            yield DualrelCaseItem.from_parent(self, name=case.name, case=case)


class DualrelCaseItem(pytest.Item):
    """One test case."""

    def __init__(self, *, case: Case, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case = case

    def runtest(self) -> None:
        result = check_case(self.case, evaluate_case(self.case, _COMPILED.get(self.case)))
        if result.outcome == "known-gap":
            pytest.xfail(f"known gap: {self.case.known_gap}")
        if not result.passed:
            raise CaseFailed(result)

    def repr_failure(
        self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None
    ) -> str | Any:
        if isinstance(excinfo.value, CaseFailed):
            return _format(excinfo.value.result)
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        line = (self.case.line - 1) if self.case.line else None
        return self.path, line, f"case: {self.case.name} ({self.case.ruleset_ref})"


class InvalidCaseFileItem(pytest.Item):
    """Stands for a case file that cannot be read: fails with every located problem."""

    def __init__(self, *, error: TestCaseError, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.error = error

    def runtest(self) -> None:
        raise InvalidCaseFile(self.error)

    def repr_failure(
        self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None
    ) -> str | Any:
        if isinstance(excinfo.value, InvalidCaseFile):
            return "\n".join(str(p) for p in excinfo.value.error.problems)
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, "invalid test case file"
