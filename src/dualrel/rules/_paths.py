"""Path clauses: chains of ties, read by the engine as derived ties (private).

A path clause (``match.paths``) holds between two people when the ties of its kinds reach
from one to the other at a distance (the fewest ties) from ``min_hops`` to ``max_hops``.
Reachability is a graph algorithm, not a join: the compiler's ``paths`` stage gives each
distinct path clause a :class:`~dualrel.rules.plan.PathPlan` and a kind of its own
(``~path<n>``) and rewrites the clause as a tie clause of that kind; before evaluation,
:func:`derive` computes, on the graph of the path's kinds, one tie of that kind per pair
of people the path joins (NetworkX's breadth-first search, see
:func:`dualrel.graph.queries.shortest_chains`), and the ties of one shortest chain, which
replace the derived tie in a finding's evidence.

Derived ties are computed once over the whole registry, before the semi-join pass and the
partitioning into sessions: from then on they are ties like any other, so a session holds
the derived ties its anchors' matches read whichever way the anchors are grouped, and the
findings are the same for every partitioning and every ``--jobs``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from typing import Any

from dualrel.graph.model import Tie
from dualrel.graph.queries import shortest_chains
from dualrel.rules.loader import Rule, Ruleset
from dualrel.rules.plan import PathPlan
from dualrel.rules.schema import PathClause, TieClause

__all__ = ["derive", "desugar"]

#: Derived tie ids start with this and hold no registry id as a prefix of theirs.
_PREFIX = "~"


def _plan(rule: Rule, path: PathClause, kind: str) -> PathPlan:
    people = rule.match.people
    a, b = path.ends
    return PathPlan(
        kind=kind,
        kinds=tuple(sorted(set(path.kinds))),
        directed=path.directed,
        min_hops=path.min_hops,
        max_hops=path.max_hops,
        active=bool(path.active),
        from_roles=frozenset(people[a].roles) if path.directed else frozenset(),
        to_roles=frozenset(people[b].roles) if path.directed else frozenset(),
    )


def desugar(ruleset: Ruleset) -> tuple[Ruleset, tuple[PathPlan, ...]]:
    """``ruleset`` with every path clause a tie clause of its plan's kind (appended to the
    rule's tie clauses, so a finding's evidence lists the chains after the ties), the plans,
    and the derived kinds in ``kinds``.  Path clauses that derive the same ties share a
    plan.  A ruleset without paths is returned as it is."""
    if not any(r.match.paths for r in ruleset.rules):
        return ruleset, ()
    plans: dict[PathPlan, PathPlan] = {}  # by everything but the kind -> with its kind
    rules: list[Rule] = []
    for rule in ruleset.rules:
        if not rule.match.paths:
            rules.append(rule)
            continue
        extra: list[TieClause] = []
        for path in rule.match.paths:
            key = _plan(rule, path, "")
            plan = plans.get(key)
            if plan is None:
                plan = plans[key] = dataclasses.replace(key, kind=f"{_PREFIX}path{len(plans)}")
            ends: dict[str, object] = (
                {"from": path.ends[0], "to": path.ends[1]}
                if path.directed
                else {"between": list(path.ends)}
            )
            extra.append(TieClause.model_validate({"as": path.as_, "kind": plan.kind, **ends}))
        match = rule.match.model_copy(update={"ties": [*rule.match.ties, *extra], "paths": []})
        rules.append(dataclasses.replace(rule, match=match))
    kinds = dict(ruleset.kinds)
    kinds.update((p.kind, p.directed) for p in plans.values())
    return dataclasses.replace(ruleset, rules=tuple(rules), kinds=kinds), tuple(plans.values())


def derive(
    plans: Iterable[PathPlan],
    ties: Iterable[Tie],
    roles: Callable[[str], Iterable[str]],
    as_of: date,
) -> tuple[list[Tie], dict[str, tuple[str, ...]]]:
    """The derived ties of ``plans`` over ``ties`` on ``as_of``, and the chain of each
    (tie ids from the derived tie's source to its target).

    A directed path gives a tie from each person with one of ``from_roles`` to each person
    with one of ``to_roles`` (empty: anyone) it reaches along the ties' direction; a
    ``between`` path one tie per pair of people, from the one whose id sorts first.  The
    roles are a safe filter only: the engine tests them again.
    """
    plans = tuple(plans)
    wanted = {k for p in plans for k in p.kinds}
    by_kind: dict[str, list[Tie]] = {k: [] for k in wanted}
    for tie in ties:
        if tie.kind in wanted:
            by_kind[tie.kind].append(tie)
    derived: list[Tie] = []
    chains: dict[str, tuple[str, ...]] = {}
    for plan in plans:
        for source, target, chain in _chains(plan, by_kind, roles, as_of):
            tid = f"{plan.kind}:{len(source)}:{source}:{target}"
            derived.append(Tie(tid, plan.kind, source, target))
            chains[tid] = chain
    return derived, chains


def _chains(
    plan: PathPlan,
    by_kind: dict[str, list[Tie]],
    roles: Callable[[str], Iterable[str]],
    as_of: date,
) -> Iterator[tuple[str, str, tuple[str, ...]]]:
    import networkx as nx  # noqa: PLC0415 (only rulesets with paths need it)

    G: nx.MultiDiGraph[str] | nx.MultiGraph[str] = (
        nx.MultiDiGraph() if plan.directed else nx.MultiGraph()
    )
    edges: Any = (  # (u, v, key, data): the stubs know no key
        (t.source, t.target, t.id, {})
        for k in plan.kinds
        for t in by_kind[k]
        if not plan.active or t.is_active(as_of)
    )
    G.add_edges_from(edges)

    def has(person: str, wanted: frozenset[str]) -> bool:
        return not wanted or any(r in wanted for r in roles(person))

    sources = sorted(p for p in G if has(p, plan.from_roles))
    for source, target, chain in shortest_chains(G, sources, max_hops=plan.max_hops):
        if len(chain) < plan.min_hops:
            continue
        if plan.directed:
            if has(target, plan.to_roles):
                yield source, target, chain
        elif source < target:  # each pair once, from the id that sorts first
            yield source, target, chain
