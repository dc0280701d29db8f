"""Rulesets: the file schema, loading and composition, the compiler and the engine."""

from dualrel.rules.compiler import compile_ruleset
from dualrel.rules.engine import evaluate, prepare
from dualrel.rules.loader import Rule, Ruleset, load_ruleset, shipped_rulesets
from dualrel.rules.monitor import Delta, Monitor
from dualrel.rules.plan import CompiledRuleset

__all__ = [
    "CompiledRuleset",
    "Delta",
    "Monitor",
    "Rule",
    "Ruleset",
    "compile_ruleset",
    "evaluate",
    "load_ruleset",
    "prepare",
    "shipped_rulesets",
]
