"""docs/library.md: every Python block runs, in a folder of its own, and its asserts hold."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[1] / "docs" / "library.md"


def blocks() -> list[str]:
    found = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert len(found) == 3, "docs/library.md changed: update this test"
    return found


@pytest.mark.parametrize("index", range(3))
def test_the_library_docs_run(index: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code = blocks()[index]
    namespace: dict[str, object] = {}
    exec(compile(code, f"{DOC}, block {index + 1}", "exec"), namespace)  # our own docs
    assert "assert" in code
