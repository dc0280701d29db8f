"""Stage 2 of the check on Dask: the semi-join pass pushed down to the blocks (private).

Each round, every block runs each rule's clauses on its own ties with the clauses' own
tests (kinds, dates, attributes, roles: ``_prune_columns._Clause``, the one-machine code)
and the masks of the round before, and gives, for each clause and end, the people it
could bind there as a set of hashes of their ids (``bits`` bits of a CRC-32: a set costs
four bytes a person bound, whatever the registry's size).  Reduce tasks OR each set over
the blocks (a person bound in any block), then AND, for each rule and variable, the sets
of the clauses that bind it: the rule's mask of that variable, for the next round.  The
sets and masks are cut into ranges of hashes, one reduce task a range, each block's sets
one file read by range (:mod:`dualrel.scale._ranges`), so that no task holds every
person the clauses bind in the registry.  At the end each block keeps the ties a clause
binds with its people in the masks (positive clauses and negated ones), every oversight
tie and every tie of a kind a rule reads as a number, and returns them, with the people
they join, as text; the client runs the exact pass (``registry_for``) on those alone.

Why the findings are the same (``docs/scale.md``): a person bound to a variable by a
complete match of a rule's positive clauses is bound by each of those clauses in some
block, so is in every set of that variable in every round; two ids of one hash only let
more people through.  So every tie of every match survives, and every tie of a negated
clause whose ends such a match binds (the ties that can veto a match): the exact pass on
the survivors keeps every tie a match or a veto reads, and the engine's findings are the
same.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
from dualrel.scale._blocks import ROW, read_again
from dualrel.scale._on_disk import Block, Stored, loaded, opened, places, stored, values
from dualrel.scale._ranges import VarKey, codes, masked, sorted_set, stored_sets

__all__ = [
    "HASH_BITS",
    "ROUNDS",
    "block_round",
    "block_survivors",
    "survivors_of",
]

#: Bits of each id's hash: two people of one hash are told apart by the client's exact
#: pass (at a million people about one id in four thousand shares a hash with another).
HASH_BITS = 32


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


def _local(masked: Mapping[VarKey, pa.Array], ci: int, ri: int, clauses: Sequence[_Clause]) -> Any:
    """A rule's masks over the block's person codes."""
    out = {}
    for c in clauses:
        for var in c.ends:
            mask = masked.get((ci, ri, var))
            if mask is not None:
                out[var] = mask
    return out


def block_round(  # noqa: PLR0917
    block: Block,
    compiled: Sequence[CompiledRuleset],
    when: date,
    masks: Sequence[Stored],
    bits: int,
    ranges: int,
) -> Stored | None:
    """One round on a block: each positive clause's people at each end, as one file cut
    by range (``_ranges.stored_sets``); None for a block that binds nobody."""
    read = opened(block)
    if read is None:
        return None
    cols, hashes = read
    at = _at(hashes, bits)
    tested = masked(masks, ranges, at, compiled, bits)
    found: dict[int, pa.Array] = {}
    numbered = codes(compiled)
    code = {end: e for e, end in enumerate(numbered.ends)}
    for ci, rules in enumerate(_rules(cols, compiled, when)):
        for ri, clauses in enumerate(rules):
            local = _local(tested, ci, ri, clauses)
            for k, c in enumerate(clauses):
                if not c.exists:
                    continue
                got = c.bindings(local)
                for end in (0, 1):
                    people = c.table.people(got, end)
                    found[code[(ci, ri, k, end)]] = sorted_set(pc.filter(at, people))
    return stored_sets(found, numbered.end_bits, bits, ranges)


def _kept_kinds(compiled: Sequence[CompiledRuleset]) -> frozenset[str]:
    """Kinds whose every tie is kept (``rows_and_needs``: oversight, read as numbers)."""
    kinds = set(OVERSIGHT_KINDS)
    for owner, _, read in _numeric_reads(c.ruleset for c in compiled):
        if owner == "tie" and read is not None:
            kinds |= read
    return frozenset(kinds)


def block_survivors(  # noqa: PLR0917
    block: Block,
    compiled: Sequence[CompiledRuleset],
    when: date,
    masks: Sequence[Stored],
    bits: int,
    ranges: int,
) -> tuple[Stored, Stored] | None:
    """The block's ties some rule can still use, with every tie of the kinds kept whole:
    their text and their rows in the part (``ROW``), and where the people they join are
    in the people parts (``_blocks.where``), on this worker's disk until the client
    gathers them (held as a task's result, every block's survivors would stay in the
    workers' memory until the last block is done); None for a part without ties."""
    read = opened(block)
    if read is None:
        return None
    cols, hashes = read
    at = _at(hashes, bits)
    parts: list[pa.Array] = []
    tested = masked(masks, ranges, at, compiled, bits)
    for ci, rules in enumerate(_rules(cols, compiled, when)):
        for ri, clauses in enumerate(rules):
            local = _local(tested, ci, ri, clauses)
            parts.extend(c.bindings(local).rows for c in clauses)
    kept = _kept_kinds(compiled)
    if any(k in kept for k in cols.kinds):
        parts.append(pc.indices_nonzero(_lookup([k in kept for k in cols.kinds], cols.kind_codes)))
    rows = sorted_rows(parts, len(cols))
    # the part's text read again (a block keeps codes, not its text nor its ids): the
    # survivors as the part gives them
    table = read_again(block.file, TIE_COLUMNS)
    if table is None or table.num_rows != len(cols):
        raise OSError(f"{block.file} changed while it was checked")
    ends = pc.unique(pa.concat_arrays([pc.take(cols.sources, rows), pc.take(cols.targets, rows)]))
    joined = pc.take(places(block), ends)
    return stored(table.take(rows).append_column(ROW, rows)), stored(joined)


def survivors_of(
    handles: tuple[Stored, Stored] | None,
) -> tuple[pa.Table | None, pa.Array, pa.Array]:
    """A block's survivors gathered (:func:`block_survivors`): (their text, their rows in
    the part, where the people they join are in the people parts)."""
    if handles is None:
        return None, pa.array([], pa.int64()), pa.array([], pa.int64())
    table = loaded(handles[0])
    rows = table.column(ROW).combine_chunks()
    return table.drop_columns([ROW]), rows, values(handles[1])
