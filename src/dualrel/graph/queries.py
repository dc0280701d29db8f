"""Queries over the people-and-ties graph, as plain functions on NetworkX's public API.

The examples use this small graph (``_example_graph()``): coach ``co001`` coaches
``cl0001`` since 2025-03-01 (tie ``t1``), is in a romance with them since 2025-06-01
(``t2``, written from the client), and coached ``cl0002`` during 2023 (``t3``); sponsor
``sp001`` has no tie.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from datetime import date
from typing import TYPE_CHECKING, Any, Literal

from dualrel.errors import InvalidArgument
from dualrel.graph.build import build_graph, tie_from_edge
from dualrel.graph.model import Person, Registry, Tie

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["components", "neighbours", "shortest_chains", "ties_between", "ties_of"]

Direction = Literal["out", "in", "both"]


def _example_graph() -> nx.MultiDiGraph[str]:
    return build_graph(
        Registry(
            (
                Person("co001", ("coach",)),
                Person("cl0001", ("client",)),
                Person("cl0002", ("client",)),
                Person("sp001", ("sponsor",)),
            ),
            (
                Tie("t1", "coaching", "co001", "cl0001", start=date(2025, 3, 1)),
                Tie("t2", "romance", "cl0001", "co001", start=date(2025, 6, 1)),
                Tie("t3", "coaching", "co001", "cl0002", date(2023, 1, 1), date(2023, 12, 31)),
            ),
        )
    )


def _active(data: dict[str, Any], on: date) -> bool:
    start = data["start"]
    end = data["end"]
    return (start is None or start <= on) and (end is None or end >= on)


def _kinds(kinds: Collection[str] | str | None) -> Collection[str] | None:
    if kinds is None:
        return None
    if isinstance(kinds, str):
        return frozenset((kinds,))
    return frozenset(kinds)


def _check_person(G: nx.MultiDiGraph[str], person: str, name: str) -> None:
    if person not in G:
        raise InvalidArgument(f"{name}={person!r} is not a person of the graph")


def ties_between(
    G: nx.MultiDiGraph[str],
    a: str,
    b: str,
    *,
    kinds: Collection[str] | str | None = None,
    active_on: date | None = None,
) -> list[Tie]:
    """Ties between ``a`` and ``b`` in either direction, ``a`` to ``b`` first.

    ``kinds`` keeps only ties of those kinds; ``active_on`` only ties active on that date
    (started, or no start, and not ended, or no end).

    >>> G = _example_graph()
    >>> [t.id for t in ties_between(G, "co001", "cl0001")]
    ['t1', 't2']
    >>> [t.id for t in ties_between(G, "co001", "cl0001", kinds="romance")]
    ['t2']
    >>> [t.id for t in ties_between(G, "co001", "cl0001", active_on=date(2025, 4, 1))]
    ['t1']
    >>> ties_between(G, "co001", "sp001")
    []
    """
    _check_person(G, a, "a")
    _check_person(G, b, "b")
    want = _kinds(kinds)
    out: list[Tie] = []
    pairs = ((a, b),) if a == b else ((a, b), (b, a))
    for u, v in pairs:
        keydict: dict[str, dict[str, Any]] | None = G.get_edge_data(u, v)  # type: ignore[assignment]
        if not keydict:
            continue
        for key, data in keydict.items():
            if want is not None and data["kind"] not in want:
                continue
            if active_on is not None and not _active(data, active_on):
                continue
            out.append(tie_from_edge(u, v, key, data))
    return out


def ties_of(
    G: nx.MultiDiGraph[str],
    person: str,
    *,
    kinds: Collection[str] | str | None = None,
    active_on: date | None = None,
    direction: Direction = "both",
) -> Iterator[Tie]:
    """Ties at ``person``: ``out`` (from them), ``in`` (to them) or ``both``.

    >>> G = _example_graph()
    >>> [t.id for t in ties_of(G, "co001", kinds="coaching", direction="out")]
    ['t1', 't3']
    >>> [t.id for t in ties_of(G, "co001", direction="in")]
    ['t2']
    """
    _check_person(G, person, "person")
    if direction not in ("out", "in", "both"):
        raise InvalidArgument(f"direction must be 'out', 'in' or 'both', got {direction!r}")
    want = _kinds(kinds)
    edges: list[Iterable[tuple[str, str, str, dict[str, Any]]]] = []
    if direction in ("out", "both"):
        edges.append(G.out_edges(person, keys=True, data=True))
    if direction in ("in", "both"):
        edges.append(G.in_edges(person, keys=True, data=True))
    for side in edges:
        for u, v, key, data in side:
            if want is not None and data["kind"] not in want:
                continue
            if active_on is not None and not _active(data, active_on):
                continue
            yield tie_from_edge(u, v, key, data)


def neighbours(
    G: nx.MultiDiGraph[str],
    person: str,
    *,
    kinds: Collection[str] | str | None,
    active_on: date | None = None,
    direction: Direction = "both",
) -> list[str]:
    """People tied to ``person`` through ties of ``kinds`` (``None``: any), sorted.

    >>> G = _example_graph()
    >>> neighbours(G, "co001", kinds="coaching")
    ['cl0001', 'cl0002']
    >>> neighbours(G, "co001", kinds=["coaching"], active_on=date(2026, 1, 1))
    ['cl0001']
    >>> neighbours(G, "cl0001", kinds="coaching", direction="out")
    []
    """
    found = {
        t.target if t.source == person else t.source
        for t in ties_of(G, person, kinds=kinds, active_on=active_on, direction=direction)
    }
    return sorted(found)


def components(
    G: nx.MultiDiGraph[str], *, kinds: Collection[str] | str | None = None
) -> list[tuple[str, ...]]:
    """Weakly connected components (through ties of ``kinds``, or any tie).

    Each component is a sorted tuple of person ids; the largest come first, ties broken
    by their first id, so the order never depends on input order.

    >>> G = _example_graph()
    >>> components(G)
    [('cl0001', 'cl0002', 'co001'), ('sp001',)]
    >>> components(G, kinds="romance")
    [('cl0001', 'co001'), ('cl0002',), ('sp001',)]
    """
    import networkx as nx  # noqa: PLC0415 (a check never needs it: imported on use)

    want = _kinds(kinds)
    view: nx.MultiDiGraph[str] = G
    if want is not None:

        def has_kind(u: str, v: str, key: Any) -> bool:  # the stubs type keys int
            return G.edges[u, v, key]["kind"] in want

        view = nx.subgraph_view(G, filter_edge=has_kind)
    found = [tuple(sorted(members)) for members in nx.weakly_connected_components(view)]
    found.sort(key=lambda c: (-len(c), c[0]))
    return found


def shortest_chains(
    G: nx.MultiDiGraph[str] | nx.MultiGraph[str],
    sources: Iterable[str],
    *,
    max_hops: int | None = None,
) -> Iterator[tuple[str, str, tuple[str, ...]]]:
    """From each of ``sources``, every other person its edges reach within ``max_hops``
    (``None``: any number), with one shortest chain: ``(source, person, tie ids)``.

    Edges are keyed by tie id, as :func:`~dualrel.graph.build.build_graph` keys them; a
    ``MultiDiGraph`` is walked along each tie's direction, a ``MultiGraph`` either way.
    Pass a graph holding only the ties a chain may use (a subgraph, or a graph built from
    those ties).  Of several shortest chains the one given is the smallest list of tie
    ids, compared tie by tie from the source, so it never depends on input order.  Each
    source costs one breadth-first search (NetworkX's ``predecessor``) over what it
    reaches: linear in the registry for shallow trees such as reporting lines.

    >>> G = _example_graph()
    >>> sorted(shortest_chains(G, ["co001"]))
    [('co001', 'cl0001', ('t1',)), ('co001', 'cl0002', ('t3',))]
    >>> sorted(shortest_chains(G, ["cl0001"]))  # along t2, then t1 and t3
    [('cl0001', 'cl0002', ('t2', 't3')), ('cl0001', 'co001', ('t2',))]
    >>> sorted(shortest_chains(G, ["cl0001"], max_hops=1))
    [('cl0001', 'co001', ('t2',))]
    >>> import networkx as nx
    >>> sorted(shortest_chains(nx.MultiGraph(G), ["cl0002"]))
    [('cl0002', 'cl0001', ('t3', 't1')), ('cl0002', 'co001', ('t3',))]
    """
    import networkx as nx  # noqa: PLC0415 (a check never needs it: imported on use)

    if max_hops is not None and (
        not isinstance(max_hops, int) or isinstance(max_hops, bool) or max_hops < 1
    ):
        raise InvalidArgument(f"max_hops={max_hops!r} must be a positive integer or None")
    # the smallest tie id from each person to each neighbour, in one pass over the edges
    smallest: dict[tuple[str, str], str] = {}
    pairs: Any = G.edges(keys=True)  # the stubs type keys int; ours are tie ids
    for u, v, key in pairs:
        for pair in ((u, v),) if G.is_directed() else ((u, v), (v, u)):
            if pair not in smallest or key < smallest[pair]:
                smallest[pair] = key
    for source in sources:
        if source not in G:
            continue
        # with return_seen, predecessor gives (predecessors, distance) per person reached
        found: Any = nx.predecessor(G, source, cutoff=max_hops, return_seen=True)
        pred: dict[str, list[str]] = found[0]
        seen: dict[str, int] = found[1]
        # breadth-first order: a person's predecessors are settled before them
        chain: dict[str, tuple[str, ...]] = {source: ()}
        for person in sorted(seen, key=seen.__getitem__):
            if person == source:
                continue
            before = pred[person]
            if len(before) == 1:  # a tree: one way in
                p = before[0]
                best = chain[p] + (smallest[p, person],)
            else:
                best = min(chain[p] + (smallest[p, person],) for p in before)
            chain[person] = best
            yield source, person, best
