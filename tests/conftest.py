"""What the whole suite promises the machine it runs on: it writes in temporary folders
only, so the device nodes every program relies on are as they were when it started (a
test once turned ``/dev/null`` into a regular file when run as root; issue 21, D1)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator

import pytest

_DEVICES = ("/dev/null", "/dev/zero", "/dev/full")


def _kinds() -> dict[str, tuple[int, int]]:
    kinds = {}
    for path in _DEVICES:
        with_stat = os.lstat(path) if os.path.exists(path) else None
        if with_stat is not None:
            kinds[path] = (stat.S_IFMT(with_stat.st_mode), with_stat.st_rdev)
    return kinds


@pytest.fixture(scope="session", autouse=True)
def _system_devices_untouched() -> Iterator[None]:
    before = _kinds()
    yield
    changed = [path for path, kind in _kinds().items() if before.get(path) != kind]
    assert not changed, f"the test suite replaced {', '.join(changed)} (write to tmp_path only)"
