"""Start-up: a run imports what its command needs and no more (benchmarks/startup.py
measures what that saves)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import dualrel

#: what ``dualrel --version`` and a check of rules without paths never need
HEAVY = ("networkx", "dualrel.cli.test", "dualrel.testing", "dualrel.diff", "dualrel.stats")


def _loaded_after(argv: list[str]) -> dict[str, bool]:
    """Which of :data:`HEAVY` ``dualrel ARGV`` imported, run as the console script runs."""
    code = (
        "import json, sys\n"
        "from dualrel.cli import main\n"
        f"main({argv!r})\n"
        f"print(json.dumps({{m: m in sys.modules for m in {HEAVY!r}}}))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    loaded: dict[str, bool] = json.loads(proc.stdout.splitlines()[-1])
    return loaded


def test_version_imports_no_subcommand() -> None:
    assert _loaded_after(["--version"]) == dict.fromkeys(HEAVY, False)


def test_a_check_imports_neither_networkx_nor_the_other_commands() -> None:
    example = str(dualrel.example_registry())
    argv = ["check", example, "--format", "json", "-o", os.devnull]
    assert _loaded_after(argv) == dict.fromkeys(HEAVY, False)


def test_help_and_a_mistyped_command_still_know_every_command() -> None:
    # the parser of every command is built when no known command is named
    from dualrel.cli import COMMANDS, build_parser  # noqa: PLC0415

    help_text = build_parser().format_help()
    assert all(name in help_text for name in COMMANDS)
    assert _loaded_after(["chek"])["dualrel.cli.test"] is True


def test_building_a_graph_imports_networkx_on_use() -> None:
    registry = dualrel.load_registry(dualrel.example_registry())
    graph = dualrel.build_graph(registry)
    assert type(graph).__module__.startswith("networkx")
    assert dualrel.graph.as_registry(graph) == registry
