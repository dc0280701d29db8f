"""The compiler's ``symmetry`` stage: swaps of variables that leave a pattern unchanged.

Two clients of one coach in a romance with each other match twice, once per ordering of
the two clients; so do two business partners.  When a permutation of the person variables
(with a matching renaming of the clauses) maps the pattern onto itself (people specs, tie
and record clauses, ``where``, ``per``), every match has an image that is a match too, and
both say the same thing.  The engine then reports only the match whose subjects, read in
the order the variables are declared, are the smallest by person id among its images
(:func:`canonical`).

Rules that count or share records are left as they are: the records counted per group
depend on which ordering a match was found in.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from dualrel.rules.conditions import (
    Compare,
    Condition,
    Member,
    Offset,
    Outside,
    Ref,
    field_kinds,
    parse_condition,
)
from dualrel.rules.schema import AnyOf, Match, RecordClause, TieClause

__all__ = ["MOST_SYMMETRIES", "Permutation", "TooSymmetric", "canonical", "symmetries"]

#: A permutation of a pattern's person variables, as (variable, the variable it becomes).
Permutation = tuple[tuple[str, str], ...]

#: The most symmetries a pattern may have: each match is compared with each of its images.
MOST_SYMMETRIES = 40_320


class TooSymmetric(Exception):
    """A pattern has more than :data:`MOST_SYMMETRIES` symmetries (its argument: how many
    were found before the search stopped)."""


_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


def symmetries(match: Match) -> tuple[Permutation, ...]:
    """Every permutation of ``match``'s variables, other than the identity, under which
    the pattern is unchanged (see the module docstring); empty for rules with ``count``
    or ``share``.

    >>> m = Match.model_validate({"people": {"coach": {}, "a": {}, "b": {}}, "ties": [
    ...     {"kind": "coaching", "from": "coach", "to": "a"},
    ...     {"kind": "coaching", "from": "coach", "to": "b"},
    ...     {"kind": "romance", "between": ["a", "b"]}]})
    >>> symmetries(m)
    ((('coach', 'coach'), ('a', 'b'), ('b', 'a')),)
    """
    if match.count is not None or match.share is not None:
        return ()
    variables = list(match.people)
    color = {var: _dump(spec) for var, spec in match.people.items()}
    if len(set(color.values())) == len(variables):
        return ()
    kinds_of = field_kinds(match)
    # the search keeps the tie clauses; nothing else can tell two orderings apart
    ties_only = not match.where and not match.records and match.per is None
    found: list[Permutation] = []
    for sigma in _candidates(match, color):
        if all(sigma[v] == v for v in variables):
            continue
        if ties_only or _preserved(match, sigma, kinds_of):
            found.append(tuple((v, sigma[v]) for v in variables))
            if len(found) > MOST_SYMMETRIES:
                raise TooSymmetric(len(found))
    return tuple(found)


def canonical(
    subjects: Mapping[str, str], order: Sequence[str], perms: Sequence[Permutation]
) -> bool:
    """Whether a match's ``subjects`` (variable to person), read in the variables'
    declaration ``order``, are the smallest by person id among their images under
    ``perms``: the one ordering of the match that is reported.

    >>> swap = (("a", "b"), ("b", "a"))
    >>> canonical({"a": "p1", "b": "p2"}, "ab", [swap])
    True
    >>> canonical({"a": "p2", "b": "p1"}, "ab", [swap])
    False
    """
    named = [v for v in order if v in subjects]
    mine = [subjects[v] for v in named]
    for perm in perms:
        moved = dict(perm)
        if any(moved.get(v, v) not in subjects for v in named):
            continue  # it moves a variable the finding does not name
        if [subjects[moved.get(v, v)] for v in named] < mine:
            return False
    return True


def _candidates(match: Match, color: Mapping[str, str]) -> Iterator[dict[str, str]]:
    """The permutations of ``match``'s variables that keep each variable's people spec and
    map its tie clauses onto tie clauses, found by backtracking: a variable is given an
    image only while every tie clause whose variables all have images still has an equal
    clause left to map onto.  Searching every permutation of a class of interchangeable
    variables would not end for a chain of nine friends; the chain has two symmetries and
    the search visits little more than those.  Records, ``where`` and ``per`` are left to
    :func:`_preserved`."""
    variables = _search_order(match)
    same = {v: v for v in match.people}
    target = Counter(_ends_key(c, same, shape) for c, shape in _shapes(match.ties))
    closes: dict[str, list[tuple[TieClause, str]]] = {v: [] for v in variables}
    position = {v: i for i, v in enumerate(variables)}
    for clause, shape in _shapes(match.ties):
        closes[max(clause.ends, key=position.__getitem__)].append((clause, shape))
    sigma: dict[str, str] = {}
    used: set[str] = set()

    def extend(i: int) -> Iterator[dict[str, str]]:
        if i == len(variables):
            yield dict(sigma)
            return
        var = variables[i]
        for image in variables:
            if image in used or color[image] != color[var]:
                continue
            sigma[var] = image
            taken = Counter(_ends_key(c, sigma, shape) for c, shape in closes[var])
            if all(target[k] >= n for k, n in taken.items()):
                target.subtract(taken)
                used.add(image)
                yield from extend(i + 1)
                used.discard(image)
                target.update(taken)
            del sigma[var]

    yield from extend(0)


def _shapes(ties: Sequence[TieClause]) -> list[tuple[TieClause, str]]:
    """Each tie clause with its key but for its ends (:func:`_tie_key` with every end one
    placeholder), computed once for the search."""
    return [(c, _tie_key(c, _Placeholder())) for c in ties]


class _Placeholder(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "*"


def _ends_key(
    clause: TieClause, sigma: Mapping[str, str], shape: str
) -> tuple[str, bool, tuple[str, ...]]:
    """What :func:`_tie_key` compares, as a tuple: the clause's shape, and its renamed
    ends (``between`` in either order)."""
    if clause.between is not None:
        return shape, False, tuple(sorted(sigma[v] for v in clause.between))
    return shape, True, (sigma[clause.from_ or ""], sigma[clause.to or ""])


def _search_order(match: Match) -> list[str]:
    """The variables in an order that closes tie clauses early: breadth first over the
    clauses from each not yet reached variable, in declaration order."""
    linked: dict[str, list[str]] = {v: [] for v in match.people}
    for clause in match.ties:
        a, b = clause.ends
        linked[a].append(b)
        linked[b].append(a)
    order: list[str] = []
    seen: set[str] = set()
    for start in match.people:
        if start in seen:
            continue
        seen.add(start)
        queue = [start]
        while queue:
            var = queue.pop(0)
            order.append(var)
            for nxt in linked[var]:
                if nxt not in seen:
                    seen.add(nxt)
                    queue.append(nxt)
    return order


def _dump(model: Any) -> str:
    data = model.model_dump(by_alias=True, exclude_none=True) if model is not None else None
    return json.dumps(data, sort_keys=True, default=str)


def _preserved(
    match: Match, sigma: Mapping[str, str], kinds_of: Mapping[str, Mapping[str, str]]
) -> bool:
    if match.per is not None and {sigma[v] for v in match.per} != set(match.per):
        return False
    for names in _tie_renamings(match.ties, sigma):
        for renaming in _record_renamings(match.records, sigma, names):
            if _where_preserved(match.where, renaming, kinds_of):
                return True
    return False


def _tie_key(clause: TieClause, sigma: Mapping[str, str]) -> str:
    data = clause.model_dump(by_alias=True, exclude_none=True)
    data.pop("as", None)
    data["named"] = clause.as_ is not None
    for key in ("from", "to"):
        if key in data:
            data[key] = sigma[data[key]]
    if "between" in data:
        data["between"] = sorted(sigma[v] for v in data["between"])
    data["kind"] = sorted(clause.kinds)
    data["known"] = sorted(clause.known)
    return json.dumps(data, sort_keys=True, default=str)


def _record_key(clause: RecordClause, sigma: Mapping[str, str], names: Mapping[str, str]) -> str:
    data = clause.model_dump(by_alias=True, exclude_none=True)
    data.pop("as", None)
    data["named"] = clause.as_ is not None
    data["people"] = {f: sigma[v] for f, v in clause.people.items()}
    if clause.tie is not None:
        data["tie"] = names.get(clause.tie, clause.tie)
    return json.dumps(data, sort_keys=True, default=str)


def _bijections(images: Sequence[str], targets: Sequence[str]) -> Iterator[tuple[int, ...]]:
    """Every assignment of each image to a distinct equal target (by index)."""

    def extend(i: int, used: tuple[int, ...]) -> Iterator[tuple[int, ...]]:
        if i == len(images):
            yield used
            return
        for j, target in enumerate(targets):
            if j not in used and target == images[i]:
                yield from extend(i + 1, (*used, j))

    if sorted(images) == sorted(targets):
        yield from extend(0, ())


def _tie_renamings(ties: Sequence[TieClause], sigma: Mapping[str, str]) -> Iterator[dict[str, str]]:
    images = [_tie_key(c, sigma) for c in ties]
    targets = [_tie_key(c, {v: v for v in sigma}) for c in ties]
    for assignment in _bijections(images, targets):
        yield {
            c.as_: ties[j].as_ or ""
            for c, j in zip(ties, assignment, strict=True)
            if c.as_ is not None
        }


def _record_renamings(
    records: Sequence[RecordClause], sigma: Mapping[str, str], names: dict[str, str]
) -> Iterator[dict[str, str]]:
    images = [_record_key(c, sigma, names) for c in records]
    targets = [_record_key(c, {v: v for v in sigma}, {}) for c in records]
    for assignment in _bijections(images, targets):
        renaming = dict(names)
        for c, j in zip(records, assignment, strict=True):
            if c.as_ is not None:
                renaming[c.as_] = records[j].as_ or ""
        yield renaming


def _where_preserved(
    where: Sequence[str | AnyOf],
    renaming: Mapping[str, str],
    kinds_of: Mapping[str, Mapping[str, str]],
) -> bool:
    def key(item: str | AnyOf, rename: Mapping[str, str]) -> Any:
        texts = item.any if isinstance(item, AnyOf) else [item]
        return frozenset(_condition_key(parse_condition(t, kinds_of), rename) for t in texts)

    same = {name: name for name in renaming}
    return sorted(map(repr, (key(i, renaming) for i in where))) == sorted(
        map(repr, (key(i, same) for i in where))
    )


def _condition_key(cond: Condition, rename: Mapping[str, str]) -> Any:
    def ref(r: Ref) -> str:
        return str(r) if r.clause is None else f"{rename.get(r.clause, r.clause)}.{r.field}"

    if isinstance(cond, Compare):
        k = cond.offset or Offset(1, 0.0)
        forward = (ref(cond.left), cond.op, ref(cond.right), k.sign, k.value)
        backward = (ref(cond.right), _FLIP[cond.op], ref(cond.left), -k.sign, k.value)
        if k.value in (0, 0.0):
            forward, backward = (*forward[:3], 1, 0.0), (*backward[:3], 1, 0.0)
        return min(forward, backward, key=repr)
    if isinstance(cond, Member):
        return ("in", ref(cond.value), ref(cond.listed), cond.negated)
    assert isinstance(cond, Outside)
    return ("outside", ref(cond.at), ref(cond.window))
