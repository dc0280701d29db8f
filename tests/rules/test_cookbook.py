"""Every recipe of docs/cookbook.md loads, passes its own cases, and has both kinds of case."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.rules.recipes import check_example

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
    check_example(tmp_path, title, ruleset, cases)
