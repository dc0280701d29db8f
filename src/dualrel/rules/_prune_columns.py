"""The semi-join pass of :mod:`dualrel.rules._prune` on a registry's columns (private).

The same pass, clause for clause and round for round, run on the ties as columns
(:class:`~dualrel.graph.columns.TieColumns`): people are integer codes, a clause's
bindings three arrays (the person at its first end, at its second end, the tie's row),
the people a variable allows a boolean mask over every person code, and every test, join
and filter a pyarrow kernel over whole arrays.  Sets of people are masks, not hash sets:
a mask is filled by ``scatter`` and read by ``take``, both a plain pass over memory, where
each ``is_in`` built a hash table of its value set (at a million people that was two
thirds of the pass).  It gives the rows of the ties :func:`~dualrel.rules._prune.needed_ties`
keeps (``tests/rules/test_prune_columns.py`` holds the two to the same ties), so only those
become ``Tie`` objects.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from dualrel.graph.columns import TieColumns
from dualrel.graph.index import OVERSIGHT_KINDS
from dualrel.graph.practice import Practice
from dualrel.rules._prune import ROUNDS, attributes_test, date_tests, signature
from dualrel.rules.numbers import _numeric_reads
from dualrel.rules.plan import CompiledRuleset
from dualrel.rules.schema import PersonSpec, TieClause

__all__ = ["needed_rows", "rows_and_needs", "rows_to_check"]


class _Bindings:
    """A clause's bindings: ``u`` and ``v`` the people at its ends (codes), ``rows`` the
    ties'."""

    __slots__ = ("rows", "u", "v")

    def __init__(self, u: pa.Array, v: pa.Array, rows: pa.Array) -> None:
        self.u, self.v, self.rows = u, v, rows

    def __len__(self) -> int:
        return len(self.rows)

    def filter(self, mask: pa.Array) -> _Bindings:
        return _Bindings(self.u.filter(mask), self.v.filter(mask), self.rows.filter(mask))

    def end(self, end: int) -> pa.Array:
        return self.u if end == 0 else self.v


def _lookup(values: list[bool], codes: pa.Array) -> pa.Array:
    """Each code's entry of ``values``, as a boolean array."""
    return pc.take(pa.array(values, pa.bool_()), codes)


class _Table:
    """The columns, and what the clauses share: ties by kinds, full binding lists."""

    def __init__(
        self, ties: TieColumns, kinds: Mapping[str, bool], roles: bool, as_of: date
    ) -> None:
        self.ties = ties
        self.kinds = kinds
        self.roles = roles
        self.as_of = as_of
        code = {k: i for i, k in enumerate(ties.kinds)}
        self.code = code
        counts = {c["values"]: c["counts"] for c in pc.value_counts(ties.kind_codes).to_pylist()}
        self._counts: dict[int, int] = counts
        self.count: dict[str, int] = {k: int(counts.get(i, 0)) for k, i in code.items()}
        #: the signatures listed in full, as ``_prune`` lists them (their sizes order the
        #: clauses)
        self.full: dict[Any, _Bindings] = {}
        self._computed: dict[Any, _Bindings] = {}
        self._role_ok: dict[frozenset[str], pa.Array] = {}
        # every row, sorted by kind, and each kind's (offset, length) in it
        self._by_kind: pa.Array | None = None
        self._slices: dict[int, tuple[int, int]] = {}
        # the people at each end of a binding list, by the list (kept with it: lists that
        # a round leaves as they are keep their people)
        self._people: dict[tuple[int, int], tuple[_Bindings, pa.Array]] = {}

    def people(self, b: _Bindings, end: int) -> pa.Array:
        """The people at ``end`` of the bindings ``b``, as a mask over person codes."""
        got = self._people.get((id(b), end))
        if got is None or got[0] is not b:
            got = self._people[(id(b), end)] = (b, _mask(b.end(end), len(self.ties.people)))
        return got[1]

    def rows_of(self, kinds: Sequence[str]) -> pa.Array:
        """The rows of the ties of ``kinds``: slices of the rows sorted by kind, sorted
        once for every clause (one sort costs less than a pass over the kind codes per
        clause, or per kind)."""
        if self._by_kind is None:
            # stable: each kind's rows stay ascending
            self._by_kind = pc.sort_indices(self.ties.kind_codes)
            at = 0
            for code in range(len(self.ties.kinds)):
                self._slices[code] = (at, self._counts.get(code, 0))
                at += self._slices[code][1]
        by_kind = self._by_kind
        parts = [by_kind.slice(*self._slices[self.code[k]]) for k in kinds if self.count.get(k)]
        if len(parts) == 1:
            return parts[0]
        return pa.concat_arrays(parts) if parts else pa.array([], pa.uint64())

    def role_ok(self, roles: frozenset[str]) -> pa.Array:
        """For each person code, whether the person has one of ``roles``."""
        ok = self._role_ok.get(roles)
        if ok is None:
            values = [not roles.isdisjoint(r) for r in self.ties.role_values]
            ok = self._role_ok[roles] = _lookup(values, self.ties.role_codes)
        return ok


def _mask(codes: pa.Array, n: int) -> pa.Array:
    """A boolean array of ``n`` entries, true at each of ``codes`` (repeats allowed)."""
    if not len(codes):
        return pa.nulls(n, pa.bool_()).fill_null(False)
    if pa.types.is_unsigned_integer(codes.type):  # rows from indices_nonzero
        codes = codes.cast(pa.int64())
    # the entries not scattered to are null: is_valid reads them as false (half the time
    # of fill_null, which copies the values as well as the validity)
    return pc.is_valid(pc.scatter(pc.is_valid(codes), codes, max_index=n - 1))


class _Clause:
    """One clause's own tests over the columns, and its bindings."""

    def __init__(self, table: _Table, clause: TieClause, people: Mapping[str, PersonSpec]) -> None:
        self.table = table
        self.clause = clause
        self.ends = clause.ends
        self.exists = clause.exists
        self.kinds, self.forward_only, self.roles_u, self.roles_v, self.key = signature(
            clause, table.kinds, people
        )
        self.size = sum(table.count.get(k, 0) for k in self.kinds)
        self.role_test = table.roles and bool(self.roles_u or self.roles_v)
        self.shared = False

    def estimate(self) -> int:
        full = self.table.full.get(self.key)
        if full is not None:
            return len(full)
        return self.size if self.forward_only else 2 * self.size

    def _list(self) -> _Bindings:
        """Every binding of the clause (computed once per signature)."""
        table = self.table
        got = table._computed.get(self.key)
        if got is not None:
            return got
        ties = table.ties
        rows = table.rows_of(self.kinds)
        on_start, on_end = date_tests(self.clause, table.as_of)
        tests = []
        if on_start is not None:
            start = pc.take(ties.start_codes, rows)
            tests.append(_lookup([on_start(d) for d in ties.starts], start))
        if on_end is not None:
            end = pc.take(ties.end_codes, rows)
            tests.append(_lookup([on_end(d) for d in ties.ends], end))
        on_attributes = attributes_test(self.clause)
        if on_attributes is not None:
            attrs = pc.take(ties.attribute_codes, rows)
            tests.append(_lookup([on_attributes(a) for a in ties.attributes], attrs))
        if tests:
            passed = tests[0]
            for test in tests[1:]:
                passed = pc.and_(passed, test)
            rows = rows.filter(passed)
        source, target = pc.take(ties.sources, rows), pc.take(ties.targets, rows)
        if self.forward_only:
            out = _Bindings(source, target, rows)
        else:
            out = _Bindings(
                pa.concat_arrays([source, target]),
                pa.concat_arrays([target, source]),
                pa.concat_arrays([rows, rows]),
            )
        if self.role_test:
            keep = None
            for roles, people in ((self.roles_u, out.u), (self.roles_v, out.v)):
                if roles:
                    ok = pc.take(table.role_ok(roles), people)
                    keep = ok if keep is None else pc.and_(keep, ok)
            assert keep is not None
            out = out.filter(keep)
        table._computed[self.key] = out
        return out

    def all(self) -> _Bindings:
        out = self._list()
        self.table.full[self.key] = out
        return out

    def bindings(self, allowed: Mapping[str, pa.Array]) -> _Bindings:
        """The bindings whose people are allowed (a variable not in ``allowed`` is free)."""
        if not any(var in allowed for var in self.ends):
            return self.all()
        if self.shared or self.key in self.table.full:
            return _keep(self.all(), self.ends, allowed)
        return _keep(self._list(), self.ends, allowed)


def _keep(b: _Bindings, ends: tuple[str, str], allowed: Mapping[str, pa.Array]) -> _Bindings:
    au, av = allowed.get(ends[0]), allowed.get(ends[1])
    mask = None
    if au is not None:
        mask = pc.take(au, b.u)
    if av is not None:
        at_v = pc.take(av, b.v)
        mask = at_v if mask is None else pc.and_(mask, at_v)
    # a list nothing is taken from stays the same list (its people are known)
    return b if mask is None or pc.all(mask).as_py() else b.filter(mask)


def _pairs(b: _Bindings, key: tuple[str, str], ends: tuple[str, str], n: int) -> pa.Array:
    """Each binding's two people as one int64, in the order of ``key``."""
    first, second = (b.u, b.v) if key == ends else (b.v, b.u)
    return pc.add(pc.multiply(first.cast(pa.int64()), n), second.cast(pa.int64()))


def _rule_needs(table: _Table, clauses: list[_Clause], needed: list[pa.Array]) -> None:
    positive = sorted((c for c in clauses if c.exists), key=lambda c: c.estimate())
    allowed: dict[str, pa.Array] = {}
    found: dict[int, _Bindings] = {}
    pending = list(positive)
    while pending:
        c = next((c for c in pending if any(v in allowed for v in c.ends)), pending[0])
        pending.remove(c)
        got = c.bindings(allowed)
        found[id(c)] = got
        for end, var in enumerate(c.ends):
            here = table.people(got, end)
            allowed[var] = here if var not in allowed else pc.and_(allowed[var], here)
    by_pair: dict[tuple[str, str], list[_Clause]] = defaultdict(list)
    for c in positive:
        by_pair[_pair_key(c.ends)].append(c)
    n = len(table.ties.people)
    for _ in range(ROUNDS):
        before = sum(len(v) for v in found.values())
        for c in positive:
            found[id(c)] = _keep(found[id(c)], c.ends, allowed)
        for key, on_pair in by_pair.items():
            if len(on_pair) < 2:
                continue
            on_pair.sort(key=lambda c: len(found[id(c)]))
            pairs: pa.Array | None = None
            for c in (*on_pair, *on_pair[-2::-1]):
                got = found[id(c)]
                codes = _pairs(got, key, c.ends, n)
                if pairs is not None:
                    keep = pc.is_in(codes, value_set=pairs)
                    if not pc.all(keep).as_py():
                        got, codes = got.filter(keep), codes.filter(keep)
                        found[id(c)] = got
                pairs = pc.unique(codes)
        allowed = {}
        for c in positive:
            for end, var in enumerate(c.ends):
                here = table.people(found[id(c)], end)
                allowed[var] = here if var not in allowed else pc.and_(allowed[var], here)
        if sum(len(v) for v in found.values()) == before:
            break
    needed.extend(found[id(c)].rows for c in positive)
    for c in clauses:
        if not c.exists:
            needed.append(c.bindings(allowed).rows)


def _pair_key(ends: tuple[str, str]) -> tuple[str, str]:
    return ends if ends[0] <= ends[1] else (ends[1], ends[0])


def needed_rows(compiled: CompiledRuleset, ties: TieColumns, as_of: date) -> pa.Array:
    """The rows (ascending, int64) of the ties any rule of ``compiled`` can use on
    ``as_of``: those :func:`~dualrel.rules._prune.needed_ties` keeps.  A ruleset with path
    clauses derives ties over the whole registry first: not for this function."""
    if compiled.paths:
        raise ValueError("path clauses derive ties from Tie objects: use needed_ties")
    roles = any(spec.roles for r in compiled.rules for spec in r.rule.match.people.values())
    table = _Table(ties, compiled.ruleset.kinds, roles, as_of)
    rules = [
        [_Clause(table, c, r.rule.match.people) for c in r.rule.match.ties] for r in compiled.rules
    ]
    uses = Counter(c.key for clauses in rules for c in clauses)
    for clauses in rules:
        for c in clauses:
            c.shared = uses[c.key] > 1
    needed: list[pa.Array] = []
    for clauses in rules:
        _rule_needs(table, clauses, needed)
    return sorted_rows(needed, len(ties))


def sorted_rows(parts: list[pa.Array], n: int) -> pa.Array:
    """The distinct rows of ``parts`` (each below ``n``), ascending, as int64."""
    marked = [_mask(p, n) for p in parts if len(p)]
    if not marked:
        return pa.array([], pa.int64())
    every = marked[0]
    for m in marked[1:]:
        every = pc.or_(every, m)
    return pc.indices_nonzero(every).cast(pa.int64())


def rows_to_check(
    compiled: Sequence[CompiledRuleset], ties: TieColumns, practice: Practice, as_of: date
) -> pa.Array | None:
    """The rows of the ties a batch evaluation of ``compiled`` reads, or None for every
    tie: those some rule can use, every oversight tie (remediation is routed through
    them), every tie of a kind a rule reads as a number (the warnings about values that
    are not numbers count them all) and the ties concerns are about.  Path clauses walk
    the whole registry: every tie."""
    found = rows_and_needs(compiled, ties, practice, as_of)
    return None if found is None else found[0]


def rows_and_needs(
    compiled: Sequence[CompiledRuleset], ties: TieColumns, practice: Practice, as_of: date
) -> tuple[pa.Array, list[pa.Array]] | None:
    """:func:`rows_to_check`, and for each of ``compiled`` the rows of the ties its rules
    can use (its :func:`needed_rows`, a part of the first)."""
    if any(c.paths for c in compiled):
        return None
    kinds = set(OVERSIGHT_KINDS)
    for owner, _, read in _numeric_reads(c.ruleset for c in compiled):
        if owner == "tie":
            if read is None:
                return None
            kinds |= read
    needs = [needed_rows(c, ties, as_of) for c in compiled]
    parts = list(needs)
    if any(k in kinds for k in ties.kinds):
        parts.append(pc.indices_nonzero(_lookup([k in kinds for k in ties.kinds], ties.kind_codes)))
    if any("concerns" in c.schema.sections for c in compiled) and practice.concerns:
        about = pa.array(sorted({c.about for c in practice.concerns}), pa.string())
        parts.append(pc.indices_nonzero(pc.is_in(ties.ids, value_set=about)))
    return sorted_rows(parts, len(ties)), needs
