"""Registry model, loaders and the people-and-ties graph.

Load a registry with :func:`load_registry`, build its graph with :func:`build_graph`, ask
it questions with :func:`ties_between`, :func:`neighbours`, :func:`components` and
:func:`shortest_chains` (or any NetworkX algorithm), turn it back with :func:`as_registry`,
and write a registry back with :func:`dump_registry`.  Checks run on the registry, not on
the graph.  The optional practice records (agreements, consents, contacts, ...) are
``Registry.practice``, a :class:`Practice`.
"""

from dualrel.graph._locations import RecordLocations
from dualrel.graph.build import as_registry, build_graph, registry_from_graph, tie_from_edge
from dualrel.graph.dump import dump_registry, registry_document
from dualrel.graph.load import (
    load_registry,
    load_registry_with_warnings,
    registry_format,
    registry_from_data,
)
from dualrel.graph.model import (
    CORE_ROLES,
    CORE_TIE_KINDS,
    FAMILY_RELATIONS,
    FORMAT,
    PRACTICE_SECTIONS,
    Person,
    Practice,
    Registry,
    SourceLocation,
    Tie,
    derive_tie_id,
)
from dualrel.graph.practice import (
    Agreement,
    Assessment,
    ClientRecord,
    Concern,
    Consent,
    Contact,
    Disclosure,
    SupervisionSession,
)
from dualrel.graph.queries import components, neighbours, shortest_chains, ties_between, ties_of

__all__ = [
    "CORE_ROLES",
    "CORE_TIE_KINDS",
    "FAMILY_RELATIONS",
    "FORMAT",
    "PRACTICE_SECTIONS",
    "Agreement",
    "Assessment",
    "ClientRecord",
    "Concern",
    "Consent",
    "Contact",
    "Disclosure",
    "Person",
    "Practice",
    "RecordLocations",
    "Registry",
    "SourceLocation",
    "SupervisionSession",
    "Tie",
    "as_registry",
    "build_graph",
    "components",
    "derive_tie_id",
    "dump_registry",
    "load_registry",
    "load_registry_with_warnings",
    "neighbours",
    "registry_document",
    "registry_format",
    "registry_from_data",
    "registry_from_graph",
    "shortest_chains",
    "tie_from_edge",
    "ties_between",
    "ties_of",
]
