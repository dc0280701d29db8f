"""The ties near a new tie that can be in one match with it: ``Monitor``'s semi-join on
people, run before the engine sees them (private)."""

from __future__ import annotations

from dualrel.graph.model import Tie
from dualrel.rules.plan import CompiledRule

__all__ = ["JOIN_FROM", "joinable"]

#: Ties near a new tie from which :func:`joinable` prunes them on people first: below,
#: the engine joins them sooner than Python would prune them.
JOIN_FROM = 24


def joinable(
    rule: CompiledRule,
    seed: int,
    tie: Tie,
    bound: tuple[str, str],
    found: list[list[Tie]],
    *,
    both_ways: frozenset[str],
) -> set[str]:
    """Ids of the ties of ``found`` (per clause of ``rule``) that can be in one match with
    ``tie`` in clause ``seed``, its variables bound to ``bound``: a semi-join on people.

    Each variable's people are those every clause on it can give it (the seed's two are
    its own two people); a tie is kept while its people are among its variables', until
    nothing changes.  A clause left with no tie means no match holds the new tie (nothing
    is kept).  Ties are read both ways when their kind may be, so no match is lost: the
    engine tests the ties kept again in full.
    """
    clauses = rule.clauses
    first, second = clauses[seed].ends
    if first == second or not all(c.exists for c in clauses):
        return {t.id for ts in found for t in ts} | {tie.id}  # nothing to join on
    if not all(ties for k, ties in enumerate(found) if k != seed):
        return set()  # a clause no tie near the new one can fill
    if sum(map(len, found)) <= JOIN_FROM:
        return {t.id for ts in found for t in ts} | {tie.id}
    people: dict[str, set[str]] = {first: {bound[0]}, second: {bound[1]}}
    binds: list[list[tuple[str, str, str]]] = []
    for k, ties in enumerate(found):
        if k == seed:
            binds.append([(tie.id, bound[0], bound[1])])
            continue
        pairs = [(t.id, t.source, t.target) for t in ties]
        pairs += [(t.id, t.target, t.source) for t in ties if t.kind in both_ways]
        binds.append(pairs)
    changed = True
    while changed:
        changed = False
        for k, pairs in enumerate(binds):
            a, b = clauses[k].ends
            at_a, at_b = people.get(a), people.get(b)
            kept = [
                x
                for x in pairs
                if (at_a is None or x[1] in at_a) and (at_b is None or x[2] in at_b)
            ]
            if not kept:
                return set()
            binds[k] = kept
            for var, place in ((a, 1), (b, 2)):
                held = people.get(var)
                reach = {x[place] for x in kept}
                narrower = reach if held is None else held & reach
                if held is None or len(narrower) < len(held):
                    people[var] = narrower
                    changed = True
    return {x[0] for pairs in binds for x in pairs}
