"""Progress on stderr: a live display on a terminal, one log line per stage elsewhere,
nothing with ``--quiet``.  The seconds come from a clock the tests give (no timed test)."""

from __future__ import annotations

import io
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest

from dualrel.cli.progress import Progress, registry_bytes
from tests.cli.util import run

PEOPLE = "id,roles\nco1,coach\ncl1,client\ncl2,client\n"
TIES = "kind,source,target,start\ncoaching,co1,cl1,2025-01-01\ncoaching,co1,cl2,2025-02-01\n"


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_one_log_line_per_finished_stage_with_its_seconds() -> None:
    out, clock = io.StringIO(), _Clock()
    p = Progress(out, total_bytes=4_000_000, clock=clock)
    p(0, 3, "loading rulesets")
    clock.now += 0.25
    p(1, 3, "loading the registry")
    p.on_read(3_000_000)
    p.on_read(1_000_000)
    clock.now += 2.0
    p(2, 3, "evaluating coaching-core")
    clock.now += 1.5
    p(3, 3, "done")
    p.close()
    assert out.getvalue().splitlines() == [
        "dualrel: [1/3] loading rulesets: 0.25 s",
        "dualrel: [2/3] loading the registry: 2.00 s (4.0 MB, 2.0 MB/s)",
        "dualrel: [3/3] evaluating coaching-core: 1.50 s",
    ]


def test_a_stage_left_open_by_an_error_is_not_logged() -> None:
    out, clock = io.StringIO(), _Clock()
    p = Progress(out, clock=clock)
    p(0, 2, "loading rulesets")
    p(1, 2, "loading the registry")
    p.close()  # the load raised: the errors follow, not a line saying how long it took
    assert out.getvalue() == "dualrel: [1/2] loading rulesets: 0.00 s\n"


def test_quiet_writes_nothing() -> None:
    out = io.StringIO()
    p = Progress(out, mode="quiet", total_bytes=10)
    p(0, 2, "loading the registry")
    p.on_read(10)
    p(2, 2, "done")
    p.close()
    assert out.getvalue() == ""


def test_a_label_cannot_drive_the_terminal() -> None:
    out = io.StringIO()
    p = Progress(out, clock=_Clock())
    p(0, 1, "evaluating \x1b[2Jx")
    p(1, 1, "done")
    assert "\x1b" not in out.getvalue()


def test_registry_bytes_counts_a_folder_s_csv_files(tmp_path: Path) -> None:
    (tmp_path / "people.csv").write_text(PEOPLE)
    (tmp_path / "ties.csv").write_text(TIES)
    (tmp_path / "contacts.csv").write_text("x\n")
    (tmp_path / "notes.txt").write_text("not a registry file")
    assert registry_bytes(str(tmp_path)) == len(PEOPLE) + len(TIES) + 2
    assert registry_bytes(str(tmp_path / "people.csv")) == len(PEOPLE)
    assert registry_bytes(str(tmp_path / "nothing.json")) is None


def test_registry_bytes_counts_a_split_folder_s_parts(tmp_path: Path) -> None:
    (tmp_path / "people-0001.csv").write_text(PEOPLE)
    (tmp_path / "ties-0001.csv").write_text(TIES)
    (tmp_path / "ties-0002.csv").write_text(TIES)
    assert registry_bytes(str(tmp_path)) == len(PEOPLE) + 2 * len(TIES)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    d = tmp_path / "reg"
    d.mkdir()
    (d / "people.csv").write_text(PEOPLE)
    (d / "ties.csv").write_text(TIES)
    return d


def test_log_lines_through_a_pipe(folder: Path) -> None:
    proc = run("check", folder, "--as-of", "2026-01-01")
    assert proc.returncode == 1, proc.stderr
    lines = proc.stderr.splitlines()
    assert [re.sub(r"[\d.]+ s\b.*", "S", line) for line in lines] == [
        "dualrel: [1/5] loading rulesets: S",
        "dualrel: [2/5] reading waivers and baseline: S",
        "dualrel: [3/5] loading the registry: S",
        "dualrel: [4/5] evaluating coaching-core: S",
        "dualrel: [5/5] applying waivers and baseline: S",
    ]
    size = len(PEOPLE) + len(TIES)
    assert f"({size} bytes, " in lines[2] and lines[2].endswith("/s)")


def test_quiet_through_a_pipe(folder: Path) -> None:
    (folder / "people.csv").write_text(PEOPLE.replace("cl1,client", 'cl1,"coach,mentor"'))
    proc = run("check", folder, "--quiet")
    assert proc.returncode == 1 and proc.stdout
    assert proc.stderr == ""  # no stage lines, no warnings (a role, no date)


def _on_a_terminal(*args: str | Path) -> tuple[int, str]:
    """Run ``dualrel`` with stderr on a pseudo-terminal; its exit code and stderr."""
    master, slave = pty.openpty()
    env = {**os.environ, "COLUMNS": "160", "NO_COLOR": "1"}
    chunks = []
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "dualrel", *map(str, args)],
            stdout=subprocess.DEVNULL,
            stderr=slave,
            env=env,
        )
        os.close(slave)
        while True:  # read as it writes: a full terminal buffer would block it
            try:
                data = os.read(master, 65536)
            except OSError:  # the other end closed
                break
            if not data:
                break
            chunks.append(data)
        code = proc.wait(timeout=120)
    finally:
        os.close(master)
    return code, b"".join(chunks).decode()


def test_live_display_on_a_terminal_shows_the_bytes_read(folder: Path) -> None:
    code, err = _on_a_terminal("check", folder, "--as-of", "2026-01-01")
    assert code == 1
    size = len(PEOPLE) + len(TIES)
    assert "[3/5] loading the registry" in err and "[4/5] evaluating coaching-core" in err
    assert f"{size}/{size} bytes" in err  # the bytes read of the registry's size
    assert "dualrel: [" not in err  # the log lines are for logs
    assert err.endswith("\x1b[2K")  # the display erased its line as it closed


def test_quiet_on_a_terminal_writes_nothing(folder: Path) -> None:
    code, err = _on_a_terminal("check", folder, "-q")
    assert code == 1 and err == ""
