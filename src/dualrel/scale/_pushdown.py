"""Stage 2 of the check on Dask: the semi-join pass pushed down to the blocks (private).

Each round, every block runs each rule's clauses on its own ties with the clauses' own
tests (kinds, dates, attributes, roles: ``_prune_columns._Clause``, the one-machine code)
and the masks of the round before, and gives, for each clause and end, the people it
could bind there as a set of hashes of their ids (``bits`` bits of a CRC-32: a set costs
four bytes a person bound, whatever the registry's size).  A reduce task ORs each set over
the blocks (a person bound in any block), then ANDs, for each rule and variable, the sets
of the clauses that bind it: the rule's mask of that variable, broadcast to the next
round.  At the end each block keeps the ties a clause binds with its people in the masks
(positive clauses and negated ones), every oversight tie and every tie of a kind a rule
reads as a number, and returns them, with the people they join, as text; the client runs
the exact pass (``registry_for``) on those alone.

Why the findings are the same (``docs/scale.md``): a person bound to a variable by a
complete match of a rule's positive clauses is bound by each of those clauses in some
block, so is in every set of that variable in every round; two ids of one hash only let
more people through.  So every tie of every match survives, and every tie of a negated
clause whose ends such a match binds (the ties that can veto a match): the exact pass on
the survivors keeps every tie a match or a veto reads, and the engine's findings are the
same.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from dualrel.graph._csv_common import TIE_COLUMNS
from dualrel.graph.columns import TieColumns
from dualrel.graph.index import OVERSIGHT_KINDS
from dualrel.rules._prune import ROUNDS
from dualrel.rules._prune_columns import _Clause, _lookup, _Table, sorted_rows
from dualrel.rules.numbers import _numeric_reads
from dualrel.rules.plan import CompiledRuleset
from dualrel.scale._blocks import read_again
from dualrel.scale._on_disk import Block, opened

__all__ = ["HASH_BITS", "ROUNDS", "Sets", "block_round", "block_survivors", "reduce_round"]

#: (ruleset, rule, clause, end) of a clause end's set; (ruleset, rule, variable) of a mask
ClauseEnd = tuple[int, int, int, int]
VarKey = tuple[int, int, str]

#: Bits of each id's hash: two people of one hash are told apart by the client's exact
#: pass (at a million people about one id in four thousand shares a hash with another).
HASH_BITS = 32


@dataclass(frozen=True, slots=True)
class Sets:
    """Sets of people as the hashes of their ids (int64, ascending, distinct), each
    distinct set once: ``at[key]`` is the index in ``sets`` of key's set."""

    sets: tuple[pa.Array, ...]
    at: Mapping[Any, int]

    def get(self, key: Any) -> pa.Array | None:
        k = self.at.get(key)
        return None if k is None else self.sets[k]


def _sets(found: Mapping[Any, pa.Array]) -> Sets:
    """Each distinct set once (rules share clauses, and so sets of people)."""
    sets: list[pa.Array] = []
    seen: dict[bytes, int] = {}
    at: dict[Any, int] = {}
    for key, values in found.items():
        # a fresh array of int64 without nulls: its values are its second buffer
        data = values.buffers()[1]
        width = values.type.bit_width // 8
        raw = b"" if data is None else data.to_pybytes()
        start = values.offset * width
        content = hashlib.sha1(raw[start : start + len(values) * width]).digest()
        k = seen.get(content)
        if k is None:
            k = seen[content] = len(sets)
            sets.append(values)
        at[key] = k
    return Sets(tuple(sets), at)


def _sorted_set(values: pa.Array) -> pa.Array:
    """The distinct values, ascending (a set's one form, so that equal sets are equal)."""
    distinct = pc.unique(values)
    return pc.take(distinct, pc.array_sort_indices(distinct))


def _at(hashes: pa.Array, bits: int) -> pa.Array:
    """Each of the block's person codes' hash, of ``bits`` bits."""
    return pc.bit_wise_and(hashes, (1 << bits) - 1)


def _rules(cols: TieColumns, compiled: Sequence[CompiledRuleset], when: date) -> list[Any]:
    """For each ruleset, its clauses over the block's ties (one ``_Table`` per ruleset).
    Made again each round: kept, each clause's bindings would hold several times the
    block's columns on the worker between rounds."""
    out: list[Any] = []
    for c in compiled:
        roles = any(spec.roles for r in c.rules for spec in r.rule.match.people.values())
        table = _Table(cols, c.ruleset.kinds, roles, when)
        out.append(
            [[_Clause(table, k, r.rule.match.people) for k in r.rule.match.ties] for r in c.rules]
        )
    return out


def _local(masks: Sets, ci: int, ri: int, clauses: Sequence[_Clause], at: pa.Array) -> Any:
    """A rule's masks over the block's person codes."""
    out = {}
    for c in clauses:
        for var in c.ends:
            mask = masks.get((ci, ri, var))
            if mask is not None and var not in out:
                out[var] = pc.is_in(at, value_set=mask)
    return out


def block_round(
    block: Block, compiled: Sequence[CompiledRuleset], when: date, masks: Sets, bits: int
) -> Sets:
    """One round on a block: each positive clause's people at each end."""
    out: dict[ClauseEnd, pa.Array] = {}
    read = opened(block)
    if read is None:
        return _sets(out)
    cols, hashes = read
    at = _at(hashes, bits)
    for ci, rules in enumerate(_rules(cols, compiled, when)):
        for ri, clauses in enumerate(rules):
            local = _local(masks, ci, ri, clauses, at)
            for k, c in enumerate(clauses):
                if not c.exists:
                    continue
                got = c.bindings(local)
                for end in (0, 1):
                    people = c.table.people(got, end)
                    out[(ci, ri, k, end)] = _sorted_set(pc.filter(at, people))
    return _sets(out)


def reduce_round(rounds: Sequence[Sets], compiled: Sequence[CompiledRuleset]) -> Sets:
    """The masks of each rule's variables from the blocks' sets of a round: each clause
    end's people in any block, and of those, the people every clause binds."""
    parts: dict[ClauseEnd, list[pa.Array]] = {}
    for got in rounds:
        for key, k in got.at.items():
            parts.setdefault(key, []).append(got.sets[k])
    nobody = pa.array([], pa.int64())
    masks: dict[VarKey, pa.Array] = {}
    for ci, c in enumerate(compiled):
        for ri, r in enumerate(c.rules):
            for k, clause in enumerate(r.rule.match.ties):
                if not clause.exists:
                    continue
                for end, var in enumerate(clause.ends):
                    found = parts.get((ci, ri, k, end))
                    bound = _sorted_set(pa.concat_arrays(found)) if found else nobody
                    key = (ci, ri, var)
                    if key in masks:
                        bound = bound.filter(pc.is_in(bound, value_set=masks[key]))
                    masks[key] = bound
    return _sets(masks)


def set_sizes(masks: Sets) -> int:
    """How many people all masks let through (the rounds stop when it stays the same)."""
    return sum(len(masks.sets[k]) for k in masks.at.values())


def _kept_kinds(compiled: Sequence[CompiledRuleset]) -> frozenset[str]:
    """Kinds whose every tie is kept (``rows_and_needs``: oversight, read as numbers)."""
    kinds = set(OVERSIGHT_KINDS)
    for owner, _, read in _numeric_reads(c.ruleset for c in compiled):
        if owner == "tie" and read is not None:
            kinds |= read
    return frozenset(kinds)


def block_survivors(
    block: Block, compiled: Sequence[CompiledRuleset], when: date, masks: Sets, bits: int
) -> tuple[pa.Table | None, pa.Array, pa.Array]:
    """The block's ties some rule can still use, with every tie of the kinds kept whole:
    (their text, their rows in the part, the ids of the people they join)."""
    read = opened(block)
    if read is None:
        return None, pa.array([], pa.int64()), pa.array([], pa.string())
    cols, hashes = read
    at = _at(hashes, bits)
    parts: list[pa.Array] = []
    for ci, rules in enumerate(_rules(cols, compiled, when)):
        for ri, clauses in enumerate(rules):
            local = _local(masks, ci, ri, clauses, at)
            parts.extend(c.bindings(local).rows for c in clauses)
    kept = _kept_kinds(compiled)
    if any(k in kept for k in cols.kinds):
        parts.append(pc.indices_nonzero(_lookup([k in kept for k in cols.kinds], cols.kind_codes)))
    rows = sorted_rows(parts, len(cols))
    # the part's text read again (a block keeps codes, not its text nor its ids): the
    # survivors and the ids of the people they join, as the part gives them
    table = read_again(block.file, TIE_COLUMNS)
    if table is None or table.num_rows != len(cols):
        raise OSError(f"{block.file} changed while it was checked")
    survivors = table.take(rows)
    ends = [survivors.column(c).combine_chunks() for c in ("source", "target")]
    return survivors, rows, pc.unique(pa.concat_arrays(ends))
