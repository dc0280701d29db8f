"""Fuzzing the public loaders, rulesets, ``Monitor`` and the command line (issue 21).

Each test runs twice: ``bounded`` in every run (few examples, derandomised, so a local
run is quick and repeatable) and ``campaign`` as a large test that CI runs (many random
examples; ``./dev fuzz N`` runs N per target).  Any exception other than a documented
error fails; Hypothesis prints the shrunk input that raised it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dualrel
from dualrel import Monitor

from .targets import (
    CLI_EXITS,
    CSV_FILES,
    CSV_SEED,
    RULESET_SEEDS,
    SEED,
    byte_edits,
    damaged,
    encoded,
    fuzz_examples,
    mutated,
    run_cli,
    run_data,
    run_file,
    run_monitor,
    run_ruleset,
    value,
    write,
)

_COMMON = {
    "deadline": None,
    "database": None,
    "suppress_health_check": list(HealthCheck),
}
BUDGETS = {
    "bounded": settings(max_examples=20, derandomize=True, **_COMMON),  # type: ignore[arg-type]
    "campaign": settings(max_examples=fuzz_examples(1500), **_COMMON),  # type: ignore[arg-type]
}
budgets = pytest.mark.parametrize(
    "budget", ["bounded", pytest.param("campaign", marks=pytest.mark.large)]
)

registry_formats = st.sampled_from(["json", "jsonl", "yaml"])


@budgets
def test_registry_data(budget: str) -> None:
    @BUDGETS[budget]
    @given(mutated(SEED))
    def fuzz(doc: dict[str, Any]) -> None:
        run_data(doc)

    fuzz()


@budgets
def test_registry_files(budget: str, tmp_path: Path) -> None:
    @BUDGETS[budget]
    @given(mutated(SEED), registry_formats, byte_edits)
    def fuzz(doc: dict[str, Any], fmt: str, edits: list[tuple[int, str, bytes]]) -> None:
        run_file(write(tmp_path / f"registry.{fmt}", damaged(encoded(doc, fmt), edits)))

    fuzz()


@budgets
def test_csv_folders(budget: str, tmp_path: Path) -> None:
    @BUDGETS[budget]
    @given(st.lists(st.tuples(st.sampled_from(CSV_FILES), byte_edits), min_size=1, max_size=2))
    def fuzz(changes: list[tuple[str, list[tuple[int, str, bytes]]]]) -> None:
        files = dict(CSV_SEED)
        for name, edits in changes:
            files[name] = damaged(files[name], edits)
        for name, data in files.items():
            write(tmp_path / name, data)
        run_file(tmp_path)

    fuzz()


@budgets
def test_rulesets(budget: str, tmp_path: Path) -> None:
    registry = dualrel.load_registry(dualrel.example_registry())

    @BUDGETS[budget]
    @given(st.one_of(*(mutated(seed) for seed in RULESET_SEEDS)), byte_edits)
    def fuzz(doc: dict[str, Any], edits: list[tuple[int, str, bytes]]) -> None:
        ruleset = write(tmp_path / "ruleset.yaml", damaged(encoded(doc, "yaml"), edits))
        run_ruleset(ruleset, registry)

    fuzz()


people = st.sampled_from(["co001", "cl0001", "cl0003"])


@budgets
def test_monitor(budget: str) -> None:
    registry = dualrel.load_registry(dualrel.example_registry())
    monitor = Monitor("coaching-core", registry)
    fields = st.tuples(
        value,
        st.one_of(st.sampled_from(["coaching", "romance", "business", "family"]), value),
        st.one_of(people, value),
        st.one_of(people, value),
        st.one_of(st.none(), value),
        st.one_of(st.none(), value),
        st.one_of(st.just({}), value),
    )

    @BUDGETS[budget]
    @given(fields, st.booleans())
    def fuzz(tie: tuple[Any, ...], remove: bool) -> None:
        run_monitor(monitor, tie, remove, registry)

    fuzz()


# what follows the registry's path on the command line ("-o" is added to checks)
_COMMANDS = st.sampled_from(
    [
        ["validate"],
        ["check", "-f", "text"],
        ["check", "-f", "markdown", "-r", "coaching-core", "-r", "coaching-practice"],
        ["check", "-f", "sarif"],
        ["check", "-f", "html"],
        ["check", "-f", "junit"],
        ["check", "-f", "json"],
    ]
)


@budgets
def test_command_line(budget: str, tmp_path: Path) -> None:
    output = ["-o", str(tmp_path / "out")]

    @BUDGETS[budget]
    @given(_COMMANDS, mutated(SEED), registry_formats, byte_edits)
    def fuzz(
        command: list[str], doc: dict[str, Any], fmt: str, edits: list[tuple[int, str, bytes]]
    ) -> None:
        registry = write(tmp_path / f"registry.{fmt}", damaged(encoded(doc, fmt), edits))
        name, *options = command
        argv = [name, str(registry), *options, *(output if name == "check" else [])]
        code, stderr = run_cli(argv)
        assert code in CLI_EXITS, stderr

    fuzz()


@budgets
def test_lint_command(budget: str, tmp_path: Path) -> None:
    @BUDGETS[budget]
    @given(st.one_of(*(mutated(seed) for seed in RULESET_SEEDS)), byte_edits)
    def fuzz(doc: dict[str, Any], edits: list[tuple[int, str, bytes]]) -> None:
        ruleset = write(tmp_path / "ruleset.yaml", damaged(encoded(doc, "yaml"), edits))
        code, stderr = run_cli(["lint", str(ruleset)])
        assert code in CLI_EXITS, stderr

    fuzz()
