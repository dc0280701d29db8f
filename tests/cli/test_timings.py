"""``dualrel check --timings``: the stages of a check, and the compiler's stages within it."""

from __future__ import annotations

import json
from pathlib import Path

from dualrel.rules import compiler
from tests.cli.util import run
from tests.report.util import EXAMPLE

#: The check's own stages, in the order it runs them.
_CHECK_STAGES = [
    "rulesets",
    "read_validate",
    "compile",
    "index",
    "evaluate",
    "findings",
    "result",
    "report",
]


def test_timings_list_every_stage_and_every_compiler_stage(tmp_path: Path) -> None:
    timed, plain = tmp_path / "timed.json", tmp_path / "plain.json"
    rulesets = ["-r", "coaching-core", "-r", "coaching-practice"]
    proc = run("check", EXAMPLE, *rulesets, "-f", "json", "-o", timed, "--timings")
    assert proc.returncode == 1, proc.stderr
    (line,) = [line for line in proc.stderr.splitlines() if line.startswith("{")]
    stages = json.loads(line)
    parts = [f"compile.{name}" for name, _ in compiler.STAGES]
    assert [k for k in stages if "." not in k] == _CHECK_STAGES
    # each compiler stage, summed over the rulesets, right after the stage it is part of
    assert list(stages) == [*_CHECK_STAGES[:3], *parts, *_CHECK_STAGES[3:]]
    assert all(v >= 0 for v in stages.values())
    # parts of ``compile``: no more than it (each is rounded to 4 decimals)
    assert sum(stages[p] for p in parts) <= stages["compile"] + 0.0001 * len(parts)
    # --timings adds the line, and changes nothing else
    proc = run("check", EXAMPLE, *rulesets, "-f", "json", "-o", plain)
    assert proc.returncode == 1, proc.stderr
    assert "{" not in proc.stderr
    assert timed.read_bytes() == plain.read_bytes()
