"""The semi-join pass's sets and masks cut into ranges of hashes (``dualrel.scale._ranges``):
the ranges partition a block's sets, the reduce of every range together is the one
reduce of every set (held to the pass's definition in plain Python sets), and a task
reads only its range of a file."""

from __future__ import annotations

import os
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dualrel.check import load_rulesets
from dualrel.rules import compile_ruleset
from dualrel.rules.plan import CompiledRuleset
from dualrel.scale import _on_disk, _ranges
from dualrel.scale._on_disk import MERGED, Stored, bundled, loaded, slice_of, stored

COMPILED: list[CompiledRuleset] = [compile_ruleset(rs) for rs in load_rulesets(["coaching-core"])]
CODES = _ranges.codes(COMPILED)
ENDS = len(CODES.ends)

bits_st = st.sampled_from([2, 5, 32])
ranges_log_st = st.integers(0, 5)


def _hashes(bits: int) -> st.SearchStrategy[int]:
    return st.integers(0, (1 << bits) - 1)


def _found(bits: int) -> st.SearchStrategy[dict[int, set[int]]]:
    # a block's sets: some clause ends, each with the hashes of the people it binds
    return st.dictionaries(st.integers(0, ENDS - 1), st.sets(_hashes(bits), max_size=30))


def _arrays(found: dict[int, set[int]]) -> dict[int, pa.Array]:
    return {e: pa.array(sorted(v), pa.int64()) for e, v in found.items()}


def _slice(handle: Stored, r: int) -> list[tuple[int, int]]:
    """Range ``r``'s (end, hash) pairs in a block's file."""
    table, (_, set_of_end) = slice_of(handle, r)
    eb = CODES.end_bits
    values = table.column(0).to_pylist()
    return [(e, v >> eb) for v in values for e, s in set_of_end.items() if v & ((1 << eb) - 1) == s]


@settings(max_examples=60, deadline=None)
@given(data=st.data(), bits=bits_st, ranges_log=ranges_log_st)
def test_the_ranges_partition_a_blocks_sets(data: Any, bits: int, ranges_log: int) -> None:
    ranges = min(1 << ranges_log, 1 << bits)
    found = data.draw(_found(bits))
    handle = _ranges.stored_sets(_arrays(found), CODES.end_bits, bits, ranges)
    if not found:
        assert handle is None
        return
    assert handle is not None
    shift = bits - (ranges.bit_length() - 1)
    union: set[tuple[int, int]] = set()
    for r in range(ranges):
        got = _slice(handle, r)
        assert all(h >> shift == r for _, h in got)  # a range holds its own hashes alone
        assert not union & set(got)  # and no other range's
        union |= set(got)
    assert union == {(e, h) for e, hs in found.items() for h in hs}


def _expected(blocks: list[dict[int, set[int]]]) -> set[tuple[int, int]]:
    """The masks as the pass defines them: a clause end's people in any block; a
    variable's, those every end binding it binds (nobody when an end binds nobody)."""
    out: dict[int, set[int]] = {}
    for e, v in enumerate(CODES.end_var):
        bound = set().union(*(b.get(e, set()) for b in blocks))
        out[v] = bound if v not in out else out[v] & bound
    return {(v, h) for v, hs in out.items() for h in hs}


def _decoded(handle: Stored) -> set[tuple[int, int]]:
    vb = CODES.var_bits
    return {(x & ((1 << vb) - 1), x >> vb) for x in loaded(handle).column(0).to_pylist()}


@settings(max_examples=40, deadline=None)
@given(
    data=st.data(),
    bits=bits_st,
    ranges_log=ranges_log_st,
    n=st.integers(1, 4),
    merged=st.integers(1, 3),
)
def test_every_ranges_reduce_together_is_the_one_reduce(
    data: Any, bits: int, ranges_log: int, n: int, merged: int
) -> None:
    ranges = min(1 << ranges_log, 1 << bits)
    blocks = [data.draw(_found(bits)) for _ in range(n)]
    # a clause end bound in every block more often than by chance, so that masks are not
    # mostly empty
    common = data.draw(st.sets(_hashes(bits), max_size=10))
    for b in blocks:
        for e in range(ENDS):
            if e % 2 == 0:
                b.setdefault(e, set()).update(common)
    files = [_ranges.stored_sets(_arrays(b), CODES.end_bits, bits, ranges) for b in blocks]
    # the blocks' files combined ``merged`` at a time first (as on Dask) or not
    combined = [
        _ranges.combined_sets(files[i : i + merged], COMPILED, bits, ranges)
        for i in range(0, n, merged)
    ]
    shift = bits - (ranges.bit_length() - 1)
    union: set[tuple[int, int]] = set()
    sizes = 0
    for r in range(ranges):
        masks = _ranges.reduce_range(files, r, COMPILED, bits, ranges)
        assert _decoded(_ranges.reduce_range(combined, r, COMPILED, bits, ranges)) == _decoded(
            masks
        )
        got = _decoded(masks)
        assert all(h >> shift == r for _, h in got)
        values = loaded(masks).column(0).to_pylist()
        assert values == sorted(set(values))  # ascending, each once
        sizes += _ranges.mask_size(masks)
        union |= got
    assert union == _expected(blocks)
    assert sizes == len(union)


@settings(max_examples=40, deadline=None)
@given(data=st.data(), bits=bits_st, ranges_log=ranges_log_st)
def test_a_blocks_people_are_tested_against_their_ranges_masks(
    data: Any, bits: int, ranges_log: int
) -> None:
    ranges = min(1 << ranges_log, 1 << bits)
    people = data.draw(st.lists(_hashes(bits), max_size=40))
    n_vars = len(CODES.variables)
    wanted = data.draw(st.sets(st.tuples(st.integers(0, n_vars - 1), _hashes(bits))))
    shift = bits - (ranges.bit_length() - 1)
    vb = CODES.var_bits
    masks = [
        stored(pa.array(sorted(h << vb | v for v, h in wanted if h >> shift == r), pa.int64()))
        for r in range(ranges)
    ]
    bundles = [bundled(masks[i : i + MERGED]) for i in range(0, ranges, MERGED)]
    at = pa.array(people, pa.int64())
    got = _ranges.masked(bundles, ranges, at, COMPILED, bits)
    assert set(got) == set(CODES.variables)
    for v, key in enumerate(CODES.variables):
        assert got[key].to_pylist() == [(v, h) in wanted for h in people]
    assert _ranges.masked([], ranges, at, COMPILED, bits) == {}  # before the first round


def test_a_ranges_reduce_reads_its_slice_alone() -> None:
    """The other ranges of a block's file are overwritten with another hash: the reduce
    of range 1 reads only its slice and gives the masks of the file as written."""
    bits, ranges = 4, 4  # ranges by the hash's top 2 bits: range 1 is hashes 4 to 7
    block = {e: {1, 5, 6, 13} for e in range(ENDS)}  # one set: every variable binds them
    good = _ranges.stored_sets(_arrays(block), CODES.end_bits, bits, ranges)
    assert good is not None
    batches, meta = _on_disk._read(good)  # a batch a range
    other = 15 << CODES.end_bits  # hash 15 of set 0
    junk = [
        b if r == 1 else pa.record_batch([pa.array([other] * b.num_rows, pa.int64())], ["values"])
        for r, b in enumerate(batches)
    ]
    handle = _on_disk._written(batches[0].schema, junk, meta)
    expected = _decoded(_ranges.reduce_range([good], 1, COMPILED, bits, ranges))
    assert expected == {(v, h) for v in range(len(CODES.variables)) for h in (5, 6)}
    assert _decoded(_ranges.reduce_range([handle], 1, COMPILED, bits, ranges)) == expected
    # the junk is there to be read: range 0's reduce reads it
    assert {h for _, h in _decoded(_ranges.reduce_range([handle], 0, COMPILED, bits, ranges))} == {
        15
    }


def test_a_block_reads_only_the_masks_of_its_peoples_ranges() -> None:
    bits, ranges = 8, 4 * MERGED  # ranges by the hash's top 6 bits: range 17 is hash 68
    vb = CODES.var_bits
    masks = [stored(pa.array([], pa.int64())) for _ in range(ranges)]
    masks[17] = stored(pa.array([68 << vb], pa.int64()))  # variable 0, hash 68
    bundles = [bundled(masks[i : i + MERGED]) for i in range(0, ranges, MERGED)]
    for b in (0, 2, 3):  # the other bundles' files absent
        os.remove(bundles[b].path)
    at = pa.array([68, 69, 68], pa.int64())  # every person in range 17, of bundle 1
    got = _ranges.masked(bundles, ranges, at, COMPILED, bits)
    assert got[CODES.variables[0]].to_pylist() == [True, False, True]
    assert not any(pc.any(got[k]).as_py() for k in CODES.variables[1:])


@pytest.mark.parametrize(
    ("people", "block_people", "bits", "ranges"),
    [
        (0, 0, 32, 1),
        (100, 100, 32, 1),
        (1_000_000, 10_000, 32, 8),  # 100 blocks' people: about one range for 16 blocks
        (10_000_000, 10_000, 32, 64),
        (10_000_000, 10_000, 2, 4),  # no more ranges than the hash's bits tell apart
    ],
)
def test_ranges_grow_with_the_people_not_the_block(
    people: int, block_people: int, bits: int, ranges: int
) -> None:
    got = _ranges.ranges_for(people, block_people, bits)
    assert got == ranges
    assert got & (got - 1) == 0
    assert got == 1 << bits or got * _ranges.RANGE_BLOCKS * max(1, block_people) >= people


@settings(max_examples=80, deadline=None)
@given(
    haystacks=st.lists(st.sets(st.integers(0, 63)), min_size=1, max_size=4),
    needles=st.lists(st.integers(-3, 300)),
    shift=st.integers(0, 7),
)
def test_members_is_a_binary_search_of_each_needles_haystack(
    haystacks: list[set[int]], needles: list[int], shift: int
) -> None:
    """``dualrel.scale._members.members``: a needle is found in ``haystacks[needle >> shift]``
    only (a negative one, or one past the last haystack, nowhere), as Arrow's bitmap."""
    from dualrel.scale._members import members  # noqa: PLC0415

    arrays = [pa.array(sorted(h), pa.int64()) for h in haystacks]
    views = [a.buffers()[1] or b"" for a in arrays]
    # in any order, and ascending (each search then starts where the one before ended)
    for order in (needles, sorted(needles)):
        bitmap = members(views, shift, pa.array(order, pa.int64()).buffers()[1] or b"")
        got = pa.Array.from_buffers(pa.bool_(), len(order), [None, pa.py_buffer(bitmap)])
        expected = [
            n >= 0 and (n >> shift) < len(haystacks) and n in haystacks[n >> shift] for n in order
        ]
        assert got.to_pylist() == expected


def test_members_refuses_what_is_not_int64() -> None:
    from dualrel.scale._members import members  # noqa: PLC0415

    with pytest.raises(ValueError, match="not an aligned buffer of int64"):
        members([b"abc"], 0, b"")
    with pytest.raises(ValueError, match="needles"):
        members([], 0, b"12345")
    with pytest.raises(ValueError, match="shift"):
        members([], 64, b"")
    with pytest.raises(TypeError):
        members(3, 0, b"")
