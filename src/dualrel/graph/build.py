"""The people-and-ties graph: a registry as a ``networkx.MultiDiGraph`` and back.

One node per person (attributes ``roles``, ``name``, ``organisation``, ``attributes``), one
edge per tie from source to target keyed by the tie id (attributes ``kind``, ``start``,
``end``, ``attributes``).  Undirected kinds are stored once, source to target as written;
``G.graph["kinds"]`` says which kinds are directed.  ``G.graph`` also holds ``as_of``,
``source``, ``locations``, ``tie_order`` (tie ids in registry order) and ``practice`` (the
practice records: agreements, consents, contacts, ...), which is what makes the round
trip lossless.

Checks do not run on this graph: the engine evaluates rulesets on an index of the
registry itself.  The graph is the same data for your own analysis with NetworkX's
algorithms; :func:`as_registry` turns it back into a registry wherever one is expected.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from dualrel._internal.gc import gc_paused
from dualrel.errors import InvalidArgument
from dualrel.graph.model import CORE_TIE_KINDS, Person, Practice, Registry, Tie

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["as_registry", "build_graph", "registry_from_graph", "tie_from_edge"]


def build_graph(registry: Registry) -> nx.MultiDiGraph[str]:
    """The graph of a registry.

    >>> reg = Registry(
    ...     (Person("co001", ("coach",)), Person("cl0001", ("client",))),
    ...     (Tie("t1", "coaching", "co001", "cl0001"),),
    ... )
    >>> G = build_graph(reg)
    >>> G.nodes["co001"]["roles"], G.edges["co001", "cl0001", "t1"]["kind"]
    (('coach',), 'coaching')
    >>> registry_from_graph(G) == reg
    True
    """
    with gc_paused():
        return _build(registry)


def _build(registry: Registry) -> nx.MultiDiGraph[str]:
    import networkx as nx  # noqa: PLC0415 (a check never builds a graph: imported on use)

    G: nx.MultiDiGraph[str] = nx.MultiDiGraph()
    G.graph.update(
        as_of=registry.as_of,
        kinds=dict(registry.kinds),
        source=registry.source,
        locations=registry.locations,
        tie_order=tuple(t.id for t in registry.ties),
        practice=registry.practice,
    )
    _add_people(G, registry.people)
    _add_ties(G, registry.ties)
    return G


# The two functions below are the one place that writes NetworkX's own dicts (``G._node``,
# ``G._succ``, ``G._pred``): the public ``add_nodes_from``/``add_edges_from`` take about
# twice as long to build the graph, and the graph build is benchmarked at a million people.


def _add_people(G: nx.MultiDiGraph[str], people: tuple[Person, ...]) -> None:
    """What ``G.add_nodes_from((p.id, data) for p in people)`` does, without per-node views.

    A person met twice has its attributes updated, as ``add_nodes_from`` does.
    """
    nodes: dict[str, dict[str, Any]] = G._node  # type: ignore[attr-defined]
    succ, pred = _adjacency(G)
    for p in people:
        data = {
            "roles": p.roles,
            "name": p.name,
            "organisation": p.organisation,
            "attributes": p.attributes,
        }
        n = p.id
        if n in nodes:
            nodes[n].update(data)
        else:
            nodes[n] = data
            succ[n] = {}
            pred[n] = {}


def _add_ties(G: nx.MultiDiGraph[str], ties: tuple[Tie, ...]) -> None:
    """What ``G.add_edges_from((t.source, t.target, t.id, data) for t in ties)`` does.

    ``MultiDiGraph.add_edges_from`` calls ``add_edge`` and builds adjacency views for every
    edge.  The result is the same graph, edges in the same order (a test compares the two);
    unknown end points are added as bare nodes, as ``add_edges_from`` does.
    """
    import networkx as nx  # noqa: PLC0415 (imported by _build already)

    succ, pred = _adjacency(G)
    for t in ties:
        u = t.source
        v = t.target
        su = succ.get(u)
        if su is None or v not in succ:
            G.add_node(u)
            G.add_node(v)
            su = succ[u]
        keydict = su.get(v)
        if keydict is None:
            keydict = su[v] = {}
            pred[v][u] = keydict
        keydict[t.id] = {"kind": t.kind, "start": t.start, "end": t.end, "attributes": t.attributes}
    nx._clear_cache(G)  # what add_edges_from does last: drop cached backend conversions


def _adjacency(G: nx.MultiDiGraph[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The successor and predecessor dicts the read-only ``G.succ`` and ``G.pred`` view."""
    return G._succ, G._pred  # type: ignore[attr-defined]


def tie_from_edge(u: str, v: str, key: str, data: dict[str, Any]) -> Tie:
    """The Tie an edge of :func:`build_graph` stands for."""
    return Tie(key, data["kind"], u, v, data.get("start"), data.get("end"), data["attributes"])


def registry_from_graph(G: nx.MultiDiGraph[str]) -> Registry:
    """The registry a graph of :func:`build_graph` holds (ties in registry order).

    Ties added to the graph later come after the original ones, in edge order.
    """
    edges: dict[str, Tie] = {}
    for u, v, key, data in G.edges(keys=True, data=True):
        edges[key] = tie_from_edge(u, v, key, data)
    ordered = [edges.pop(k) for k in G.graph.get("tie_order", ()) if k in edges]
    ordered.extend(edges.values())
    people = tuple(
        Person(
            n,
            tuple(d.get("roles", ())),
            d.get("name"),
            d.get("organisation"),
            d.get("attributes", {}),
        )
        for n, d in G.nodes(data=True)
    )
    return Registry(
        people=people,
        ties=tuple(ordered),
        as_of=G.graph.get("as_of"),
        source=G.graph.get("source"),
        locations=G.graph.get("locations", {}),
        kinds=G.graph.get("kinds", dict(CORE_TIE_KINDS)),
        practice=G.graph.get("practice", Practice()),
    )


def as_registry(source: Registry | nx.MultiDiGraph[str]) -> Registry:
    """``source`` as a registry: a Registry as it is, a graph of :func:`build_graph` read
    back with :func:`registry_from_graph`.

    Functions that check a registry take either, so a graph changed with NetworkX can be
    checked as it stands.

    >>> reg = Registry((Person("co001", ("coach",)),), ())
    >>> as_registry(reg) is reg, as_registry(build_graph(reg)) == reg
    (True, True)
    >>> as_registry("people.csv")
    Traceback (most recent call last):
    ...
    dualrel.errors.InvalidArgument: expected a Registry or a networkx.MultiDiGraph, got str
    """
    if isinstance(source, Registry):
        return source
    # not imported: then ``source`` cannot be one of its graphs (importing costs 0.3 s)
    nx_loaded = sys.modules.get("networkx")
    if nx_loaded is not None and isinstance(source, nx_loaded.MultiDiGraph):
        return registry_from_graph(source)
    raise InvalidArgument(
        f"expected a Registry or a networkx.MultiDiGraph, got {type(source).__name__}"
    )
