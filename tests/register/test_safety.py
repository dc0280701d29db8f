"""The register under concurrency and faults, on SQLite and PostgreSQL: a second writer
waits for the first and loses nothing; a writer killed mid-transaction leaves the register
as it was; a newer schema is refused; a SQLite register is its owner's alone."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

import dualrel
from dualrel.findings import CheckResult
from dualrel.register import Register, RegisterError, default_path, head_revision, open_register
from dualrel.register._db import engine_url
from tests.register.util import later

SRC = Path(dualrel.__file__).resolve().parent.parent
EXAMPLE = dualrel.example_registry()
TABLES = ("dualrel_runs", "dualrel_findings", "dualrel_steps", "dualrel_events", "dualrel_rules")

#: ``dualrel check --register`` in a process that touches the file argv[1] once it is
#: inside its write transaction, every finding written, and stays there until the file
#: argv[2] exists (``pause``); or that touches argv[1] just before it asks for the
#: transaction, and does not wait (``announce``).
WRITER = """
import pathlib, sys, time
import dualrel.register._record as record
from dualrel.register import Register
from dualrel.cli import main
mode, ready, go, url, by, as_of, registry = sys.argv[1:8]
if mode == "pause":
    real = record.apply_escalation
    def paused(*args, **kwargs):
        pathlib.Path(ready).touch()
        while not pathlib.Path(go).exists():
            time.sleep(0.05)
        return real(*args, **kwargs)
    record.apply_escalation = paused
else:
    real_record = Register.record
    def announced(self, *args, **kwargs):
        pathlib.Path(ready).touch()
        return real_record(self, *args, **kwargs)
    Register.record = announced
sys.exit(main(["check", registry, "--register", url, "--by", by, "--as-of", as_of,
               "-o", "/dev/null"]))
"""


def _env() -> dict[str, str]:
    paths = [str(SRC), *(p for p in sys.path if p.endswith("-deps"))]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}


def _writer(
    tmp_path: Path, mode: str, url: str, by: str, as_of: str
) -> tuple[subprocess.Popen[str], Path]:
    """A writer started and past its signal (see :data:`WRITER`), and its go file."""
    ready, go = tmp_path / f"{by}.ready", tmp_path / f"{by}.go"
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, mode, str(ready), str(go), url, by, as_of, str(EXAMPLE)],
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while not ready.exists():
        if proc.poll() is not None:
            err = proc.stderr.read() if proc.stderr else ""
            raise AssertionError(f"the writer ended early: {err}")
        assert time.monotonic() < deadline, "the writer never reached the register"
        time.sleep(0.05)
    return proc, go


def _dump(url: str) -> dict[str, list[tuple[Any, ...]]]:
    engine = create_engine(engine_url(url)[0])
    with engine.connect() as conn:
        out = {
            t: sorted(tuple(r) for r in conn.execute(text(f"SELECT * FROM {t}"))) for t in TABLES
        }
    engine.dispose()
    return out


def test_a_second_writer_waits_and_nothing_is_lost_or_interleaved(
    register_url: str, tmp_path: Path, example_check: CheckResult
) -> None:
    open_register(register_url).close()  # made before the race: both only write runs
    first, go = _writer(tmp_path, "pause", register_url, "first", "2026-11-26")
    with open_register(register_url) as reader:  # readers never wait for a writer
        assert reader.runs() == () and reader.findings() == ()
    second, _ = _writer(tmp_path, "announce", register_url, "second", "2026-11-27")
    time.sleep(2)  # the second asked for its transaction: it must wait for the first's
    assert second.poll() is None, "the second writer did not wait for the first"
    go.touch()
    assert first.wait(120) == 1, first.stderr.read() if first.stderr else ""
    assert second.wait(120) == 1, second.stderr.read() if second.stderr else ""
    with open_register(register_url) as reg:
        runs = reg.runs()
        events = reg.events()
        found = reg.findings()
    assert [(r.recorded_by, r.as_of.isoformat()) for r in runs] == [
        ("first", "2026-11-26"),
        ("second", "2026-11-27"),
    ]
    assert len(found) == len(example_check.findings)
    assert all(f.last_seen.isoformat() == "2026-11-27" for f in found)
    opened = [e.fingerprint for e in events if e.kind == "opened"]
    assert sorted(opened) == sorted(f.fingerprint for f in found)  # each once, by the first
    assert {e.run for e in events if e.kind == "opened"} == {runs[0].id}
    run_order = [e.run for e in events if e.run is not None]
    assert run_order == sorted(run_order)  # the runs' writes never interleave


def test_a_writer_killed_mid_transaction_leaves_the_register_as_it_was(
    register_url: str, tmp_path: Path, example_check: CheckResult
) -> None:
    with open_register(register_url) as reg:
        reg.record(later(example_check, example_check.as_of, keep=3), by="before")
    before = _dump(register_url)
    proc, _go = _writer(tmp_path, "pause", register_url, "killed", "2026-12-01")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(30)
    assert proc.returncode == -signal.SIGKILL
    assert _dump(register_url) == before
    with open_register(register_url) as reg:  # the lock went with the killed writer
        done = reg.record(later(example_check, example_check.as_of), by="after")
        assert len(done.opened) == len(example_check.findings) - 3


def test_a_register_of_a_newer_schema_is_refused_and_left_alone(register_url: str) -> None:
    open_register(register_url).close()
    engine = create_engine(engine_url(register_url)[0])
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'f9999'"))
    with pytest.raises(RegisterError, match=r"schema revision f9999, newer than this dualrel"):
        Register(register_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "f9999"
        assert conn.execute(text("SELECT count(*) FROM dualrel_runs")).scalar() == 0
    engine.dispose()


def test_a_new_register_is_at_the_newest_schema(register_url: str) -> None:
    open_register(register_url).close()
    engine = create_engine(engine_url(register_url)[0])
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == (
            head_revision()
        )
    engine.dispose()
    open_register(register_url).close()  # opening again changes nothing


def test_a_sqlite_register_is_created_owner_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = os.umask(0)
    try:
        path = tmp_path / "deep" / "reg.sqlite"
        open_register(str(path)).close()
        monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
        assert default_path() == tmp_path / "xdg" / "dualrel" / "register.sqlite"
        open_register().close()
    finally:
        os.umask(old)
    for made in (path, default_path()):
        assert stat.S_IMODE(made.stat().st_mode) == 0o600, oct(made.stat().st_mode)
        assert stat.S_IMODE(made.parent.stat().st_mode) == 0o700
