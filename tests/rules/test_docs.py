"""The examples of docs/rulesets.md load, compile and mean what the text says."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from dualrel.graph.model import Person, Registry, Tie
from dualrel.rules import evaluate, load_ruleset

DOC = Path(__file__).resolve().parents[2] / "docs" / "rulesets.md"


def test_the_reference_example_works(tmp_path):
    (block,) = re.findall(r"```yaml\n(.*?)```", DOC.read_text(), flags=re.S)
    path = tmp_path / "example.yaml"
    path.write_text(block)
    rs = load_ruleset(path)
    reg = Registry(
        people=(Person("co"), Person("cl")),
        ties=(
            Tie("c", "coaching", "co", "cl", end=date(2025, 1, 1)),
            Tie("r", "romance", "cl", "co", start=date(2025, 6, 1)),
        ),
        as_of=date(2026, 1, 1),
    )
    (f,) = evaluate(reg, rs).findings
    assert (f.rule, f.evidence, f.remediation[0].due) == (
        "romance-former-client",
        ("c", "r"),
        date(2026, 1, 15),
    )
