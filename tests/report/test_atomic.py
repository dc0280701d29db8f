"""Atomic output and the progress bar."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from dualrel.report import write_atomic
from dualrel.report.progress import Progress


def test_write_replaces_whole(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old", encoding="utf-8")
    write_atomic(target, "new ünïcode")
    assert target.read_text(encoding="utf-8") == "new ünïcode"
    assert os.listdir(tmp_path) == ["out.txt"]


def test_error_leaves_no_partial_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old", encoding="utf-8")

    def boom(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(target, "new")
    assert target.read_text(encoding="utf-8") == "old"
    assert os.listdir(tmp_path) == ["out.txt"]


def test_missing_directory_raises_and_creates_nothing(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        write_atomic(tmp_path / "no" / "out.txt", "x")
    assert os.listdir(tmp_path) == []


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_only_on_a_terminal() -> None:
    quiet = io.StringIO()
    p = Progress(quiet)
    p(1, 4, "loading")
    p.close()
    assert quiet.getvalue() == ""
    tty = _Tty()
    p = Progress(tty, width=8)
    p(2, 4, "evaluating")
    assert "[####----] 2/4 evaluating" in tty.getvalue()
    p.close()
    assert tty.getvalue().endswith("\r\033[K")
