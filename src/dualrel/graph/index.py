"""An index of ties for walking a registry: each person's ties, and who oversees whom.

:class:`TieIndex` is the one index of ties that evaluation reads: the engine partitions
by it (the ties near an anchor, :meth:`TieIndex.neighbourhood`), ``Monitor`` finds the
anchors a changed tie reaches (:meth:`TieIndex.distances`), and a finding's remediation
steps are routed to a supervisor or manager through it (:meth:`TieIndex.overseer`).
It holds plain dicts and lists of :class:`~dualrel.graph.model.Tie` objects, so the
engine's loops read them directly; the NetworkX graph (:func:`dualrel.graph.build_graph`)
is the same data for your own analysis.

The examples use this small index (``_example_index()``): coach ``co`` coaches ``cl``
(``t1``), whose relative ``kin`` is tied to them (``t2``); ``su`` supervises ``co`` (``s1``,
since 2026) and ``ma`` manages them (``m1``, ended in 2025).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from datetime import date
from typing import Protocol

from dualrel.graph.model import Tie

__all__ = ["OVERSIGHT_KINDS", "Reach", "TieIndex"]

#: The kinds of tie along which remediation is routed: the source oversees the target.
OVERSIGHT_KINDS = frozenset({"supervision", "management"})


def _example_index() -> TieIndex:
    return TieIndex(
        [
            Tie("t1", "coaching", "co", "cl"),
            Tie("t2", "family", "kin", "cl"),
            Tie("s1", "supervision", "su", "co", start=date(2026, 1, 1)),
            Tie("m1", "management", "ma", "co", end=date(2025, 6, 30)),
        ]
    )


class Reach(Protocol):
    """What one clause of a pattern reads: ties of ``kinds`` touching a person at most
    ``reach`` hops from the anchor (a compiled rule's ``ClausePlan`` is one)."""

    @property
    def kinds(self) -> Collection[str]: ...

    @property
    def reach(self) -> int: ...


class TieIndex:
    """Ties by the people they join, and oversight ties by the person they oversee.

    Parameters
    ----------
    ties : iterable of Tie, optional
        Ties to index at once, as :meth:`add` and :meth:`add_oversight` would.

    Attributes
    ----------
    ties : dict
        The indexed ties, by id.
    adjacency : dict
        For each person, the indexed ties at either end of which they are.
    overseers : dict
        For each person, the ties of :data:`OVERSIGHT_KINDS` that point to them.  Filed
        apart from the other two, since routing reads every oversight tie while a walk
        may want only some of them (the engine indexes only the ties a rule can read).

    Notes
    -----
    Every method reads the dicts above as they are, without copying; change the index
    only through :meth:`add`, :meth:`add_all`, :meth:`remove`, :meth:`add_oversight` and
    :meth:`remove_oversight`.

    Examples
    --------
    >>> index = _example_index()
    >>> index
    <TieIndex of 4 ties>
    >>> sorted(index.ties)
    ['m1', 's1', 't1', 't2']
    >>> [t.id for t in index.adjacency["cl"]]
    ['t1', 't2']
    >>> [t.id for t in index.overseers["co"]]
    ['s1', 'm1']
    """

    __slots__ = ("adjacency", "overseers", "ties")

    def __init__(self, ties: Iterable[Tie] = ()) -> None:
        self.ties: dict[str, Tie] = {}
        self.adjacency: dict[str, list[Tie]] = defaultdict(list)
        self.overseers: dict[str, list[Tie]] = defaultdict(list)
        for tie in ties:
            self.add_oversight(tie)
            self.add(tie)

    def __repr__(self) -> str:
        return f"<TieIndex of {len(self.ties)} ties>"

    # -- contents ---------------------------------------------------------------------------

    def add(self, tie: Tie) -> None:
        """Index ``tie`` by its id and at both its ends.

        >>> small = TieIndex()
        >>> small.add(Tie("t9", "romance", "a", "b"))
        >>> [t.id for t in small.adjacency["b"]]
        ['t9']
        """
        self.ties[tie.id] = tie
        self.adjacency[tie.source].append(tie)
        self.adjacency[tie.target].append(tie)

    def add_all(self, ties: Iterable[Tie]) -> None:
        """:meth:`add` each of ``ties``, in order.

        >>> small = TieIndex()
        >>> small.add_all([Tie("t8", "romance", "a", "b"), Tie("t9", "family", "b", "c")])
        >>> [t.id for t in small.adjacency["b"]]
        ['t8', 't9']
        """
        by_id, adjacency = self.ties, self.adjacency
        for tie in ties:
            by_id[tie.id] = tie
            adjacency[tie.source].append(tie)
            adjacency[tie.target].append(tie)

    def remove(self, tie: Tie) -> None:
        """Forget ``tie`` added by :meth:`add`; a tie not indexed is left alone."""
        if tie.id in self.ties:
            del self.ties[tie.id]
            self.adjacency[tie.source].remove(tie)
            self.adjacency[tie.target].remove(tie)

    def add_oversight(self, tie: Tie) -> None:
        """File ``tie`` under the person it oversees, when it is an oversight tie."""
        if tie.kind in OVERSIGHT_KINDS:
            self.overseers[tie.target].append(tie)

    def remove_oversight(self, tie: Tie) -> None:
        """Forget ``tie`` filed by :meth:`add_oversight`."""
        if tie.kind in OVERSIGHT_KINDS:
            self.overseers[tie.target].remove(tie)

    # -- walks ------------------------------------------------------------------------------

    def distances(
        self, start: Iterable[str], kinds: Collection[str], radius: int
    ) -> dict[str, int]:
        """People within ``radius`` hops of ``start`` through ties of ``kinds``, with
        their hop counts (breadth first, either direction).

        >>> index = _example_index()
        >>> index.distances(["co"], frozenset({"coaching", "family"}), 2)
        {'co': 0, 'cl': 1, 'kin': 2}
        >>> index.distances(["co"], frozenset({"coaching"}), 2)
        {'co': 0, 'cl': 1}
        """
        dist = dict.fromkeys(start, 0)
        frontier = list(dist)
        for depth in range(1, radius + 1):
            nxt = []
            for p in frontier:
                for tie in self.adjacency.get(p, ()):
                    if tie.kind in kinds:
                        other = tie.target if tie.source == p else tie.source
                        if other not in dist:
                            dist[other] = depth
                            nxt.append(other)
            frontier = nxt
        return dist

    def neighbourhood(
        self, start: str, walk: Collection[str], radius: int, reads: Iterable[Reach]
    ) -> set[str]:
        """Ids of the ties each of ``reads`` can read from ``start``: of its kinds, at a
        person at most its ``reach`` hops away, walking ties of ``walk`` at most
        ``radius`` hops.

        >>> from types import SimpleNamespace as Read
        >>> index = _example_index()
        >>> family_of_clients = [Read(kinds=("coaching",), reach=0),
        ...                      Read(kinds=("family",), reach=1)]
        >>> sorted(index.neighbourhood("co", {"coaching"}, 1, family_of_clients))
        ['t1', 't2']
        >>> sorted(index.neighbourhood("co", {"coaching"}, 0, family_of_clients))
        ['t1']
        """
        dist = self.distances((start,), walk, radius)
        adjacency = self.adjacency
        out: set[str] = set()
        for read in reads:
            kinds, reach = read.kinds, read.reach
            for person, d in dist.items():
                if d <= reach:
                    for tie in adjacency.get(person, ()):
                        if tie.kind in kinds:
                            out.add(tie.id)
        return out

    # -- routing ----------------------------------------------------------------------------

    def overseer(self, person: str, kind: str, on: date) -> str | None:
        """Who oversees ``person`` through a tie of ``kind`` active ``on``: the first by
        id when several do, None when nobody does.

        >>> index = _example_index()
        >>> index.overseer("co", "supervision", date(2026, 3, 1))
        'su'
        >>> index.overseer("co", "supervision", date(2025, 3, 1)) is None
        True
        >>> index.overseer("co", "management", date(2026, 3, 1)) is None
        True
        """
        return min(
            (
                t.source
                for t in self.overseers.get(person, ())
                if t.kind == kind and t.is_active(on)
            ),
            default=None,
        )
