"""The examples of docs/rulesets.md load, compile and mean what the text says."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
import yaml

from dualrel.graph.model import Person, Registry, Tie
from dualrel.rules import evaluate, load_ruleset
from dualrel.testing.runner import run_tests

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


#: Sections of docs/rulesets.md whose examples are a ruleset block and a case block.
EXAMPLES = (
    "Known dates, fixed dates and date attributes",
    "Negated clauses with conditions",
    "Named sub-patterns",
    "Symmetric patterns",
)


def _examples() -> list[tuple[str, str, str]]:
    out = []
    for section in re.split(r"^## ", DOC.read_text(), flags=re.M)[1:]:
        title = section.splitlines()[0].strip()
        if title in EXAMPLES:
            ruleset, cases = re.findall(r"```yaml\n(.*?)```", section, flags=re.S)
            out.append((title, ruleset, cases))
    assert [t for t, _, _ in out] == list(EXAMPLES)
    return out


@pytest.mark.parametrize(("title", "ruleset", "cases"), _examples(), ids=list(EXAMPLES))
def test_a_section_example_passes_its_cases(tmp_path, title, ruleset, cases):
    rs_id = yaml.safe_load(ruleset)["id"]
    (tmp_path / f"{rs_id}.yaml").write_text(ruleset)
    spec = yaml.safe_load(cases)
    spec["ruleset"] = f"../../{rs_id}.yaml"
    case_dir = tmp_path / "tests" / rs_id
    case_dir.mkdir(parents=True)
    (case_dir / "cases.yaml").write_text(yaml.safe_dump(spec))
    results = run_tests([case_dir / "cases.yaml"])
    assert not results.problems, [p.message for p in results.problems]
    assert [r.case.name for r in results.results if not r.passed] == [], title
    assert any(r.case.expected for r in results.results), title
    assert any(not r.case.expected for r in results.results), title
