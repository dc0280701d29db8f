"""README's library example runs and gives what its comments show."""

from __future__ import annotations

import ast
import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def _library_example() -> str:
    text = README.read_text(encoding="utf-8")
    section = text.split("## As a library", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "README has no python block under 'As a library'"
    return match.group(1)


def test_the_library_example_prints_what_it_says():
    code = _library_example()
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
    assert checked == 2
