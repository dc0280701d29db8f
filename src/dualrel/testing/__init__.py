"""Tools for testing rulesets: hypothesis strategies (and, later, the policy test runner).

The strategies need ``hypothesis`` (``pip install 'dualrel[test]'``).
"""

from dualrel.testing.strategies import people, registries, ties

__all__ = ["people", "registries", "ties"]
