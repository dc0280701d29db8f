"""A pattern's date conditions as difference constraints, and their solver.

Every date condition a pattern puts on its positive tie clauses (``active``, ``ended``,
``where`` comparisons) reads ``x[a] - x[b] <= c`` over days from the evaluation date:
variable 0 is the evaluation date, ``2i+1`` the start and ``2i+2`` the end of the i-th
positive clause.  Such a system is solved by shortest paths; it has no solution exactly
when the graph of its constraints has a negative cycle, whose constraints are the
conditions that contradict each other.  ``lint`` reports those; :mod:`dualrel.testing`
plants dates inside the solutions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from dualrel._internal.dates import MAX_DAYS
from dualrel.rules.schema import WHERE_RE, Match

__all__ = ["Bound", "Constraint", "bounds", "conflict", "tightest"]

#: ``x[a] - x[b] <= c``
Constraint = tuple[int, int, int]


@dataclass(frozen=True, slots=True)
class Bound:
    """One constraint and the condition of the pattern it comes from.

    ``where`` is the index of the ``where`` item, or None for a clause's own condition
    (``active``, ``ended``, or a tie starting before it ends).
    """

    constraint: Constraint
    label: str
    where: int | None = None


def bounds(match: Match, parameters: Mapping[str, float]) -> list[Bound]:
    """The date conditions of ``match``'s positive clauses.

    A ``where`` item that does not parse, reads an unknown or negated clause or an unknown
    parameter, or is a choice (``{any: [...]}``) gives no constraint: the first three are
    reported by the other checks, and a choice is no bound.
    """
    pos = [c for c in match.ties if c.exists]
    index = {c.as_: i for i, c in enumerate(pos) if c.as_}
    out: list[Bound] = []
    for i, c in enumerate(pos):
        s, e = 2 * i + 1, 2 * i + 2
        name = repr(c.as_) if c.as_ else f"tie clause {i + 1}"
        out.append(Bound((s, e, 0), f"{name} starts before it ends"))
        if c.active:
            out += [
                Bound((s, 0, 0), f"{name} active: true"),
                Bound((0, e, 0), f"{name} active: true"),
            ]
        if c.ended is True:
            out.append(Bound((e, 0, -1), f"{name} ended: true"))
        elif c.ended is False:
            out.append(Bound((0, e, 0), f"{name} ended: false"))

    def var(ref: str) -> int | None:
        if ref == "as_of":
            return 0
        name, _, which = ref.partition(".")
        # a fixed date or a date attribute is no variable here: no bound, never a false one
        if name not in index or which not in ("start", "end"):
            return None
        return 2 * index[name] + (1 if which == "start" else 2)

    for j, text in enumerate(match.where):
        if not isinstance(text, str):
            continue
        m = WHERE_RE.match(text)
        if m is None:
            continue
        left, right = var(m.group("left")), var(m.group("right"))
        raw = m.group("offset")
        if left is None or right is None or (raw and not raw.isdigit() and raw not in parameters):
            continue
        given = 0 if raw is None else parameters[raw] if not raw.isdigit() else None
        if given is None:  # digits: no more than MAX_DAYS has, or no int() of 5,000 of them
            assert raw is not None
            given = int(raw) if len(raw) <= len(str(MAX_DAYS)) else MAX_DAYS + 1
        if not -MAX_DAYS <= given <= MAX_DAYS:  # or not a number: reported by the checks
            continue
        k = int(given)
        if m.group("sign") == "-":
            k = -k
        op = m.group("op")
        # left op right + k
        if op in ("<=", "=="):
            out.append(Bound((left, right, k), text, j))
        if op == "<":
            out.append(Bound((left, right, k - 1), text, j))
        if op in (">=", "=="):
            out.append(Bound((right, left, -k), text, j))
        if op == ">":
            out.append(Bound((right, left, -k - 1), text, j))
    return out


def tightest(n: int, cons: Sequence[Constraint]) -> list[list[float]] | None:
    """``d[b][a]``: the tightest bound on ``x[a] - x[b]``; None if the system is infeasible."""
    inf = float("inf")
    d = [[0.0 if i == j else inf for j in range(n)] for i in range(n)]
    for a, b, c in cons:
        d[b][a] = min(d[b][a], c)
    for k in range(n):
        dk = d[k]
        for i in range(n):
            dik = d[i][k]
            if dik == inf:
                continue
            di = d[i]
            for j in range(n):
                di[j] = min(di[j], dik + dk[j])
    if any(d[i][i] < 0 for i in range(n)):
        return None
    return d


def conflict(n: int, cons: Sequence[Constraint]) -> list[int] | None:
    """The indices (into ``cons``) of constraints that contradict each other, or None when
    the system has a solution: the edges of one negative cycle (Bellman-Ford)."""
    dist = [0] * n
    pred: list[int | None] = [None] * n
    changed: int | None = None
    for _ in range(n + 1):
        changed = None
        for idx, (a, b, c) in enumerate(cons):
            if dist[b] + c < dist[a]:
                dist[a] = dist[b] + c
                pred[a] = idx
                changed = a
        if changed is None:
            return None
    v = changed
    assert v is not None
    for _ in range(n):  # walk back into the cycle
        p = pred[v]
        assert p is not None
        v = cons[p][1]
    cycle: list[int] = []
    u = v
    while True:
        p = pred[u]
        assert p is not None
        cycle.append(p)
        u = cons[p][1]
        if u == v:
            break
    return sorted(cycle)
