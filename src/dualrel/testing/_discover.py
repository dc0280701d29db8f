"""Finding ruleset test case files: which YAML files are case files, which ruleset a case
file tests, and the case files a list of paths and ruleset names stands for (private; the
format and the reading are :mod:`dualrel.testing._cases`)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import yaml

from dualrel._internal import reading, safeyaml
from dualrel._internal.decode import DecodeError
from dualrel._internal.suggest import did_you_mean
from dualrel.errors import Problem
from dualrel.rules.loader import shipped_rulesets

__all__ = ["discover", "is_case_file", "tested_ruleset_of"]


#: A YAML file larger than this is never taken for a case file (pytest asks about every
#: YAML file of a project: reading one must stay cheap and safe).
_MAX_CASE_FILE_BYTES = 4 * 1024 * 1024


def _top_keys(path: Path) -> set[str]:
    try:
        if path.stat().st_size > _MAX_CASE_FILE_BYTES:
            return set()
        doc = safeyaml.loads(reading.read_text(str(path), "yaml"), max_nodes=500_000).data
    except DecodeError as exc:  # a case file still, whose reader says what is wrong
        doc = exc.partial
    except (OSError, yaml.YAMLError, safeyaml.YamlLimitError):
        return set()
    return {str(k) for k in doc} if isinstance(doc, dict) else set()


def tested_ruleset_of(path: Path) -> Path | None:
    """The ruleset file beside a ``tests/<name>/`` folder that holds ``path``, if any."""
    folder = path.parent
    if folder.parent.name != "tests":
        return None
    for suffix in (".yaml", ".yml"):
        candidate = folder.parent.parent / f"{folder.name}{suffix}"
        if candidate.is_file():
            return candidate
    return None


def is_case_file(path: Path) -> bool:
    """Whether ``path`` is a dualrel case file: a YAML file with ``cases:`` that lives in
    ``tests/<ruleset>/`` next to that ruleset, or that names its ``ruleset:``."""
    if path.suffix not in (".yaml", ".yml") or not path.is_file():
        return False
    keys = _top_keys(path)
    if "cases" not in keys and "include" not in keys:
        return False
    return "ruleset" in keys or tested_ruleset_of(path) is not None


def _tests_dir_of(ruleset_file: Path) -> Path:
    return ruleset_file.parent / "tests" / ruleset_file.stem


def discover(targets: Sequence[str | Path]) -> tuple[list[Path], list[Problem]]:
    """The case files ``targets`` name: case files, folders (searched recursively), ruleset
    files or shipped ruleset names (their ``tests/<name>/`` folder).  No target: the
    ``rulesets/`` folder here, else every shipped ruleset."""
    problems: list[Problem] = []
    found: list[Path] = []
    if not targets:
        here = Path("rulesets")
        targets = [here] if here.is_dir() else list(shipped_rulesets())
    for target in targets:
        path = Path(target)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml"))
            found.extend(p for p in files if p.parent.parent.name == "tests" or is_case_file(p))
            continue
        if path.is_file():
            if {"cases", "include"} & _top_keys(path) or path.parent.parent.name == "tests":
                found.append(path)
            else:  # a ruleset file: its tests folder
                tests = _tests_dir_of(path)
                cases = sorted(tests.glob("*.yaml")) if tests.is_dir() else []
                if not cases:
                    problems.append(
                        Problem(
                            file=str(path),
                            code="no-tests",
                            message=f"no test case files in {tests}/",
                        )
                    )
                found.extend(cases)
            continue
        shipped = shipped_rulesets()
        if isinstance(target, str) and target in shipped:
            tests = _tests_dir_of(shipped[target])
            cases = sorted(tests.glob("*.yaml")) if tests.is_dir() else []
            if not cases:
                problems.append(
                    Problem(
                        file=target,
                        code="no-tests",
                        message=f"the shipped ruleset {target!r} has no test cases",
                    )
                )
            found.extend(cases)
            continue
        problems.append(
            Problem(
                file=str(target),
                code="not-found",
                message="no such file or folder, and no shipped ruleset of that "
                f"name{did_you_mean(str(target), shipped)}",
            )
        )
    unique = list(dict.fromkeys(p.resolve() for p in found))
    by_resolved = {p.resolve(): p for p in found}
    return [by_resolved[p] for p in unique], problems
