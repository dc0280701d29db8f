"""Hypothesis strategies for registries, and printing a failing example.

The public face of the strategies, as hypothesis's ``strategies`` package is of its
``_internal``: each lives in a private module of :mod:`dualrel.testing._strategies` by
domain (people and ties, practice records, planted patterns, files) and is re-exported
here.  Registries shrink towards few people, few ties, no dates and no attributes, so a
failing example reads like a hand-written one.  :func:`registries_matching` plants an
instance of a rule's pattern, derived from the pattern itself, among random noise.
"""

from __future__ import annotations

from dualrel.testing._strategies.files import registry_json, write_registry
from dualrel.testing._strategies.people_ties import people, registries, ties
from dualrel.testing._strategies.planted import plantable, registries_matching
from dualrel.testing._strategies.practice import practice_registries

__all__ = [
    "people",
    "plantable",
    "practice_registries",
    "registries",
    "registries_matching",
    "registry_json",
    "ties",
    "write_registry",
]

# every public name is in __all__ and nothing else is, as hypothesis checks its own
# (names that are not identifiers are pytest's, when it rewrites this module's asserts)
_public = {n for n in dir() if n.isidentifier() and not n.startswith("_")} - {"annotations"}
assert set(__all__) == _public, set(__all__) ^ _public
del _public
