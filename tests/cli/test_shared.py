"""The one problem printer: each way the commands print problems, as a parameter."""

from __future__ import annotations

import pytest

from dualrel.cli._shared import print_problems
from dualrel.errors import Problem

PROBLEMS = (
    Problem(file="r.json", line=3, code="unknown-kind", message="unknown kind", record="t1"),
    Problem(
        file="r.json", line=4, code="odd", message="odd tie t2", record="t2", severity="warning"
    ),
)


def test_records_and_warnings(capsys: pytest.CaptureFixture[str]) -> None:
    print_problems(PROBLEMS, records=True)
    assert capsys.readouterr().err == (
        "r.json:3: unknown-kind: unknown kind [t1]\n"
        "warning: r.json:4: odd: odd tie t2\n"
        "dualrel: 1 problem(s) found\n"
    )


def test_without_records_or_tally(capsys: pytest.CaptureFixture[str]) -> None:
    print_problems(PROBLEMS, tally=False)
    assert capsys.readouterr().err == (
        "r.json:3: unknown-kind: unknown kind\nwarning: r.json:4: odd: odd tie t2\n"
    )


def test_every_problem_alike(capsys: pytest.CaptureFixture[str]) -> None:
    print_problems(PROBLEMS, by_severity=False)
    assert capsys.readouterr().err == (
        "r.json:3: unknown-kind: unknown kind\nr.json:4: odd: odd tie t2\n"
        "dualrel: 2 problem(s) found\n"
    )
