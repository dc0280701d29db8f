"""Running a documented example: a ruleset block and its case block, as a committee would
keep them (``docs/cookbook.md``, the example sections of ``docs/rulesets.md``)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from dualrel.testing.runner import run_tests


def yaml_blocks(doc: Path, title: str) -> list[str]:
    """The ``yaml`` blocks of the ``## title`` section of ``doc``."""
    text = doc.read_text()
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return re.findall(r"```yaml\n(.*?)```", text[start : end if end != -1 else None], flags=re.S)


def check_example(tmp_path: Path, title: str, ruleset: str, cases: str) -> None:
    """The ruleset loads and passes its cases, which pin both sides: something reported
    and something that is not."""
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
