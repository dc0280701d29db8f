"""The examples of docs/rulesets.md load, compile and mean what the text says."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from dualrel.graph.model import Person, Registry, Tie
from dualrel.rules import evaluate, load_ruleset

DOC = Path(__file__).resolve().parents[2] / "docs" / "rulesets.md"


def test_the_reference_example_works(tmp_path):
    block = re.findall(r"```yaml\n(.*?)```", DOC.read_text(), flags=re.S)[0]
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


def _section_block(heading: str) -> str:
    section = DOC.read_text().split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"```yaml\n(.*?)```", section, flags=re.S)
    return block


def test_the_people_example_works(tmp_path):
    path = tmp_path / "people.yaml"
    path.write_text(_section_block("People's fields and numbers"))
    rs = load_ruleset(path)

    def rules(coach_org, position, gift):
        reg = Registry(
            people=(
                Person("co", ("coach",), organisation=coach_org, attributes={"position": position}),
                Person("cl", (), organisation="Acme"),
            ),
            ties=(
                Tie("c", "coaching", "co", "cl"),
                Tie("g", "gift", "cl", "co", attributes={"value": gift}),
            ),
            as_of=date(2026, 1, 1),
            kinds={"gift": True},
        )
        return {f.rule for f in evaluate(reg, rs).findings}

    assert rules("Acme", "Professor", "101") == {"senior-academic-coach", "gift-above-limit"}
    assert rules("Beta", "Professor", "100") == set()  # another organisation; not above
    assert rules("Acme", "Lecturer", "n/a") == set()  # not senior; not a number
