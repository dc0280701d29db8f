"""Run ``dualrel`` in a subprocess, as a user or a CI job would."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path


def run(
    *args: str | Path,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    stderr: int | None = None,
) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if k != "DUALREL_PSEUDONYM_KEY"}
    full_env["NO_COLOR"] = "1"
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "dualrel", *map(str, args)],
        capture_output=stderr is None,
        stderr=stderr,
        stdout=subprocess.PIPE if stderr is not None else None,
        text=True,
        cwd=cwd,
        env=full_env,
        timeout=120,
        check=False,
    )


def assert_input_error(proc: subprocess.CompletedProcess[str], *needles: str) -> None:
    """Exit 2, no traceback, and every needle (file, record, ...) in stderr."""
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout
    for needle in needles:
        assert needle in proc.stderr, (needle, proc.stderr)


def release(fifo: Path) -> None:
    """Open and close ``fifo`` for writing, without blocking, so a reader waiting in
    ``open`` for a writer that never came gets EOF; a reader already done is no matter."""
    with contextlib.suppress(OSError):
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
