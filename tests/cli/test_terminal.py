"""No terminal writer obeys what an input holds (issue 21, D9).

Ids, paths, keys and case names holding escape sequences cleared the screen, rewrote a
line into a forged "PASS" and set the window title.  Every writer of the command line is
walked here with such inputs: what reaches stdout or stderr holds no control character
but the line breaks, and no bidi control.
"""

from __future__ import annotations

import io
import json
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest

from dualrel._internal.terminal import printable
from dualrel.cli.progress import Progress
from tests.cli.util import run
from tests.report.util import KEY, small_registry, write_registry
from tests.testing.conftest import RULESET

ESC = "\x1b[2J\x1b[31mAll clear\x1b]0;owned\x07"
HOSTILE = ("\r\x1b[2K", ESC, "\u202e", "\u2066", "\u200f", "\u061c", "\x9b31m", "\x85")

# a control character (but a line break) or a bidi control, raw
UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")


def inert(text: str) -> bool:
    return UNSAFE.search(text) is None


@pytest.mark.parametrize("ch", [*map(chr, range(0x20)), "\x7f", *map(chr, range(0x80, 0xA0))])
def test_printable_escapes_every_control_character(ch: str) -> None:
    out = printable(f"a{ch}b")
    assert inert(out) and "\n" not in out and out.startswith("a\\") and out.endswith("b")


@pytest.mark.parametrize(
    "ch", ["\u202a", "\u202e", "\u2066", "\u2069", "\u200e", "\u200f", "\u061c"]
)
def test_printable_escapes_bidi_controls(ch: str) -> None:
    assert printable(f"a{ch}b") == f"a\\u{ord(ch):04x}b"


def test_printable_keeps_what_it_is_asked_to_and_all_else() -> None:
    assert printable("l1\nl2\x1b", keep="\n") == "l1\nl2\\x1b"
    text = "co001 é ünïcødé → 🔴 C:\\path"
    assert printable(text) == text


@pytest.fixture
def hostile_registry(tmp_path: Path) -> Path:
    """People and ties whose ids hold escapes, in a file whose name holds one too."""
    doc = small_registry(
        [{"id": "r" + h, "kind": "romance", "source": "cl1", "target": "co1"} for h in HOSTILE]
    )
    doc["people"][0]["id"] = "co1" + ESC  # the coach
    for tie in doc["ties"]:
        for end in ("source", "target"):
            if tie[end] == "co1":
                tie[end] = "co1" + ESC
    return write_registry(tmp_path / "reg\x1b[2J\u202e.json", doc)


def test_check_text_report_and_messages(hostile_registry: Path, tmp_path: Path) -> None:
    proc = run("check", hostile_registry)
    assert proc.returncode == 1
    assert "\\x1b[2J" in proc.stdout and "\\u202e" in proc.stdout
    assert inert(proc.stdout) and inert(proc.stderr)
    out = tmp_path / "out\x1b]0;owned\x07.json"
    proc = run("check", hostile_registry, "-f", "json", "-o", out, env=KEY)
    assert "dualrel: wrote" in proc.stderr and inert(proc.stderr)


def on_a_terminal(*args: str | Path) -> str:
    """What ``dualrel ARGS`` writes to standard output when it is a terminal."""
    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "DUALREL_PSEUDONYM_KEY")}
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "dualrel", *map(str, args)],
            stdout=slave,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        os.close(slave)
        chunks = []
        while True:
            try:
                data = os.read(master, 4096)
            except OSError:  # the other end closed
                break
            if not data:
                break
            chunks.append(data)
        proc.wait(timeout=120)
    finally:
        os.close(master)
    return b"".join(chunks).decode().replace("\r\n", "\n")  # the terminal's own line ends


@pytest.mark.parametrize("fmt", ("text", "markdown", "json"))
def test_every_format_is_inert_on_a_terminal(hostile_registry: Path, fmt: str) -> None:
    out = on_a_terminal("check", hostile_registry, "-f", fmt)
    assert "\\x1b[2J" in out or "\\u001b[2J" in out
    if fmt == "text":  # in colour on a terminal: its own colours, and nothing else raw
        assert "\x1b[1;31m" in out
        out = re.sub(r"\x1b\[[0-9;]*m", "", out)
    assert inert(out)


def test_explain_and_stats_of_a_hostile_report(hostile_registry: Path, tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    run("check", hostile_registry, "-f", "json", "-o", report)
    fingerprint = json.loads(report.read_text("utf-8"))["findings"][0]["fingerprint"]
    proc = run("explain", report, fingerprint)
    assert proc.returncode == 0 and "\\x1b[2J" in proc.stdout
    assert inert(proc.stdout) and inert(proc.stderr)
    proc = run("stats", report)
    assert proc.returncode == 0 and inert(proc.stdout) and inert(proc.stderr)


def test_problems_and_validate_summary(tmp_path: Path) -> None:
    doc = small_registry([{"id": "x" + ESC, "kind": "coaching", "source": "co1", "target": "n\r"}])
    doc["ties"].append({"id": "k", "kind": "kind\x1b[2K\rPASS", "source": "co1", "target": "cl1"})
    bad = write_registry(tmp_path / "bad\x1b[2J.json", doc)
    for command in ("validate", "check"):
        proc = run(command, bad)
        assert proc.returncode == 2
        assert "unknown-person" in proc.stderr and "\\x1b" in proc.stderr
        assert inert(proc.stderr) and inert(proc.stdout)
        # one problem, one line: a carriage return or line break in an id starts none
        assert not any(line.startswith("PASS") for line in proc.stderr.splitlines())
    good = write_registry(tmp_path / "good\x1b]0;t\x07.json", small_registry())
    proc = run("validate", good)
    assert proc.returncode == 0 and "good\\x1b]0;t\\x07.json" in proc.stdout
    assert inert(proc.stdout)


def test_lint_and_test_with_hostile_names(tmp_path: Path) -> None:
    folder = tmp_path / "rs\x1b[2J"
    (folder / "tests" / "mini").mkdir(parents=True)
    (folder / "mini.yaml").write_text(RULESET, encoding="utf-8")
    proc = run("lint", folder / "mini.yaml")  # its rule cites nothing: one problem
    assert proc.returncode == 2 and "\\x1b[2J" in proc.stderr
    assert inert(proc.stderr) and inert(proc.stdout)
    # a case named to rewrite its FAIL line into a forged PASS
    cases = (
        "as_of: 2026-01-01\ncases:\n"
        '  - name: "forged\\r\\x1b[2KPASS  all good\\u202e"\n'
        "    people: [{id: co}, {id: cl}]\n"
        "    ties: [{id: c, kind: coaching, source: co, target: cl}]\n"
        "    expect: [{rule: gift-after-coaching, subjects: {coach: co, client: cl}}]\n"
    )
    (folder / "tests" / "mini" / "cases.yaml").write_text(cases, encoding="utf-8")
    proc = run("test", folder)
    assert proc.returncode == 1
    assert "FAIL" in proc.stdout and "forged\\r\\x1b[2KPASS" in proc.stdout
    assert inert(proc.stdout) and inert(proc.stderr)


def test_progress_escapes_its_label() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    stream = Tty()
    progress = Progress(stream)
    progress(1, 2, "reading " + ESC)
    progress.close()
    drawn = stream.getvalue()
    assert "reading " + printable(ESC) in drawn  # the label, escaped
    # the display's own colours and redraws are all that is raw
    assert inert(re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", drawn).replace("\r", ""))
