"""The one problem printer: each way the commands print problems, as a parameter."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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


@pytest.mark.parametrize(
    "argv",
    [
        ["check", "examples/practice.json", "--format", "text", "--quiet"],
        ["rulesets"],
        ["schema", "report"],
    ],
)
def test_a_reader_that_stops_reading_ends_the_command_quietly(argv: list[str]) -> None:
    # ``dualrel ... | head``: the reader is gone before anything is written
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen(
        [sys.executable, "-m", "dualrel", *argv],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    err = proc.stderr.read()
    assert proc.wait() == 141
    assert err == b""
