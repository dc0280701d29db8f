"""The atomic writer: whole files or nothing, and never a device node replaced.

Every test writes under ``tmp_path`` only: the device node is made there (as root), so
no test touches a system path.
"""

from __future__ import annotations

import errno
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from dualrel._internal.atomic import open_atomic, write_atomic
from dualrel.cli._shared import Terminated, terminating
from tests.cli.util import release


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


def test_error_in_the_block_leaves_the_file(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError), open_atomic(target) as f:
        f.write("half")
        raise RuntimeError
    assert target.read_text(encoding="utf-8") == "old"
    assert os.listdir(tmp_path) == ["out.txt"]


def test_missing_directory_names_the_target(tmp_path: Path) -> None:
    with pytest.raises(OSError) as info:
        write_atomic(tmp_path / "no" / "out.txt", "x")
    assert info.value.filename == str(tmp_path / "no" / "out.txt")
    assert os.listdir(tmp_path) == []


def test_a_directory_is_refused_by_its_name(tmp_path: Path) -> None:
    with pytest.raises(IsADirectoryError) as info:
        write_atomic(tmp_path, "x")
    assert info.value.filename == str(tmp_path)
    assert os.listdir(tmp_path) == []


def test_modes_new_file_follows_umask_existing_file_keeps_its_own(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        write_atomic(tmp_path / "new.txt", "x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.txt").stat().st_mode) == 0o640
    kept = tmp_path / "kept.txt"
    kept.write_text("old")
    kept.chmod(0o600)
    write_atomic(kept, "new")
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600


def _read_fifo(path: Path, into: list[bytes]) -> threading.Thread:
    def read() -> None:
        with open(path, "rb") as f:
            into.append(f.read())

    reader = threading.Thread(target=read)
    reader.start()
    return reader


@pytest.mark.parametrize("through_symlink", [False, True])
def test_a_fifo_is_written_through_not_replaced(tmp_path: Path, through_symlink: bool) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    target = fifo
    if through_symlink:  # as /dev/stdout leads to /proc/self/fd/1
        target = tmp_path / "stdout"
        target.symlink_to(fifo)
    got: list[bytes] = []
    reader = _read_fifo(fifo, got)
    try:
        write_atomic(target, "report\n")
    finally:
        release(fifo)
        reader.join(timeout=30)
    assert got == [b"report\n"]
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert target.is_symlink() == through_symlink
    assert sorted(os.listdir(tmp_path)) == sorted({"fifo", target.name})


@pytest.mark.skipif(os.geteuid() != 0, reason="making a device node needs root")
def test_a_device_node_is_written_through_not_replaced(tmp_path: Path) -> None:
    null = tmp_path / "null"
    os.mknod(null, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # the null device, made here
    write_atomic(null, "a report the device swallows")
    mode = null.stat().st_mode
    assert stat.S_ISCHR(mode) and null.stat().st_rdev == os.makedev(1, 3)
    assert os.listdir(tmp_path) == ["null"]


def test_a_symlink_to_a_file_stays_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "real.txt"
    real.write_text("old")
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    write_atomic(link, "new")
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_text() == "new"
    assert sorted(os.listdir(tmp_path)) == ["link.txt", "real.txt"]


def test_private_is_owner_only_from_creation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Neither a lax umask nor the mode of the file replaced opens a private file, and the
    temporary file is owner-only before a byte is written."""
    modes: list[int] = []
    real_open = os.open

    def spy(path: str, flags: int, mode: int = 0o777, **kwargs: object) -> int:
        modes.append(mode)  # what the temporary file is created with
        return real_open(path, flags, mode, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", spy)
    old = os.umask(0)
    try:
        new, existing = tmp_path / "new.json", tmp_path / "old.json"
        existing.write_text("{}")
        existing.chmod(0o644)
        write_atomic(new, "secret", private=True)
        write_atomic(existing, "secret", private=True)
        write_atomic(tmp_path / "plain.txt", "open")
    finally:
        os.umask(old)
    assert modes == [0o600, 0o600, 0o666]
    for path in (new, existing):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert path.read_text() == "secret"


def _dead_pid() -> int:
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(child.stdout)


def test_a_killed_writers_temporary_file_is_removed_by_the_next_write(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    write_atomic(target, "old")
    created: list[str] = []
    real_open = os.open

    def spy(path: str, *args: object) -> int:
        created.append(os.path.basename(path))
        return real_open(path, *args)  # type: ignore[arg-type]

    # the name a writer on this host gives its temporary file, with a dead writer's pid
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(os, "open", spy)
        write_atomic(target, "new")
    (name,) = created
    host, _pid, rand = name.removeprefix(".out.txt.").removesuffix(".tmp").split("-")
    stale = tmp_path / f".out.txt.{host}-{_dead_pid()}-{rand}.tmp"
    live = tmp_path / f".out.txt.{host}-{os.getppid()}-{rand}.tmp"  # a writer still running
    elsewhere = tmp_path / f".out.txt.ffffff-{_dead_pid()}-{rand}.tmp"  # another host's
    for partial in (stale, live, elsewhere):
        partial.write_text("half")
    write_atomic(target, "newer")
    assert target.read_text() == "newer"
    assert sorted(os.listdir(tmp_path)) == sorted(["out.txt", live.name, elsewhere.name])


def test_sigterm_while_writing_removes_the_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(Terminated) as info, terminating(), open_atomic(target) as f:
        f.write("half")
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)  # the signal is raised here, long before this ends
    assert info.value.exit_code == 128 + signal.SIGTERM
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["out.txt"]
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # the handler was restored


@pytest.mark.skipif(os.geteuid() != 0, reason="making a device node needs root")
def test_a_full_disk_names_the_output(tmp_path: Path) -> None:
    full = tmp_path / "full"
    os.mknod(full, 0o666 | stat.S_IFCHR, os.makedev(1, 7))  # the full device, made here
    with pytest.raises(OSError) as info:
        write_atomic(full, "x" * 100_000)
    assert info.value.errno == errno.ENOSPC
    assert info.value.filename == str(full)


def test_a_write_error_names_the_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    target = tmp_path / "out.txt"
    with pytest.raises(OSError) as info:
        write_atomic(target, "x")
    assert info.value.filename == str(target)
    assert os.listdir(tmp_path) == []
