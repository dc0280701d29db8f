from __future__ import annotations

from pathlib import Path

import pytest

from dualrel.check import run_check
from dualrel.report import CheckResult, Pseudonymizer
from tests.report.util import EXAMPLE, FRIENDSHIP, ROMANCE, TEST_KEY, small_registry, write_registry


@pytest.fixture(scope="session")
def example_result() -> CheckResult:
    return run_check(EXAMPLE)


@pytest.fixture(scope="session")
def example_revealed() -> CheckResult:
    return run_check(EXAMPLE, reveal=True)


@pytest.fixture
def planted(tmp_path: Path) -> Path:
    """A small registry with a level-3 romance (r1) and a level-1 friendship (f1)."""
    return write_registry(tmp_path / "reg.json", small_registry([ROMANCE, FRIENDSHIP]))


@pytest.fixture
def pseudo() -> Pseudonymizer:
    return Pseudonymizer(TEST_KEY.encode(), "env")
