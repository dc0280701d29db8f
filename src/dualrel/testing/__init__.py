"""Testing rulesets: test case files, hypothesis strategies and built-in properties.

Run a ruleset's test cases (``rulesets/tests/<ruleset>/*.yaml``) with :func:`run_tests`,
measure how well they guard the rules with :func:`run_mutants` and
:meth:`TestResults.coverage`, and check the built-in properties with
:func:`check_properties`; compare what two versions of a rule find with
:func:`compare_rules` (``dualrel diff``).  The strategies (:func:`people`, :func:`ties`,
:func:`registries`, :func:`registries_matching`), the properties and the comparison
need ``hypothesis`` (``pip install 'dualrel[test]'``); the test runner does not.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from dualrel.testing._cases import Case, CaseFile, Expected, TestCaseError
from dualrel.testing.mutate import Mutant, MutantResult, MutationReport, mutants, run_mutants
from dualrel.testing.runner import CaseResult, RuleCoverage, TestResults, run_tests

if TYPE_CHECKING:
    from dualrel.testing.diff import SemanticComparison, Witness, compare_rules
    from dualrel.testing.properties import (
        PROPERTIES,
        PropertyFailure,
        PropertyResult,
        UncheckedRule,
        check_properties,
        unchecked_rules,
    )
    from dualrel.testing.strategies import (
        people,
        registries,
        registries_matching,
        registry_json,
        ties,
        write_registry,
    )

_LAZY = {
    "people": "strategies",
    "ties": "strategies",
    "registries": "strategies",
    "registries_matching": "strategies",
    "registry_json": "strategies",
    "write_registry": "strategies",
    "PROPERTIES": "properties",
    "PropertyFailure": "properties",
    "PropertyResult": "properties",
    "check_properties": "properties",
    "UncheckedRule": "properties",
    "unchecked_rules": "properties",
    "compare_rules": "diff",
    "SemanticComparison": "diff",
    "Witness": "diff",
}


def __getattr__(name: str) -> Any:
    # the strategies and properties import hypothesis: only when asked for
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'dualrel.testing' has no attribute {name!r}")
    return getattr(importlib.import_module(f"dualrel.testing.{module}"), name)


__all__ = [
    "PROPERTIES",
    "Case",
    "CaseFile",
    "CaseResult",
    "Expected",
    "Mutant",
    "MutantResult",
    "MutationReport",
    "PropertyFailure",
    "PropertyResult",
    "RuleCoverage",
    "SemanticComparison",
    "TestCaseError",
    "TestResults",
    "UncheckedRule",
    "Witness",
    "check_properties",
    "compare_rules",
    "mutants",
    "people",
    "registries",
    "registries_matching",
    "registry_json",
    "run_mutants",
    "run_tests",
    "ties",
    "unchecked_rules",
    "write_registry",
]
