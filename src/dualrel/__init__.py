"""dualrel: find dual relationships and boundary violations in coaching practices.

Load a registry, evaluate rulesets over it, read the findings:

>>> import dualrel
>>> report = dualrel.evaluate(dualrel.load_registry(dualrel.example_registry()))
>>> report.findings[0].level
3
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from dualrel.errors import (
    DualrelError,
    EngineError,
    InvalidArgument,
    Problem,
    RegistryError,
    RulesetError,
)
from dualrel.findings import (
    ESCALATION_LEVELS,
    Citation,
    Finding,
    RemediationStep,
    Report,
    RulesetRef,
)
from dualrel.graph import build_graph, load_registry, registry_from_data
from dualrel.graph.model import Person, Registry, Tie
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

__version__ = "0.1.0"


def example_registry() -> Path:
    """The path of the bundled example registry (a small coaching practice)."""
    return Path(str(resources.files("dualrel") / "examples" / "practice.json"))


__all__ = [
    "ESCALATION_LEVELS",
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
    "shipped_rulesets",
]
