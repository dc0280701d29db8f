"""The compiler's ``order`` and ``anchor`` stages: the shape of a rule's match.

``order`` lays out a rule's clauses: a join order of its tie clauses where every positive
clause shares a variable with an earlier one, each clause's durable-rules alias, and the
sequence in which the emitted condition lists them.  ``anchor`` chooses the variable whose
value partitions evaluation, and how many hops from it every variable is (each clause's
``reach``).  Both read the rule only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from dualrel.rules.loader import Rule

__all__ = ["Anchor", "ClauseOrder", "choose_anchor", "order_clauses", "reach", "variable_distances"]

#: The reach of a clause no positive clause links to the anchor.
_FAR = 99


@dataclass(frozen=True, slots=True)
class ClauseOrder:
    """A rule's clauses as the emitted condition lists them."""

    order: tuple[int, ...]  # tie clauses in join order: positive ones, then negated ones
    tie_alias: Mapping[int, str]  # tie clause -> ``c<i>`` (positive) or ``n<i>$not``
    rec_alias: Mapping[int, str]  # record clause -> ``r<j>`` (positive) or ``m<j>$not``
    alias_of: Mapping[str, str]  # clause name (``as``) -> alias
    #: ("t", tie clause) or ("r", record clause): positive ties in join order, positive
    #: records, negated ties, negated records
    sequence: tuple[tuple[str, int], ...]


@dataclass(frozen=True, slots=True)
class Anchor:
    """The variable whose value owns a match, and hops from it to every variable."""

    variable: str
    distances: Mapping[str, int]  # empty for a rule of records only


def order_clauses(rule: Rule) -> ClauseOrder:
    """The ``order`` stage for one rule."""
    ties, recs = rule.match.ties, rule.match.records
    order = _join_order(rule)
    tie_alias = {i: (f"c{i}" if ties[i].exists else f"n{i}$not") for i in order}
    rec_alias = {j: (f"r{j}" if c.exists else f"m{j}$not") for j, c in enumerate(recs)}
    alias_of: dict[str, str] = {c.as_: tie_alias[i] for i, c in enumerate(ties) if c.as_}
    alias_of.update({c.as_: rec_alias[j] for j, c in enumerate(recs) if c.as_})
    sequence: list[tuple[str, int]] = (
        [("t", i) for i in order if ties[i].exists]
        + [("r", j) for j, c in enumerate(recs) if c.exists]
        + [("t", i) for i in order if not ties[i].exists]
        + [("r", j) for j, c in enumerate(recs) if not c.exists]
    )
    return ClauseOrder(tuple(order), tie_alias, rec_alias, alias_of, tuple(sequence))


def _join_order(rule: Rule) -> list[int]:
    """Positive clauses, each sharing a variable with an earlier one, then negated ones."""
    ties = rule.match.ties
    positive = [i for i, c in enumerate(ties) if c.exists]
    if not positive:
        return [i for i, c in enumerate(ties) if not c.exists]
    order = [positive[0]]
    seen = set(ties[positive[0]].ends)
    rest = positive[1:]
    while rest:
        nxt = next((i for i in rest if seen & set(ties[i].ends)), rest[0])
        rest.remove(nxt)
        order.append(nxt)
        seen.update(ties[nxt].ends)
    return order + [i for i, c in enumerate(ties) if not c.exists]


def choose_anchor(rule: Rule) -> Anchor:
    """The ``anchor`` stage for one rule: the most central variable of its positive tie
    clauses, or in a rule of records only, a variable every record clause names."""
    if any(c.exists for c in rule.match.ties):
        variable, dist = _central_anchor(rule)
        return Anchor(variable, dist)
    return Anchor(_records_anchor(rule), {})


def reach(anchor: Anchor, ends: tuple[str, str]) -> int:
    """How many hops from the anchor the nearer end of a clause can be."""
    return min(anchor.distances.get(ends[0], _FAR), anchor.distances.get(ends[1], _FAR))


def variable_distances(edges: Iterable[tuple[str, str]], *start: str) -> dict[str, int]:
    """Hops from the variables ``start`` to every variable, through clause ``edges``.

    >>> variable_distances([("coach", "client"), ("client", "via")], "coach")
    {'coach': 0, 'client': 1, 'via': 2}
    """
    edges = list(edges)
    dist = dict.fromkeys(start, 0)
    frontier = list(dist)
    while frontier:
        nxt = []
        for v in frontier:
            for a, b in edges:
                for x, y in ((a, b), (b, a)):
                    if x == v and y not in dist:
                        dist[y] = dist[v] + 1
                        nxt.append(y)
        frontier = nxt
    return dist


def _central_anchor(rule: Rule) -> tuple[str, dict[str, int]]:
    """The variable with the smallest eccentricity over the positive clauses.

    Ties are broken by the number of clauses touching it, then by first appearance, so
    the choice is deterministic.  A rule that groups matches (``per``) anchors on one of
    its ``per`` variables, so that every group lies in one anchor's session.
    """
    per = (
        rule.match.per
        if rule.match.per is not None
        else (list(rule.match.people) if rule.match.count or rule.match.share else None)
    )
    edges = [c.ends for c in rule.match.ties if c.exists]
    variables: list[str] = []
    for a, b in edges:
        for v in (a, b):
            if v not in variables:
                variables.append(v)
    best: tuple[tuple[int, int, int], str, dict[str, int]] | None = None
    for pos, v in enumerate(variables):
        if per is not None and v not in per:
            continue
        dist = variable_distances(edges, v)
        degree = sum(v in e for e in edges)
        key = (max(dist.values()), -degree, pos)
        if best is None or key < best[0]:
            best = (key, v, dist)
    assert best is not None
    return best[1], best[2]


def _records_anchor(rule: Rule) -> str:
    """In a rule of records only: the first variable every record clause names (the
    loader checks there is one), preferring a ``per`` variable."""
    recs = rule.match.records
    shared = set(recs[0].people.values())
    for c in recs[1:]:
        shared &= set(c.people.values())
    per = rule.match.per or []
    ordered = [v for v in recs[0].people.values() if v in shared]
    return next((v for v in ordered if v in per), ordered[0])
