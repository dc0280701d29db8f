"""Stage 1 of the check on Dask: a split CSV folder read and validated on the workers
(private).

One task per part file reads it with the columnar reader one machine runs
(``_csv_columns._table``) and checks what a row holds alone; the checks across rows are
joins by bucket (each id hashed into one of ``buckets``, one task per bucket): duplicate
person ids within a bucket, and for each ties part the people its ends name.  Each ties
part is then validated by ``validated_columns`` (the one-machine code, every row check)
against those people: a *block*, kept on its worker's disk (``_on_disk``, as is every
table one task gives another).  Duplicate tie ids are a last join by bucket of the
blocks' ids.

Only what is small comes back to the client: whether each task found a problem, the
headers, the role texts of each people part (whose ``unknown-role`` warnings are given
at their first use in the whole section, as one machine gives them) and each block's
warnings.  When any task finds a problem (or a part is outside what the columnar reader
reads alike), the problems are found again on the workers by one machine's row reader
(:mod:`dualrel.scale._problems`).  A part at a URL is copied by the task that reads it
(:func:`local`).
"""

from __future__ import annotations

import contextlib
import zlib
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from dualrel._internal.decode import DecodeError
from dualrel._internal.problems import Collector
from dualrel._internal.reading import check_file, refuse_foreign_text
from dualrel._internal.storage import is_url, mirrored
from dualrel.errors import Problem
from dualrel.graph._arrow_columns import distinct, encode
from dualrel.graph._csv_columns import _table, validated_columns
from dualrel.graph._csv_common import PEOPLE_COLUMNS, TIE_COLUMNS, split_roles
from dualrel.graph._csv_people import read_people
from dualrel.scale._on_disk import (
    Block,
    Stored,
    kept,
    merged,
    slice_of,
    slice_values,
    stored,
    stored_by,
)

__all__ = [
    "PART",
    "PARTS_A_BUCKET",
    "ROW",
    "WHERE",
    "Block",
    "bucket_of",
    "buckets_for",
    "local",
    "merge",
    "merges",
    "parts_and_rows",
    "pick",
    "read_again",
    "regrouped",
    "where",
]

#: The columns a person's row read again carries besides the file's: its part and its
#: row there (names no CSV header can give: a header cell is text without NUL).
PART, ROW = "\0part", "\0row"
#: The column of a person's part and row there as one number (:func:`where`), carried
#: from the people parts through the joins to the blocks: the people of the surviving
#: ties are then read again from their own parts by row, each part sent its own rows
#: (sent every survivor's id, each people part's task held the registry's survivors).
WHERE = "\0where"
#: Ties parts for each bucket of the joins, past two buckets a worker thread
#: (:func:`buckets_for`)
PARTS_A_BUCKET = 16
#: The people file named to ``validated_columns`` for a block's people (its warnings
#: about them are dropped: the people parts give them).
_PEOPLE_HERE = "\0people"


def pick(value: Any, *path: int) -> Any:
    """``value[path[0]][path[1]]...``: a task's result taken apart on its worker."""
    for k in path:
        value = value[k]
    return value


def where(part: int, rows: int) -> pa.Array:
    """Rows ``0..rows-1`` of part ``part``, each as ``part << 32 | row`` (int64)."""
    return pc.add(pa.array(range(rows), pa.int64()), pa.scalar(part << 32, pa.int64()))


def parts_and_rows(places: pa.Array) -> Iterator[tuple[int, pa.Array]]:
    """Each part among ``places`` (values of :func:`where`) with its rows there, distinct
    and ascending (int32), the parts ascending."""
    places = pc.unique(places)
    places = pc.take(places, pc.array_sort_indices(places))
    parts = pc.shift_right(places, 32)
    rows = pc.bit_wise_and(places, (1 << 32) - 1).cast(pa.int32())
    found = pc.value_counts(parts)
    at = 0
    for part, n in zip(
        found.field("values").to_pylist(), found.field("counts").to_pylist(), strict=True
    ):
        # a copy: a slice pickles its whole buffer (every part's rows, to every task)
        yield part, pa.concat_arrays([rows.slice(at, n)])
        at += n


def bucket_of(ids: pa.Array, buckets: int) -> pa.Array:
    """Each id's bucket: a hash the same in every process (Python's own ``hash`` of a
    string is not)."""
    return pa.array([zlib.crc32(i.encode()) % buckets for i in ids.to_pylist()], pa.int32())


def buckets_for(parts: int, threads: int) -> int:
    """The buckets of the joins for ``parts`` ties parts: at least two per worker thread
    (to spread the joins), and more as the parts grow, one for ``PARTS_A_BUCKET`` parts,
    so that a bucket's share of the people stays the same whatever the registry's size."""
    return max(1, min(parts, max(2 * threads, -(-parts // PARTS_A_BUCKET))))


def _split(table_or_array: Any, keys: pa.Array, buckets: int) -> Stored:
    # on the worker's disk, in one file that each bucket's join reads its slice of:
    # every part's share held until every bucket is joined would fill the workers
    return stored_by(table_or_array, keys, buckets)


@contextlib.contextmanager
def local(file: str) -> Iterator[tuple[str, Callable[[str], str]]]:
    """The part ``file`` at a local path, and what names it by ``file`` in a text: itself,
    or for a URL a copy made by this worker (``storage.mirrored``), removed on exit."""
    if not is_url(file):
        yield file, _same
        return
    with mirrored(file) as copied:
        yield copied


def _same(text: str) -> str:
    return text


def _readable(path: str) -> bool:
    try:
        check_file(path, "registry")
        refuse_foreign_text(path)
    except (DecodeError, OSError):
        return False
    return True


def _read(file: str, required: tuple[str, ...]) -> pa.Table | None:
    """A part's text as the columnar reader reads it; None when outside what it reads
    alike (or unreadable: the row reader then says why)."""
    with local(file) as (path, _):
        return _table(path, required) if _readable(path) else None


def read_again(file: str, required: tuple[str, ...]) -> pa.Table | None:
    """A part's text read again (checked when first read), at a path or a URL."""
    with local(file) as (path, _):
        return _table(path, required)


def read_people_part(
    file: str, part: int, buckets: int, roles: Collection[str]
) -> tuple[bool, tuple[str, ...], list[tuple[str, int, str]], Stored | None]:
    """A people part read and checked alone: (no problem, header, each distinct role text
    with the row and id of its first use, the ids and roles grouped by bucket of the
    id)."""
    table = _read(file, PEOPLE_COLUMNS)
    if table is None:
        return False, (), [], None
    ids = table.column("id").combine_chunks()
    if read_people(table, ids, file, roles, Collector()) is None:
        return False, (), [], None
    texts = []
    for text in encode(table.column("roles")).values:
        if text:
            first = pc.index(table.column("roles"), text).as_py()
            texts.append((text, first, ids[first].as_py()))
    header = tuple(table.column_names)
    # what the checks across rows read of a person: the other columns are read again for
    # the people of the ties that survive (``people_rows``)
    checked = table.select(list(PEOPLE_COLUMNS)).append_column(WHERE, where(part, len(ids)))
    return True, header, texts, _split(checked, bucket_of(ids, buckets), buckets)


def people_rows(file: str, part: int, rows: pa.Array) -> Stored:
    """Rows ``rows`` (ascending) of people part ``part``, with ``PART`` and ``ROW``
    (their row in the part), on this worker's disk until the client gathers them (held
    as tasks' results, every part's would stay in the workers' memory until the last
    part is read, as the blocks' survivors would)."""
    table = read_again(file, PEOPLE_COLUMNS)
    if table is None:
        raise OSError(f"{file} changed while it was checked")
    out = table.take(rows)
    out = out.append_column(PART, pa.array([part] * len(rows), pa.int32()))
    return stored(out.append_column(ROW, rows.cast(pa.int32())))


def read_ties_part(file: str, buckets: int) -> tuple[int | None, tuple[str, ...], Stored | None]:
    """A ties part read: (its rows, None when outside the columnar reader; its header; the
    distinct ids its ends name, grouped by bucket).  Its text is read again to validate
    it: held until every bucket is joined, the parts' text would fill the workers."""
    table = _read(file, TIE_COLUMNS)
    if table is None:
        return None, (), None
    ends = pc.unique(
        pa.concat_arrays(
            [table.column("source").combine_chunks(), table.column("target").combine_chunks()]
        )
    )
    return (
        table.num_rows,
        tuple(table.column_names),
        _split(ends, bucket_of(ends, buckets), buckets),
    )


def merge(handles: Sequence[Stored], keys: range, first: int | None = None) -> Stored:
    """Keys ``keys`` of files grouped by bucket (or ties part) as one file
    (``_on_disk.merged``); with ``first``, each row tagged with its file's ties part
    (``PART``), ``first`` for the first."""
    if first is None:
        return merged(handles, keys)
    return merged(handles, keys, PART, first)


def merges(
    submit: Callable[..., Any], files: Sequence[Any], count: int, by: int, tagged: bool = False
) -> list[Any]:
    """The futures of ``files`` (each grouped in ``count`` keys) merged ``by`` files at a
    time, in order: each file of ``by`` files' rows (``_on_disk.MERGED``)."""
    return [
        submit(merge, files[i : i + by], range(count), i if tagged else None, pure=False)
        for i in range(0, len(files), by)
    ]


def regrouped(submit: Callable[..., Any], files: Sequence[Any], count: int, by: int) -> list[Any]:
    """The futures of ``files`` (each grouped in ``count`` keys) regrouped ``by`` keys at a
    time: key ``k`` is key ``k % by`` of the ``k // by``-th (each file of ``by`` keys'
    rows, where a merge of ``by`` whole files of every key's would hold ``by`` times
    the keys' rows)."""
    return [
        submit(merge, files, range(k, min(k + by, count)), pure=False) for k in range(0, count, by)
    ]


def join_bucket(
    people: Sequence[Stored], ends: Sequence[Stored], k: int, parts: int
) -> tuple[bool, Stored | None]:
    """Bucket ``k``'s join, reading its slice of every merge of the people parts' files
    and of the ties parts' (each end tagged with its ties part, ``PART``): (no person id
    given twice, the people whose ids each of the ``parts`` ties parts' ends name,
    grouped by ties part, each part's in the order of the bucket's people)."""
    table = pa.concat_tables([slice_of(p, k)[0] for p in people])
    ids = table.column("id").combine_chunks()
    if not distinct(ids):
        return False, None
    named = pa.concat_tables([slice_of(e, k)[0] for e in ends])
    at = pc.index_in(named.column("values"), value_set=ids)
    found = pa.table({"part": named.column(PART), "row": at}).filter(pc.is_valid(at))
    # a part's ends are distinct: each of its people once
    order = pc.sort_indices(found, sort_keys=[("part", "ascending"), ("row", "ascending")])
    found = found.take(order)
    rows = found.column("row").combine_chunks()
    return True, stored_by(table.take(rows), found.column("part").combine_chunks(), parts)


def validate_block(
    file: str,
    t: int,
    rows: int,
    people: tuple[Stored, int],
    buckets: int,
    *,
    kinds: Mapping[str, bool],
    roles: Collection[str],
) -> tuple[Block | None, tuple[Problem, ...], Stored | None]:
    """Ties part ``t`` of ``rows`` rows, read again, validated against the people its ends
    name (the buckets' joins' rows for it, regrouped, :func:`regrouped`: ``people``, the
    file and the part's key there): (the block, None when a row has a problem; its
    warnings; its tie ids grouped by bucket)."""
    named = slice_of(*people)[0]
    # each person code's part and row (person ``i`` of the columns is row ``i`` of
    # ``named``), kept in the block; the reader is given the part's columns alone
    places = named.column(WHERE).combine_chunks()
    named = named.drop_columns([WHERE])
    table = read_again(file, TIE_COLUMNS)
    if table is None or table.num_rows != rows:
        raise OSError(f"{file} changed while it was checked")
    if table.num_rows == 0:
        nothing = pa.array([], pa.string())
        keys = pa.array([], pa.int32())
        empty = pa.array([], pa.int64())
        return kept(file, None, empty, empty), (), _split(nothing, keys, buckets)
    read = validated_columns(named, table, _PEOPLE_HERE, file, kinds=kinds, roles=roles)
    if read is None:
        return None, (), None
    warnings = tuple(p for p in read.warnings.warnings if p.file == file)
    ids = read.ties.ids
    codes = pa.array([zlib.crc32(p.encode()) for p in read.ties.people], pa.int64())
    return (
        kept(file, read.ties, codes, places),
        warnings,
        _split(ids, bucket_of(ids, buckets), buckets),
    )


def unique_bucket(ids: Sequence[Stored], k: int) -> bool:
    """No tie id of bucket ``k`` given twice (its slice of every merge of the blocks'
    files)."""
    return distinct(pa.concat_arrays([slice_values(i, k) for i in ids]))


def role_warnings(
    files: Sequence[str], texts: Sequence[Sequence[tuple[str, int, str]]], roles: Collection[str]
) -> list[Problem]:
    """The ``unknown-role`` warnings of the people parts, each at the first use of its
    role text in the section (the order one machine gives them in)."""
    w = Collector()
    seen: set[str] = set()
    for file, part in zip(files, texts, strict=True):
        for text, row, pid in part:
            if text not in seen:
                seen.add(text)
                split_roles(text, roles, w, file, row + 2, pid)
    return w.warnings
