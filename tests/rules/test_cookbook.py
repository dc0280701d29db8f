"""Every recipe of docs/cookbook.md loads, passes its own cases, and has both kinds of case."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from dualrel.testing.runner import run_tests

DOC = Path(__file__).resolve().parents[2] / "docs" / "cookbook.md"


def _recipes() -> list[tuple[str, str, str]]:
    recipes = []
    for section in re.split(r"^## ", DOC.read_text(), flags=re.M)[1:]:
        title = section.splitlines()[0].strip()
        blocks = re.findall(r"```yaml\n(.*?)```", section, flags=re.S)
        assert len(blocks) == 2, f"{title}: a recipe is one ruleset block and one case block"
        recipes.append((title, blocks[0], blocks[1]))
    return recipes


RECIPES = _recipes()


def test_the_cookbook_has_recipes() -> None:
    assert RECIPES


@pytest.mark.parametrize(("title", "ruleset", "cases"), RECIPES, ids=[r[0] for r in RECIPES])
def test_recipe(tmp_path: Path, title: str, ruleset: str, cases: str) -> None:
    rs_id = yaml.safe_load(ruleset)["id"]
    (tmp_path / f"{rs_id}.yaml").write_text(ruleset)
    spec = yaml.safe_load(cases)
    spec["ruleset"] = f"../../{rs_id}.yaml"
    case_dir = tmp_path / "tests" / rs_id
    case_dir.mkdir(parents=True)
    (case_dir / "cases.yaml").write_text(yaml.safe_dump(spec))
    results = run_tests([case_dir / "cases.yaml"])
    assert not results.problems, [p.message for p in results.problems]
    failed = [r for r in results.results if not r.passed]
    assert not failed, [r.case.name for r in failed]
    # a recipe pins both sides: something reported and something that is not
    assert any(r.case.expected for r in results.results), title
    assert any(not r.case.expected for r in results.results), title
