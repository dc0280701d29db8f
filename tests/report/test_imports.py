"""Rendering reports stays light: it never loads the rules engine or NetworkX."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("networkx", "dualrel.rules.engine", "dualrel.rules", "dualrel.graph")


def _loaded_after(statement: str) -> dict[str, bool]:
    # a fresh interpreter: this test process has long imported everything
    report = f"print(json.dumps({{m: m in sys.modules for m in {HEAVY!r}}}))"
    code = f"{statement}\nimport json, sys\n{report}"
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    loaded: dict[str, bool] = json.loads(proc.stdout)
    return loaded


def test_importing_report_does_not_import_the_engine_or_networkx() -> None:
    assert _loaded_after("import dualrel.report") == dict.fromkeys(HEAVY, False)


def test_importing_sarif_and_stats_does_not_import_the_engine_or_networkx() -> None:
    loaded = _loaded_after("import dualrel.report.sarif, dualrel.report.json_report")
    assert loaded == dict.fromkeys(HEAVY, False)


def test_the_top_level_names_still_reach_the_engine() -> None:
    loaded = _loaded_after("from dualrel import evaluate, run_check")
    assert loaded["dualrel.rules.engine"]
