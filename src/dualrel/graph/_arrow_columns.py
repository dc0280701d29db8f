"""What the columnar readers share (private): pyarrow's memory pool, encoded columns,
objects filled a column at a time.

A column is kept as its distinct values plus one int32 code per row
(:class:`Encoded`), so that each distinct value is checked and made once; objects are
made only when asked for, their slots filled a column at a time (:func:`fill`).
"""

from __future__ import annotations

from array import array
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import pairwise, repeat
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from dualrel.graph._locations import LineArray, LineMap, LineRuns, PartLines

__all__ = [
    "POOL",
    "Encoded",
    "distinct",
    "encode",
    "fill",
    "ints",
    "line_map",
    "lines",
    "lines_of",
    "rows_of",
]


def _memory_pool() -> Any:
    """jemalloc where pyarrow has it: freed memory goes back on ``release_unused`` in a way
    that leaves the most room for the graph built next (of pyarrow's default mimalloc, the
    C library's allocator and jemalloc, it gave the lowest peak for load plus graph at a
    million people)."""
    try:
        return pa.jemalloc_memory_pool()
    except NotImplementedError:  # a build without jemalloc
        return pa.default_memory_pool()


POOL = _memory_pool()


@dataclass(frozen=True, slots=True)
class Encoded:
    """A column as its distinct values (in order of first appearance) and each row's code."""

    values: list[Any]
    codes: pa.Array  # int32

    def expand(self, values: list[Any] | None = None) -> list[Any]:
        """Each row's value (or its code's entry in ``values``), the objects shared."""
        return list(self.lazy(values))

    def lazy(self, values: list[Any] | None = None) -> Iterator[Any]:
        """:meth:`expand` one row at a time, with no list of them all."""
        return map((self.values if values is None else values).__getitem__, ints(self.codes))

    def at(self, row: int, values: list[Any] | None = None) -> Any:
        """One row's value."""
        return (self.values if values is None else values)[self.codes[row].as_py()]


def encode(column: pa.ChunkedArray | pa.Array) -> Encoded:
    enc = pc.dictionary_encode(column, memory_pool=POOL)
    if isinstance(enc, pa.ChunkedArray):
        enc = enc.combine_chunks(memory_pool=POOL)
    return Encoded(enc.dictionary.to_pylist(), enc.indices)


def ints(array: pa.Array) -> memoryview:
    """The int32 values of an array without nulls, read in place (no int object per row
    is kept: a list of three million ints is a hundred megabytes)."""
    data = memoryview(array.buffers()[1]).cast("i")
    return data[array.offset : array.offset + len(array)]


#: Ascending runs :func:`distinct` compares by their first and last values, at most.
_RUNS = 64


def distinct(values: pa.Array) -> bool:
    """Whether no value repeats.  Values in a few strictly ascending runs whose ranges do
    not overlap (a registry exported in id order, or a few such exports one after another)
    are told by one comparison of neighbours; others by a hash in C (at three million ids
    the comparison takes a hundredth of the hash's time)."""
    n = len(values)
    if n < 2:
        return True
    ascending = pc.less(values.slice(0, n - 1), values.slice(1), memory_pool=POOL)
    breaks = pc.indices_nonzero(pc.invert(ascending)).to_pylist()
    if len(breaks) < _RUNS:
        firsts, lasts = [0, *(b + 1 for b in breaks)], [*breaks, n - 1]
        spans = sorted(
            (values[a].as_py(), values[b].as_py()) for a, b in zip(firsts, lasts, strict=True)
        )
        if all(low[1] < high[0] for low, high in pairwise(spans)):
            return True
    return len(pc.unique(values, memory_pool=POOL)) == n


def rows_of(codes: pa.Array, n: int) -> pa.Array:
    """The distinct values of ``codes`` (each below ``n``), ascending, as int64: one pass
    to mark them in a mask of ``n`` entries, one to read it (no hash, no sort)."""
    if not len(codes):
        return pa.array([], pa.int64())
    if pa.types.is_unsigned_integer(codes.type):  # rows from indices_nonzero
        codes = codes.cast(pa.int64())
    marks = pc.scatter(pc.is_valid(codes), codes, max_index=n - 1, memory_pool=POOL)
    return pc.indices_nonzero(pc.is_valid(marks)).cast(pa.int64())


def lines(n: int) -> LineRuns:
    """Row i on line i + 2: the file was checked to hold one row per line, no blank line."""
    runs = LineRuns()
    if n:
        runs.starts.append(0)
        runs.offsets.append(2)
    runs.count = n
    return runs


def line_map(lines: array[int]) -> LineRuns | LineArray:
    """The map of records to ``lines`` (record i on ``lines[i]``): one run when they
    follow each other line by line, else ``lines`` themselves."""
    n = len(lines)
    if n and lines[n - 1] - lines[0] == n - 1:
        octets = pa.py_buffer(lines)
        at = pa.Array.from_buffers(
            pa.int64() if lines.itemsize == 8 else pa.int32(), n, [None, octets]
        )
        if pc.all(pc.equal(pc.subtract(at.slice(1), at.slice(0, n - 1)), 1)).as_py() is not False:
            runs = LineRuns()
            runs.starts.append(0)
            runs.offsets.append(lines[0])
            runs.count = n
            return runs
    return LineArray(lines)


def lines_of(runs: LineRuns | PartLines | LineArray, rows: pa.Array) -> LineMap:
    """The lines of the records at ``rows`` (ascending), one entry each (and, for a split
    folder's records, each one's file)."""
    if isinstance(runs, PartLines):
        return runs.take(rows.to_pylist())
    if isinstance(runs, LineArray):
        return LineArray(array("l", map(runs.lines.__getitem__, rows.to_pylist())))
    at = LineArray()
    if len(runs.starts) == 1 and runs.starts[0] == 0:  # one row per line, as read
        offset = runs.offsets[0]
        at.lines.extend(i + offset for i in rows.to_pylist())
    else:
        at.lines.extend(runs.line(i) or 0 for i in rows.to_pylist())
    return at


#: Objects filled per block: each slot is set a column at a time over a block small enough
#: to stay in the processor's cache, not over millions of objects that are not.
_FILL_BLOCK = 1 << 15


def fill(
    new: tuple[Any, ...], cls: type[Any], n: int, columns: Sequence[Iterable[Any]]
) -> list[Any]:
    """``n`` objects of ``cls``, each slot filled a column at a time (no Python frame per
    row); ``columns`` are the slots' values in order, each at least ``n`` long."""
    objects = list(map(new[0], repeat(cls, n)))
    setters = new[1:]
    values = [iter(c) for c in columns]
    for at in range(0, n, _FILL_BLOCK):
        block = objects[at : at + _FILL_BLOCK]
        for setter, column in zip(setters, values, strict=True):
            # ``block`` first: map stops at its end without taking a value past it
            deque(map(setter, block, column), maxlen=0)
    return objects
