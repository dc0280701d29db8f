"""``dualrel check -o FORMAT=PATH``: one evaluation, many reports, every output checked
before the run; a repeated ``--format`` refused; ``--fail-level`` names; "did you mean"
for choices and commands; help wrapped to the terminal."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

import dualrel.check
from dualrel.cli import main
from dualrel.cli.outputs import parse_output
from dualrel.cli.parser import Formatter
from dualrel.errors import InvalidArgument
from tests.report.util import EXAMPLE, KEY


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".git").mkdir()  # no settings file above the test's folder is read
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv(*next(iter(KEY.items())))


@pytest.fixture
def evaluations(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the evaluations: the check must run once, or not at all on bad outputs."""
    calls: list[int] = []
    real = dualrel.cli.check.check_for_exit

    def counting(*args: object, **kwargs: object) -> dualrel.check.CheckResult:
        calls.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(dualrel.cli.check, "check_for_exit", counting)
    return calls


def test_one_evaluation_writes_every_output_as_its_own_run_would(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], evaluations: list[int]
) -> None:
    formats = ["json", "sarif", "junit", "markdown", "html", "github", "gitlab", "text"]
    args = ["check", str(EXAMPLE), "--as-of", "2026-06-01"]
    assert main([*args, "-f", "github", *(f"-o{f}=out.{f}" for f in formats)]) == 1
    assert evaluations == [1]
    both = capsys.readouterr()
    for f in formats:
        assert f"wrote out.{f} " in both.err
    for f in formats:
        assert main([*args, "-f", f]) == 1
        alone = capsys.readouterr().out
        assert (tmp_path / f"out.{f}").read_text(encoding="utf-8") == alone, f
        if f == "github":  # --format without -o FILE still goes to standard output
            assert both.out == alone


def test_one_random_key_for_every_shared_output_of_a_run(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("DUALREL_PSEUDONYM_KEY")
    assert main(["check", str(EXAMPLE), "-o", "markdown=a.md", "-o", "github=a.txt"]) == 1
    aliases = set(re.findall(r"p-[0-9a-f]{12}", (tmp_path / "a.md").read_text()))
    assert aliases and aliases == set(
        re.findall(r"p-[0-9a-f]{12}", (tmp_path / "a.txt").read_text())
    )


@pytest.mark.parametrize(
    ("outputs", "needles"),
    [
        (["-o", "nodir/r.json"], ["nodir/r.json: no such directory 'nodir'"]),
        (["-o", "json=nodir/r.json"], ["no such directory 'nodir'"]),
        (["-o", "json=r.json", "-o", "sarif=./r.json"], ["json=r.json and sarif=./r.json"]),
        (["-f", "json", "-o", "sarif=-"], ["both write to standard output"]),
        (["-o", "a.txt", "-o", "b.txt"], ["-o given 2 files without a format (a.txt, b.txt)"]),
        (["-o", "sarf=x"], ["unknown format 'sarf' (did you mean 'sarif'?)"]),
        (["-o", "json="], ["no path after '='"]),
        (["-o", "json=.", "--templates", "."], ["is a directory", "--templates applies"]),
        (["-o", "sarif=r.sarif", "--pseudonym-map", "r.sarif"], ["the same file"]),
        (["-o", "json=r.json", "--pseudonym-map", "m.json"], ["nothing to map"]),
    ],
)
def test_bad_outputs_fail_before_the_evaluation_with_every_problem(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    evaluations: list[int],
    outputs: list[str],
    needles: list[str],
) -> None:
    assert main(["check", str(EXAMPLE), *outputs]) == 2
    err = capsys.readouterr().err
    assert evaluations == []  # refused before the run, not after it
    for needle in needles:
        assert needle in err, (needle, err)
    assert sorted(os.listdir(tmp_path)) == [".git"]


def test_a_short_key_fails_before_the_evaluation(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], evaluations: list[int]
) -> None:
    monkeypatch.setenv("DUALREL_PSEUDONYM_KEY", "short")
    assert main(["check", str(EXAMPLE), "-o", "json=r.json", "-o", "sarif=r.sarif"]) == 2
    assert "32 bytes" in capsys.readouterr().err and evaluations == []


def test_a_repeated_format_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(EXAMPLE), "-f", "json", "--format", "sarif"]) == 2
    assert "--format given twice (json, sarif)" in capsys.readouterr().err


def test_a_file_named_with_an_equals_sign(tmp_path: Path) -> None:
    assert parse_output("./json=x") == (None, "./json=x")
    assert parse_output("out/a=b.json") == (None, "out/a=b.json")
    assert parse_output("json=-") == ("json", "-")
    with pytest.raises(InvalidArgument, match="did you mean 'junit'"):
        parse_output("junt=x")
    assert main(["check", str(EXAMPLE), "-f", "json", "-o", "./json=x"]) == 1
    assert (tmp_path / "json=x").read_text().startswith("{")


@pytest.mark.parametrize(("level", "code"), [("3", 1), ("2", 1)])
def test_fail_level_numbers(level: str, code: int) -> None:
    assert main(["check", str(EXAMPLE), "-o", "json=r.json", "--fail-level", level]) == code


@pytest.mark.parametrize(
    ("level", "needle"),
    [
        ("high", "'high' is a severity, but the fail level is an escalation level"),
        ("4", "expected an escalation level, one of 1 (guidance in session)"),
    ],
)
def test_fail_level_names_get_a_clear_message(
    capsys: pytest.CaptureFixture[str], level: str, needle: str
) -> None:
    assert main(["check", str(EXAMPLE), "--fail-level", level]) == 2
    assert needle in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["chek"], "invalid choice: 'chek' (did you mean 'check'"),
        (["register", "lst"], "invalid choice: 'lst' (did you mean 'list'?)"),
        (["check", "x", "-f", "sarf"], "invalid choice: 'sarf' (did you mean 'sarif'?)"),
    ],
)
def test_typos_get_did_you_mean(
    capsys: pytest.CaptureFixture[str], argv: list[str], needle: str
) -> None:
    assert main(argv) == 2
    assert needle in capsys.readouterr().err


def test_no_suggestion_for_what_is_like_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["zzzzzz"]) == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'zzzzzz' (choose from" in err and "did you mean" not in err


def test_help_is_wrapped_to_the_terminal(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", "60")
    for command in ("check", "validate", "lint", "stats", "test", "diff", "register"):
        assert main([command, "--help"]) == 0
        out = capsys.readouterr().out
        # argparse sets the usage; an option's own text cannot be broken
        long = [line for line in out.splitlines() if len(line) > 60 and line.strip()[0] != "["]
        assert not long, (command, long)
        assert "exit codes:" in out


def test_the_formatter_keeps_tables_and_joins_what_was_wrapped_by_hand() -> None:
    text = (
        "A paragraph wrapped by hand at a narrow\nwidth, joined again.\n\nexit codes:\n"
        "  0  ok\n  2  bad input, a long entry that goes on and on\n     under its text\n"
        "examples:\n  dualrel check a\n  dualrel check b\n"
    )
    out = Formatter("dualrel")._fill_text(text, 40, "")
    assert out == (
        "A paragraph wrapped by hand at a narrow\nwidth, joined again.\n\nexit codes:\n"
        "  0  ok\n  2  bad input, a long entry that goes\n     on and on under its text\n"
        "examples:\n  dualrel check a\n  dualrel check b\n"
    )
