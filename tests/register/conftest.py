"""Every register test runs against SQLite and a real PostgreSQL server (``backend``).

Without PostgreSQL (or psycopg) the PostgreSQL half is skipped with the reason; under
``CI=true`` it fails instead, since CI installs and starts one (``.ci/run``).
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from dualrel.check import run_check
from dualrel.findings import CheckResult
from tests.register import postgres
from tests.report.util import EXAMPLE


def _missing(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI must provide PostgreSQL: see .ci/run)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str | None]:
    if importlib.util.find_spec("psycopg") is None:
        yield None
        return
    try:
        with postgres.server() as url:
            yield url
    except postgres.Unavailable as exc:
        yield str(exc)  # not a URL: the reason, reported by each test that needs it


@pytest.fixture(params=["sqlite", "postgresql"])
def register_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a new, empty register on each database."""
    if request.param == "sqlite":
        yield str(tmp_path / "register.sqlite")
        return
    admin = request.getfixturevalue("postgres_server")
    if admin is None:
        _missing("psycopg is not installed: pip install 'dualrel[postgresql]'")
    assert admin is not None
    if not admin.startswith("postgres"):
        _missing(admin)
    with postgres.database(admin) as url:
        yield url


@pytest.fixture(scope="session")
def example_check() -> CheckResult:
    return run_check(EXAMPLE)
