"""README's library example runs and gives what its comments show."""

from __future__ import annotations

import ast
import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def _library_examples() -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("## As a library", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert blocks, "README has no python block under 'As a library'"
    return blocks


def _run_and_check(code: str) -> int:
    """Run one block; check each value its comments show; return how many."""
    namespace: dict[str, object] = {}
    exec(compile(code, str(README), "exec"), namespace)  # the project's own README
    lines = code.splitlines()
    checked = 0
    for i, line in enumerate(lines):
        inline = re.match(r"^(\S.*?)\s+# (\{.*\})$", line)
        if inline:
            expr, expected = inline.groups()
        elif line.startswith("# [") and i > 0:
            expr, expected = lines[i - 1], line[2:]
        else:
            continue
        assert eval(expr, namespace) == ast.literal_eval(expected), expr
        checked += 1
    return checked


def test_the_library_example_prints_what_it_says():
    first = _library_examples()[0]
    assert _run_and_check(first) == 2


def test_the_ci_example_prints_what_it_says():
    (ci,) = _library_examples()[1:]
    assert _run_and_check(ci) == 2
