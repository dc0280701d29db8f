"""The semi-join pass's sets and masks cut into ranges of hashes, on the workers' disks
(private).

One reduce of every block's sets, and masks read whole by every block, hold every person
the clauses bind in the registry on one worker.  So a person's hash (``bits`` bits) is cut
by its top bits into ``ranges`` ranges (a power of two, :func:`ranges_for`), and:

- each block's round writes ONE file (:func:`stored_sets`, ``_on_disk.stored_by``): its
  sets, each value the hash shifted above the set's index, grouped by range so that each
  range is one slice; which set each clause end has is the file's metadata;
- the files of ``MERGED`` blocks are combined into one of the same form
  (:func:`combined_sets`: each clause end's people in any of them);
- one task a range (:func:`reduce_range`) takes every combined file and reads only its
  range's slice of each (its bytes alone are read): the union of each clause end's people over the
  blocks, then, for each rule's variable, the people every clause end binding it binds;
  its masks are one file, each value a hash shifted above the variable's code;
- the masks of ``MERGED`` ranges are bundled into one file (``_on_disk.bundled``), and
  a block (:func:`masked`) takes the bundles and tests its people one range at a time,
  mapping only its people's ranges, one at a time.

So a task holds one block, ``MERGED`` blocks' sets, or one range of every block's sets,
whatever the registry's size, and the tasks of a round are the blocks plus the ranges
(never blocks times ranges: a task picking each block's share of each range made the
rounds several times slower).  The merges keep each task's dependencies few: Dask keeps
every dependency of every task in the lineage of what the client holds (the last masks
hold every round's), so a reduce depending on every block and a block on every range
made a worker hold blocks times ranges references a round.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from dualrel.rules.plan import CompiledRuleset
from dualrel.scale._members import members
from dualrel.scale._on_disk import (
    Stored,
    mapped_values,
    offsets,
    slice_of,
    stored,
    stored_by,
    whole_of,
)

__all__ = [
    "RANGE_BLOCKS",
    "Codes",
    "codes",
    "combined_sets",
    "mask_size",
    "masked",
    "ranges_for",
    "reduce_range",
    "sorted_set",
    "stored_sets",
]

#: (ruleset, rule, clause, end) of a clause end's set; (ruleset, rule, variable) of a mask
ClauseEnd = tuple[int, int, int, int]
VarKey = tuple[int, int, str]

#: The people of how many blocks a range of hashes holds at most (about): a range's
#: share of the sets and masks then stays the same whatever the registry's size.
RANGE_BLOCKS = 16


@dataclass(frozen=True, slots=True)
class Codes:
    """The positive clause ends of ``compiled`` and the variables they bind, numbered the
    same in every process: ``end_var[e]`` is end ``e``'s variable."""

    ends: tuple[ClauseEnd, ...]
    end_var: tuple[int, ...]
    variables: tuple[VarKey, ...]

    @property
    def end_bits(self) -> int:
        return max(1, len(self.ends).bit_length())

    @property
    def var_bits(self) -> int:
        return max(1, len(self.variables).bit_length())


def codes(compiled: Sequence[CompiledRuleset]) -> Codes:
    """The :class:`Codes` of ``compiled``."""
    ends: list[ClauseEnd] = []
    end_var: list[int] = []
    var_of: dict[VarKey, int] = {}
    for ci, c in enumerate(compiled):
        for ri, r in enumerate(c.rules):
            for k, clause in enumerate(r.rule.match.ties):
                if not clause.exists:
                    continue
                for end, var in enumerate(clause.ends):
                    v = var_of.setdefault((ci, ri, var), len(var_of))
                    ends.append((ci, ri, k, end))
                    end_var.append(v)
    return Codes(tuple(ends), tuple(end_var), tuple(var_of))


def ranges_for(people: int, block_people: int, bits: int) -> int:
    """The ranges of hashes for ``people`` people in blocks of at most ``block_people``
    people each: a power of two (a range is the hash's top bits), at most one for
    ``RANGE_BLOCKS`` blocks' people, and no more than ``bits`` bits can tell apart."""
    ranges = 1
    while ranges * RANGE_BLOCKS * max(1, block_people) < people and ranges < 1 << bits:
        ranges *= 2
    return ranges


def _shift(bits: int, ranges: int) -> int:
    """How far right a hash of ``bits`` bits is shifted to give its range."""
    return bits - (ranges.bit_length() - 1)


def stored_sets(
    found: Mapping[int, pa.Array], end_bits: int, bits: int, ranges: int
) -> Stored | None:
    """A block's sets of a round (each end code's hashes, ascending and distinct) as one
    file on this worker's disk: each distinct set once (rules share clauses), its values
    ``hash << end_bits | set``, grouped by range; None when the block binds nobody."""
    sets: list[pa.Array] = []
    seen: dict[bytes, int] = {}
    set_of_end: dict[int, int] = {}
    for e, values in found.items():
        content = hashlib.sha1(_int64_view(values)).digest()
        s = seen.get(content)
        if s is None:
            s = seen[content] = len(sets)
            sets.append(values)
        set_of_end[e] = s
    if not set_of_end:
        return None
    encoded = [pc.bit_wise_or(pc.shift_left(v, end_bits), s) for s, v in enumerate(sets)]
    together = pa.concat_arrays(encoded)
    keys = pc.shift_right(together, end_bits + _shift(bits, ranges))
    return stored_by(together, keys, ranges, (len(sets), set_of_end))


def sorted_set(values: pa.Array) -> pa.Array:
    """The distinct values, ascending (a set's one form, so that equal sets are equal)."""
    distinct = pc.unique(values)
    return pc.take(distinct, pc.array_sort_indices(distinct))


def combined_sets(
    sets: Sequence[Stored | None], compiled: Sequence[CompiledRuleset], bits: int, ranges: int
) -> Stored | None:
    """The files of ``MERGED`` blocks' round as one such file: each clause end's people in
    any of them (what :func:`reduce_range` takes of them; None when none binds anybody).

    Why: a range's reduce reading every block's file depends on every block's round, and
    Dask keeps each dependency in the lineage of the masks of every later round."""
    eb = codes(compiled).end_bits
    found: dict[int, list[pa.Array]] = {}
    for handle in sets:
        if handle is None:
            continue
        table, (_, set_of_end) = whole_of(handle)
        values = table.column(0).combine_chunks()
        of_set = pc.bit_wise_and(values, (1 << eb) - 1)
        people: dict[int, pa.Array] = {}
        for e, s in set_of_end.items():
            if s not in people:
                people[s] = pc.shift_right(values.filter(pc.equal(of_set, s)), eb)
            found.setdefault(e, []).append(people[s])
        del table, values, of_set
    union = {e: sorted_set(pa.concat_arrays(got)) for e, got in found.items()}
    return stored_sets(union, eb, bits, ranges)


def reduce_range(
    sets: Sequence[Stored | None],
    r: int,
    compiled: Sequence[CompiledRuleset],
    bits: int,
    ranges: int,
) -> Stored:
    """Range ``r``'s masks from every block's file of a round (or every combined file,
    :func:`combined_sets`), reading only the range's slice of each: values
    ``hash << var_bits | variable``, ascending.

    One variable at a time, and for it one clause end at a time (the people its sets
    hold in any block): the range's people for every clause end at once would be its
    values times the ends sharing each set."""
    c = codes(compiled)
    eb, vb = c.end_bits, c.var_bits
    got: list[pa.Array] = []
    hashes: list[pa.Array] = []
    sets_of_end: list[list[int]] = [[] for _ in c.ends]
    base = 0  # each block's sets numbered after the blocks' before it
    for handle in sets:
        if handle is None:
            continue
        table, (count, set_of_end) = slice_of(handle, r)
        if table.num_rows:
            values = table.column(0).combine_chunks()
            got.append(pc.add(pc.bit_wise_and(values, (1 << eb) - 1), base))
            hashes.append(pc.shift_right(values, eb))
            for e, s in set_of_end.items():
                sets_of_end[e].append(base + s)
        base += count
        del table
    nobody = pa.array([], pa.int64())
    if not got:
        return stored(nobody)
    of_set = pa.concat_arrays(got)
    of_hash = pa.concat_arrays(hashes)
    del got, hashes
    ends_of_var: list[list[int]] = [[] for _ in c.variables]
    for e, v in enumerate(c.end_var):
        ends_of_var[v].append(e)
    masks: list[pa.Array] = []
    for v, ends in enumerate(ends_of_var):
        bound: pa.Array | None = None
        for e in ends:
            if not sets_of_end[e]:
                bound = nobody
                break
            wanted = pa.array(sets_of_end[e], pa.int64())
            people = pc.unique(of_hash.filter(pc.is_in(of_set, value_set=wanted)))
            if bound is not None:
                people = people.filter(pc.is_in(people, value_set=bound))
            bound = people
            if not len(bound):
                break
        if bound is not None and len(bound):
            masks.append(pc.bit_wise_or(pc.shift_left(bound, vb), v))
    if not masks:
        return stored(nobody)
    mask = pa.concat_arrays(masks)
    return stored(pc.take(mask, pc.sort_indices(mask)))


def mask_size(masks: Stored) -> int:
    """How many (person, variable) a bundle of ranges' masks let through."""
    return masks.rows


def masked(
    masks: Sequence[Stored],
    ranges: int,
    at: pa.Array,
    compiled: Sequence[CompiledRuleset],
    bits: int,
) -> Mapping[VarKey, pa.Array]:
    """For each variable, whether each of a block's people (``at``: their hashes) is in
    its mask; nothing before the first round's masks (everyone passes).

    Each person is looked up by binary search in its range's masks, memory-mapped
    (``mapped_values``): a block reads the pages its searches touch, not the masks, and
    builds no hash set of them (one for every block, each as large as the registry's
    masks, made the rounds' work grow as the blocks times the registry).  One range at a
    time, every variable's search in it, and its mapping let go before the next: with
    every range mapped at once, a block's searches touched most of the registry's masks
    at 10M people, and held them all.  Only the ranges its people are in are read."""
    if not masks:
        return {}
    c = codes(compiled)
    by = _shift(bits, ranges)
    # the people ascending, so that each search starts where the one before ended (the
    # pages of the masks read once, in order), and each test put back in the block's order
    order = pc.sort_indices(at)
    ascending = pc.take(at, order)
    starts = offsets(pc.shift_right(ascending, by), ranges)
    shifted = pc.shift_left(ascending, c.var_bits)
    needles = [_int64_view(pc.bit_wise_or(shifted, v)) for v in range(len(c.variables))]
    per = -(-ranges // len(masks))  # ranges a bundle (the last may hold fewer)
    found: list[list[pa.Array]] = [[pa.array([], pa.bool_())] for _ in c.variables]
    for r in range(ranges):
        lo, hi = starts[r], starts[r + 1]
        if lo == hi:
            continue
        haystacks = [memoryview(b"")] * r
        haystacks.append(_int64_view(mapped_values(masks[r // per], r % per)))
        for v, of_var in enumerate(needles):
            bitmap = members(haystacks, by + c.var_bits, of_var[lo * 8 : hi * 8])
            found[v].append(
                pa.Array.from_buffers(pa.bool_(), hi - lo, [None, pa.py_buffer(bitmap)])
            )
        del haystacks  # the range's mapping with it
    back = pc.sort_indices(order)
    return {key: pc.take(pa.concat_arrays(found[v]), back) for v, key in enumerate(c.variables)}


def _int64_view(values: pa.Array) -> memoryview:
    """The values of an int64 array without nulls, without a copy (the view holds the
    buffer, and so a mapped file, open)."""
    data = values.buffers()[1]
    if data is None:
        return memoryview(b"")
    return memoryview(data)[values.offset * 8 : (values.offset + len(values)) * 8]
