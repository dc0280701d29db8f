"""dualrel: find dual relationships and boundary violations in coaching practices.

Load a registry, evaluate rulesets over it, read the findings:

>>> import dualrel
>>> report = dualrel.evaluate(dualrel.load_registry(dualrel.example_registry()))
>>> report.findings[0].level
3

Or do what ``dualrel check`` does in CI: check a registry, with waivers and a baseline,
and render the result in any report format:

>>> result = dualrel.run_check(dualrel.example_registry(), ["coaching-core"])
>>> result.exit_code()
1
>>> dualrel.render(result, "text").splitlines()[0].startswith("dualrel check")
True

Every name but the errors is imported when first used (the findings' classes, the
rules engine, NetworkX), so that ``import dualrel`` and ``dualrel --version`` stay light
and reading findings or rendering reports imports no engine.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dualrel._version import __version__
from dualrel.errors import (
    DualrelError,
    EngineError,
    InvalidArgument,
    Problem,
    RegistryError,
    RulesetError,
)

if TYPE_CHECKING:
    from dualrel.check import run_check
    from dualrel.findings import (
        ESCALATION_LEVELS,
        CheckResult,
        Citation,
        Finding,
        RemediationStep,
        Report,
        RulesetRef,
    )
    from dualrel.graph import build_graph, load_registry, registry_from_data
    from dualrel.graph.model import Person, Registry, Tie
    from dualrel.report import render
    from dualrel.rules import (
        CompiledRuleset,
        Delta,
        Monitor,
        Rule,
        Ruleset,
        compile_ruleset,
        evaluate,
        load_ruleset,
        shipped_rulesets,
    )

#: Name -> the module that defines it, imported on first use.
_LAZY = {
    # the findings' classes cost a tenth of a second of dataclass making: not needed by
    # ``dualrel --version``, which imports this package too
    **dict.fromkeys(
        (
            "ESCALATION_LEVELS",
            "CheckResult",
            "Citation",
            "Finding",
            "RemediationStep",
            "Report",
            "RulesetRef",
        ),
        "dualrel.findings",
    ),
    "run_check": "dualrel.check",
    "build_graph": "dualrel.graph",
    "load_registry": "dualrel.graph",
    "registry_from_data": "dualrel.graph",
    "Person": "dualrel.graph.model",
    "Registry": "dualrel.graph.model",
    "Tie": "dualrel.graph.model",
    "render": "dualrel.report",
    "CompiledRuleset": "dualrel.rules",
    "Delta": "dualrel.rules",
    "Monitor": "dualrel.rules",
    "Rule": "dualrel.rules",
    "Ruleset": "dualrel.rules",
    "compile_ruleset": "dualrel.rules",
    "evaluate": "dualrel.rules",
    "load_ruleset": "dualrel.rules",
    "shipped_rulesets": "dualrel.rules",
}

#: Subpackages and modules that ``import dualrel`` used to load along the way: still
#: reachable as attributes (``dualrel.graph``) without importing them first.
_SUBPACKAGES = ("graph", "rules", "findings")


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is not None:
        value = getattr(importlib.import_module(module), name)
        globals()[name] = value  # asked once, then an ordinary attribute
        return value
    if name in _SUBPACKAGES:
        return importlib.import_module(f"dualrel.{name}")
    raise AttributeError(f"module 'dualrel' has no attribute {name!r}")


def example_registry() -> Path:
    """The path of the bundled example registry (a small coaching practice)."""
    from importlib import resources  # noqa: PLC0415 (a fifth of --version's imports)

    return Path(str(resources.files("dualrel") / "examples" / "practice.json"))


__all__ = [
    "ESCALATION_LEVELS",
    "CheckResult",
    "Citation",
    "CompiledRuleset",
    "Delta",
    "DualrelError",
    "EngineError",
    "Finding",
    "InvalidArgument",
    "Monitor",
    "Person",
    "Problem",
    "Registry",
    "RegistryError",
    "RemediationStep",
    "Report",
    "Rule",
    "Ruleset",
    "RulesetError",
    "RulesetRef",
    "Tie",
    "__version__",
    "build_graph",
    "compile_ruleset",
    "evaluate",
    "example_registry",
    "load_registry",
    "load_ruleset",
    "registry_from_data",
    "render",
    "run_check",
    "shipped_rulesets",
]
