"""Stage 2 of the check on Dask: the semi-join pass pushed down to the blocks (private).

Each round, every block runs each rule's clauses on its own ties with the clauses' own
tests (kinds, dates, attributes, roles: ``_prune_columns._Clause``, the one-machine code)
and the masks of the round before, and gives, for each clause and end, the people it
could bind there as a bitmap of a hash of their ids (``bits`` entries).  The client ORs
each bitmap over the blocks (a person bound in any block), then ANDs, for each rule and
variable, the bitmaps of the clauses that bind it: the rule's mask of that variable,
broadcast to the next round.  At the end each block keeps the ties a clause binds with
its people in the masks (positive clauses and negated ones), every oversight tie and
every tie of a kind a rule reads as a number, and returns them, with the people they
join, as text; the client runs the exact pass (``registry_for``) on those alone.

Why the findings are the same (``docs/scale.md``): a person bound to a variable by a
complete match of a rule's positive clauses is bound by each of those clauses in some
block, so is in every bitmap of that variable in every round; a hash collision only adds
people.  So every tie of every match survives, and every tie of a negated clause whose
ends such a match binds (the ties that can veto a match): the ties the client's exact pass
keeps from the survivors are those it keeps from the whole registry's, as far as any
match can tell, and the engine's findings are the same.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from dualrel.graph.index import OVERSIGHT_KINDS
from dualrel.rules._prune import ROUNDS
from dualrel.rules._prune_columns import _Clause, _lookup, _mask, _Table, sorted_rows
from dualrel.rules.numbers import _numeric_reads
from dualrel.rules.plan import CompiledRuleset
from dualrel.scale._blocks import Block

__all__ = ["ROUNDS", "Sets", "bitmap_size", "block_round", "block_survivors", "reduce_round"]

#: (ruleset, rule, clause, end) of a clause end's bitmap; (ruleset, rule, variable) of a mask
ClauseEnd = tuple[int, int, int, int]
VarKey = tuple[int, int, str]

#: Bits per person of the registry, at least: a bitmap of ``bits`` entries holding ``n``
#: people lets a person not bound in through with a chance of about ``n / bits``.
BITS_PER_PERSON = 8


def bitmap_size(people: int) -> int:
    """The entries of each bitmap for a registry of ``people`` (a power of two)."""
    return 1 << max(16, (BITS_PER_PERSON * max(1, people) - 1).bit_length())


@dataclass(frozen=True, slots=True)
class Sets:
    """Sets of people as hash bitmaps, each distinct set once: ``at[key]`` is the
    index in ``sets`` of key's set, each either its bits' positions (int32, when few) or
    the bitmap (boolean)."""

    sets: tuple[pa.Array, ...]
    at: Mapping[Any, int]

    def get(self, key: Any, bits: int) -> pa.Array | None:
        """Key's set as a bitmap of ``bits`` entries, None when there is none."""
        k = self.at.get(key)
        return None if k is None else _unpacked(self.sets[k], bits)


def _packed(bitmap: pa.Array, bits: int) -> pa.Array:
    """A bitmap as the positions of its bits when that is smaller."""
    on = pc.indices_nonzero(bitmap)
    return on.cast(pa.int32()) if len(on) * 32 < bits else bitmap


def _unpacked(value: pa.Array, bits: int) -> pa.Array:
    return value if pa.types.is_boolean(value.type) else _mask(value, bits)


def _sets(bitmaps: Mapping[Any, pa.Array], bits: int) -> Sets:
    """Each distinct bitmap once (rules share clauses, and so sets)."""
    sets: list[pa.Array] = []
    seen: dict[bytes, int] = {}
    at: dict[Any, int] = {}
    for key, bitmap in bitmaps.items():
        packed = _packed(bitmap, bits)
        content = hashlib.sha1(
            b"".join(bytes(b) for b in packed.buffers()[1:] if b is not None)
        ).digest() + bytes([pa.types.is_boolean(packed.type)])
        k = seen.get(content)
        if k is None:
            k = seen[content] = len(sets)
            sets.append(packed)
        at[key] = k
    return Sets(tuple(sets), at)


def _hashes(people: Sequence[str], bits: int) -> pa.Array:
    """Each person code's bit."""
    return pa.array([zlib.crc32(p.encode()) & (bits - 1) for p in people], pa.int64())


def _rules(block: Block, compiled: Sequence[CompiledRuleset], when: date) -> list[Any]:
    """For each ruleset, its clauses over the block's ties (one ``_Table`` per ruleset)."""
    cols = block.columns
    assert cols is not None
    out = []
    for c in compiled:
        roles = any(spec.roles for r in c.rules for spec in r.rule.match.people.values())
        table = _Table(cols, c.ruleset.kinds, roles, when)
        out.append(
            [[_Clause(table, k, r.rule.match.people) for k in r.rule.match.ties] for r in c.rules]
        )
    return out


def _local(  # noqa: PLR0917
    masks: Sets, ci: int, ri: int, clauses: Sequence[_Clause], at: pa.Array, bits: int
) -> dict[str, pa.Array]:
    """A rule's masks over the block's person codes."""
    out = {}
    for c in clauses:
        for var in c.ends:
            mask = masks.get((ci, ri, var), bits)
            if mask is not None and var not in out:
                out[var] = pc.take(mask, at)
    return out


def block_round(
    block: Block,
    compiled: Sequence[CompiledRuleset],
    when: date,
    masks: Sets,
    bits: int,
) -> Sets:
    """One round on a block: each positive clause's people at each end, as bitmaps."""
    out: dict[ClauseEnd, pa.Array] = {}
    if block.columns is None:
        return _sets(out, bits)
    at = _hashes(block.columns.people, bits)
    for ci, rules in enumerate(_rules(block, compiled, when)):
        for ri, clauses in enumerate(rules):
            local = _local(masks, ci, ri, clauses, at, bits)
            for k, c in enumerate(clauses):
                if not c.exists:
                    continue
                got = c.bindings(local)
                for end in (0, 1):
                    people = c.table.people(got, end)
                    out[(ci, ri, k, end)] = _mask(pc.filter(at, people), bits)
    return _sets(out, bits)


def reduce_round(rounds: Sequence[Sets], compiled: Sequence[CompiledRuleset], bits: int) -> Sets:
    """The masks of each rule's variables from the blocks' bitmaps of a round."""
    ored: dict[ClauseEnd, pa.Array] = {}
    for got in rounds:
        # each distinct set of a block made a bitmap once
        unpacked = [_unpacked(s, bits) for s in got.sets]
        for key, k in got.at.items():
            bitmap = unpacked[k]
            ored[key] = bitmap if key not in ored else pc.or_(ored[key], bitmap)
    masks: dict[VarKey, pa.Array] = {}
    nobody = _mask(pa.array([], pa.int64()), bits)
    for ci, c in enumerate(compiled):
        for ri, r in enumerate(c.rules):
            for k, clause in enumerate(r.rule.match.ties):
                if not clause.exists:
                    continue
                for end, var in enumerate(clause.ends):
                    bound = ored.get((ci, ri, k, end), nobody)  # no block bound anybody
                    key = (ci, ri, var)
                    masks[key] = bound if key not in masks else pc.and_(masks[key], bound)
    return _sets(masks, bits)


def set_bits(masks: Sets, bits: int) -> int:
    """How many people all masks let through (the rounds stop when it stays the same)."""
    total = 0
    for key in masks.at:
        mask = masks.get(key, bits)
        assert mask is not None
        total += int(pc.sum(mask.cast(pa.int64())).as_py() or 0)
    return total


def _kept_kinds(compiled: Sequence[CompiledRuleset]) -> frozenset[str]:
    """Kinds whose every tie is kept (``rows_and_needs``: oversight, read as numbers)."""
    kinds = set(OVERSIGHT_KINDS)
    for owner, _, read in _numeric_reads(c.ruleset for c in compiled):
        if owner == "tie" and read is not None:
            kinds |= read
    return frozenset(kinds)


def block_survivors(
    block: Block,
    compiled: Sequence[CompiledRuleset],
    when: date,
    masks: Sets,
    bits: int,
) -> tuple[pa.Table, pa.Array, pa.Table]:
    """The block's ties some rule can still use, with every tie of the kinds kept whole:
    (their text, their rows in the part, the text of the people they join)."""
    cols = block.columns
    if cols is None:
        return block.table, pa.array([], pa.int64()), block.people
    at = _hashes(cols.people, bits)
    parts: list[pa.Array] = []
    for ci, rules in enumerate(_rules(block, compiled, when)):
        for ri, clauses in enumerate(rules):
            local = _local(masks, ci, ri, clauses, at, bits)
            parts.extend(c.bindings(local).rows for c in clauses)
    kept = _kept_kinds(compiled)
    if any(k in kept for k in cols.kinds):
        parts.append(pc.indices_nonzero(_lookup([k in kept for k in cols.kinds], cols.kind_codes)))
    rows = sorted_rows(parts, len(cols))
    ends = pa.concat_arrays([pc.take(cols.sources, rows), pc.take(cols.targets, rows)])
    ids = pc.take(pa.array(cols.people, pa.string()), pc.unique(ends))
    people = block.people.filter(pc.is_in(block.people.column("id"), value_set=ids))
    return block.table.take(rows), rows, people
