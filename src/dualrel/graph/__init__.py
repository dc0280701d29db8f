"""Registry model, loaders and the people-and-ties graph."""

from dualrel.graph.model import (
    CORE_ROLES,
    CORE_TIE_KINDS,
    FAMILY_RELATIONS,
    Person,
    Registry,
    SourceLocation,
    Tie,
    derive_tie_id,
)

__all__ = [
    "CORE_ROLES",
    "CORE_TIE_KINDS",
    "FAMILY_RELATIONS",
    "Person",
    "Registry",
    "SourceLocation",
    "Tie",
    "derive_tie_id",
]
