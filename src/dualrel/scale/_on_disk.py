"""A validated block kept on its worker's local disk between the rounds of the semi-join
pass (private).

Held in a worker's memory, the blocks of every ties part a worker validated stayed there
through all the rounds: a worker then held the registry divided by the workers, not one
block.  So a block is written once, as Arrow IPC files in the worker's local directory
(``distributed.get_worker().local_directory``), and the future holds only a
:class:`Block`, a handle naming them: each task of the pass maps them back
(:func:`opened`) and lets them go when it ends.

What is kept is what the clauses' own tests read (``_prune_columns._Table``): the code
columns of the ties and of their people, the distinct values they index, and a hash of
each person's id; not the tie ids nor the people's ids (the survivors' text and ids are
read again from the part at the end).

The same holds for any table a task gives another (:class:`Stored`, :func:`stored`,
:func:`loaded`): the results of stage 1's shuffles, held until every bucket is joined,
would also fill the workers with the registry.

A handle sent to another worker (a task moved there, Dask's work stealing; or gathered)
carries its file's bytes and is written again to that worker's directory as it arrives,
so a task finds its table wherever it runs; a worker lost takes its handles with it, and
Dask makes them again from their lineage, as for any result.  A file goes when its
handle is released (its last reference in the worker's process dropped).
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import mmap
import os
import pickle
import shutil
import tempfile
import uuid
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, SupportsIndex

try:
    import fcntl
except ImportError:  # not on POSIX: no lock, and no folder left is removed
    fcntl = None  # type: ignore[assignment]

import pyarrow as pa
import pyarrow.compute as pc

from dualrel.graph._locations import LineArray
from dualrel.graph.columns import TieColumns

__all__ = [
    "MERGED",
    "Block",
    "Stored",
    "bundled",
    "kept",
    "loaded",
    "mapped_values",
    "merged",
    "offsets",
    "opened",
    "places",
    "slice_of",
    "slice_values",
    "stored",
    "stored_by",
    "values",
    "whole_of",
]

#: The files each merge takes (:func:`merged`, :func:`bundled`): where a task would read
#: its slice of every one of many files, it reads its slice of every merge of them
MERGED = 16

_TIES = ("kind_codes", "sources", "targets", "start_codes", "end_codes", "attribute_codes")
_PEOPLE = ("role_codes", "hashes", "places")
#: the schema metadata key of the distinct values the code columns index (pickled)
_VALUES = b"dualrel.values"
#: the schema metadata key of a file of :func:`stored_by`'s ``meta`` (pickled)
_SLICES = b"dualrel.slices"


@dataclass(frozen=True, slots=True, weakref_slot=True)
class Stored:
    """An Arrow table written to this worker's local disk."""

    path: str
    rows: int
    size: int  # the file's bytes

    def __reduce_ex__(self, protocol: SupportsIndex) -> tuple[Any, ...]:
        with open(self.path, "rb") as f:
            if int(protocol) < 5:  # pickle's first protocol of out-of-band buffers
                return _arrived, (f.read(), self.rows)
            # the file mapped, as a buffer that protocol 5 can hand out of band: Dask
            # sends it from the mapped pages as a frame of its own, where the file read
            # whole put a copy of every table of a message in the sender's memory at once
            view = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        return _arrived, (pickle.PickleBuffer(view), self.rows)

    def __sizeof__(self) -> int:
        # what sending it costs (its file's bytes, the frame sent), which Dask
        # reads (``dask.sizeof``) to cut a worker's fetches into messages of at most
        # ``distributed.worker.transfer.message-bytes-limit`` and to budget what is in
        # flight: sized as the handle alone, every table a task needs from a worker was
        # asked for in one message, its sender reading them all into memory at once
        return object.__sizeof__(self) + self.size


@dataclass(frozen=True, slots=True)
class Block:
    """A ties part read and validated on a worker, as tables on that worker's disk."""

    file: str  # the ties part
    ties: Stored | None  # None for a part without ties
    people: Stored | None

    def __sizeof__(self) -> int:
        # its tables travel with it (``Stored.__sizeof__``)
        tables = (t for t in (self.ties, self.people) if t is not None)
        return object.__sizeof__(self) + sum(t.__sizeof__() for t in tables)


#: This process's folder for its tables, by the directory it was made in
_FOLDERS: dict[str, str] = {}
_PREFIX = "dualrel-tables-"


def _base() -> str:
    """Where this process keeps its tables: its Dask worker's local directory (which the
    worker removes when it closes, and a worker started later in the same place when
    this one was killed), else the system's temporary folder (the client, a test)."""
    try:
        from distributed import get_worker  # noqa: PLC0415
        from distributed.worker import Worker  # noqa: PLC0415
    except ImportError:
        return tempfile.gettempdir()
    try:
        return str(get_worker().local_directory)
    except ValueError:
        # not in a task: a handle arriving from another worker is unpickled by the
        # worker's communication, where ``get_worker`` finds no worker; its file goes
        # to this process's worker all the same (a process of the client has none)
        worker = next(iter(list(getattr(Worker, "_instances", ()))), None)
        if worker is not None:
            return str(worker.local_directory)
    return tempfile.gettempdir()


def _directory() -> str:
    """A folder of this process's own, readable by its user alone (the tables hold
    people's ids, roles and tie attributes), made once in :func:`_base` (where a folder
    of a fixed name could be another user's).  The process holds a lock on a file in it
    for as long as it runs, so that the folders of processes that ended without removing
    theirs (killed) are removed when the next is made, and no folder of a process that
    still runs (in this process namespace or another sharing the folder)."""
    base = _base()
    folder = _FOLDERS.get(base)
    if folder is None or not os.path.isdir(folder):
        _remove_orphans(base)
        folder = tempfile.mkdtemp(prefix=f"{_PREFIX}{os.getpid()}-", dir=base)
        _hold(folder)
        _FOLDERS[base] = folder
        atexit.register(_remove_folder, folder)
    return folder


#: The open lock file of each folder of this process's (its lock held until the end)
_LOCKS: dict[str, Any] = {}
_LOCK = ".lock"


def _hold(folder: str) -> None:
    if fcntl is None:
        return
    handle = open(os.path.join(folder, _LOCK), "wb")  # noqa: SIM115 (held while running)
    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    _LOCKS[folder] = handle


def _remove_orphans(base: str) -> None:
    """Remove the table folders in ``base`` whose process no longer runs: their lock
    file can be locked (a lock goes with its process, however it ended)."""
    if fcntl is None:
        return
    with contextlib.suppress(OSError):
        for entry in os.scandir(base):
            if not entry.name.startswith(_PREFIX) or entry.path in _LOCKS:
                continue
            with contextlib.suppress(OSError):
                if entry.is_dir(follow_symlinks=False) and _ended(entry.path):
                    shutil.rmtree(entry.path, ignore_errors=True)


def _ended(folder: str) -> bool:
    """Whether the process that made ``folder`` no longer holds its lock (a folder
    without a lock file, made before the lock or being made now, is left alone)."""
    assert fcntl is not None
    try:
        handle = open(os.path.join(folder, _LOCK), "rb")  # noqa: SIM115
    except OSError:
        return False
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        return True


def _remove_folder(folder: str) -> None:
    """The folder and every table left in it, as the process ends (a handle sent to
    another process carries its file's bytes: none needs this folder after it)."""
    handle = _LOCKS.pop(folder, None)
    if handle is not None:
        handle.close()
    shutil.rmtree(folder, ignore_errors=True)


def _remove(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.remove(path)


def _handle(path: str, rows: int) -> Stored:
    handle = Stored(path, rows, os.path.getsize(path))
    weakref.finalize(handle, _remove, path)
    return handle


def _arrived(data: bytes | memoryview, rows: int) -> Stored:
    """A handle unpickled: its file written again where it arrived."""
    path = os.path.join(_directory(), uuid.uuid4().hex + ".arrow")
    view = memoryview(data)
    with open(path, "wb") as f:
        # in pieces: written whole, the file went into the page cache in large folios,
        # and a task mapping it and reading a little of it (a block's searches in the
        # masks, ``mapped_values``) was given the whole folios around what it read
        for at in range(0, len(view), _PIECE):
            f.write(view[at : at + _PIECE])
    return _handle(path, rows)


#: bytes a write of a file that arrived (:func:`_arrived`)
_PIECE = 1 << 16


def stored(table: pa.Table | pa.Array) -> Stored:
    """``table`` written to this worker's disk (an array as a table of one column)."""
    if isinstance(table, pa.Array):
        table = pa.table([table], names=["values"])
    path = os.path.join(_directory(), uuid.uuid4().hex + ".arrow")
    with pa.OSFile(path, "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    return _handle(path, table.num_rows)


def offsets(keys: pa.Array, count: int) -> list[int]:
    """Where each key of ``range(count)`` starts among ``keys`` in ascending order (and
    where the last ends)."""
    counts = dict.fromkeys(range(count), 0)
    if len(keys):
        found = pc.value_counts(keys)
        listed = zip(
            found.field("values").to_pylist(), found.field("counts").to_pylist(), strict=True
        )
        for k, n in listed:
            counts[k] = n
    out = [0]
    for k in range(count):
        out.append(out[-1] + counts[k])
    return out


def stored_by(table: pa.Table | pa.Array, keys: pa.Array, count: int, meta: Any = None) -> Stored:
    """``table``'s rows grouped by their key (``keys``, each in ``range(count)``) in ONE
    file on this worker's disk, each key's rows in their order as one record batch, with
    ``meta`` (pickled): one task writes a file and each task reading a key reads only that
    key's batch (:func:`slice_of`), where a file for each key needs a task for each writer
    and key to hand each its share."""
    if isinstance(table, pa.Array):
        table = pa.table([table], names=["values"])
    order = pc.sort_indices(keys)  # stable: each key's rows keep their order
    whole = _one_batch(table.take(order))
    at = offsets(pc.take(keys, order), count)
    pieces = (whole.slice(at[k], at[k + 1] - at[k]) for k in range(count))
    return _written(whole.schema, pieces, meta)


def _one_batch(table: pa.Table) -> pa.RecordBatch:
    columns = [c.combine_chunks() for c in table.columns]
    return pa.RecordBatch.from_arrays(columns, schema=table.schema.remove_metadata())


def _written(schema: pa.Schema, batches: Iterable[pa.RecordBatch], meta: Any) -> Stored:
    """A file of :func:`stored_by`, its key ``k`` the ``k``-th of ``batches``."""
    layout = pickle.dumps(meta, protocol=pickle.HIGHEST_PROTOCOL)
    path = os.path.join(_directory(), uuid.uuid4().hex + ".arrow")
    rows = 0
    with (
        pa.OSFile(path, "wb") as sink,
        pa.ipc.new_file(sink, schema.with_metadata({_SLICES: layout})) as writer,
    ):
        for batch in batches:
            writer.write_batch(batch)
            rows += batch.num_rows
    return _handle(path, rows)


def _read(handle: Stored, keys: Iterable[int] | None = None) -> tuple[list[pa.RecordBatch], Any]:
    """Keys ``keys`` (every key: None) of a file of :func:`stored_by`, and its ``meta``.

    Read, not memory-mapped: mapping a file to read a key, a task was given the pages
    around the key's bytes in every buffer (the page cache's large folios), so that a
    task reading a key of each of many files held most of the files (a regrouping of the
    joins at 10M people in 1600 parts held several times its rows)."""
    with pa.OSFile(handle.path) as f:
        reader = pa.ipc.open_file(f)
        wanted = range(reader.num_record_batches) if keys is None else keys
        batches = [reader.get_batch(k) for k in wanted]
        meta = pickle.loads((reader.schema.metadata or {})[_SLICES])
    return batches, meta


def _table(batches: list[pa.RecordBatch]) -> pa.Table:
    return pa.Table.from_batches(batches).replace_schema_metadata(None)


def merged(
    handles: Sequence[Stored], keys: range, tag: str | None = None, first: int = 0
) -> Stored:
    """Keys ``keys`` of files of :func:`stored_by` (no ``meta``) as one such file, its key
    ``j`` key ``keys[j]``: the rows of every file in turn, and with ``tag``, a column of
    that name giving each row its file's number, ``first`` for the first (int32).

    Why: a task reading its key's slice of every one of ``n`` files depends on ``n``
    tasks, and Dask keeps each dependency of every task in the lineage of what is kept
    (a worker held hundreds of thousands of them at 10M people in 1600 parts).  Files
    merged ``MERGED`` at a time (every key), or every file's ``MERGED`` keys at a time,
    cut the dependencies by ``MERGED`` with a file of ``MERGED`` files' or keys' rows."""
    read = [_read(h, keys)[0] for h in handles]
    schema = read[0][0].schema.remove_metadata() if keys else pa.schema([])
    if tag is not None:
        schema = schema.append(pa.field(tag, pa.int32()))
        read = [
            [
                b.append_column(tag, pa.repeat(pa.scalar(first + i, pa.int32()), b.num_rows))
                for b in batches
            ]
            for i, batches in enumerate(read)
        ]

    pieces = (
        _one_batch(pa.Table.from_batches([b[j] for b in read], schema)) for j in range(len(keys))
    )
    return _written(schema, pieces, None)


def bundled(handles: Sequence[Stored]) -> Stored:
    """Files of one table each as one file of :func:`stored_by`, key ``i`` the table of
    ``handles[i]`` (:func:`merged` says why)."""
    first = _one_batch(loaded(handles[0]))
    rest = (_one_batch(loaded(h)) for h in handles[1:])
    return _written(first.schema, itertools.chain([first], rest), None)


def whole_of(handle: Stored) -> tuple[pa.Table, Any]:
    """A file of :func:`stored_by` whole and its ``meta``."""
    batches, meta = _read(handle)
    return _table(batches), meta


def slice_of(handle: Stored, key: int) -> tuple[pa.Table, Any]:
    """Key ``key``'s rows of a file of :func:`stored_by` (only its bytes are read) and the
    file's ``meta``."""
    batches, meta = _read(handle, (key,))
    return _table(batches), meta


def slice_values(handle: Stored, key: int) -> pa.Array:
    """Key ``key``'s values of an array of :func:`stored_by`."""
    return slice_of(handle, key)[0].column(0).combine_chunks()


def mapped_values(handle: Stored, key: int) -> pa.Array:
    """Key ``key``'s values of an array of :func:`stored_by`, memory-mapped: only the
    pages read become resident, and they are given back when the array is dropped (for
    a task that reads a few of a key's values, where :func:`slice_of` reads them all)."""
    return pa.ipc.open_file(pa.memory_map(handle.path)).get_batch(key).column(0)


def loaded(handle: Stored) -> pa.Table:
    """The table of ``handle``, memory-mapped: its columns are the file's pages, given
    back when the last of them is dropped."""
    return pa.ipc.open_file(pa.memory_map(handle.path)).read_all()


def values(handle: Stored) -> pa.Array:
    """The array of ``handle`` (stored as a table of one column), memory-mapped."""
    return loaded(handle).column(0).combine_chunks()


def kept(file: str, columns: TieColumns | None, hashes: pa.Array, places: pa.Array) -> Block:
    """The block of ties part ``file`` written to this worker's disk: its columns (None
    for a part without ties), the hash of each person code's id (int64) and where each
    person code's row is in the people parts (int64, ``_blocks.where``)."""
    if columns is None:
        return Block(file, None, None)
    values = (columns.kinds, columns.starts, columns.ends, columns.attributes)
    values += (columns.role_values,)  # type: ignore[assignment]
    meta = {_VALUES: pickle.dumps(values, protocol=pickle.HIGHEST_PROTOCOL)}
    ties = pa.table([getattr(columns, c) for c in _TIES], names=list(_TIES))
    people = pa.table([columns.role_codes, hashes, places], names=list(_PEOPLE))
    return Block(file, stored(ties.replace_schema_metadata(meta)), stored(people))


def _column(table: pa.Table, name: str) -> pa.Array:
    return table.column(name).combine_chunks()


def opened(block: Block) -> tuple[TieColumns, pa.Array] | None:
    """The block's columns as the clauses read them (no tie ids; every person's id
    blank) and the hash of each person code's id; None for a part without ties."""
    if block.ties is None or block.people is None:
        return None
    ties, people = loaded(block.ties), loaded(block.people)
    metadata = ties.schema.metadata or {}
    kinds, starts, ends, attributes, role_values = pickle.loads(metadata[_VALUES])
    columns = TieColumns(
        ids=pa.nulls(ties.num_rows, pa.string()),
        kinds=kinds,
        kind_codes=_column(ties, "kind_codes"),
        people=[""] * people.num_rows,
        sources=_column(ties, "sources"),
        targets=_column(ties, "targets"),
        role_values=role_values,
        role_codes=_column(people, "role_codes"),
        starts=starts,
        start_codes=_column(ties, "start_codes"),
        ends=ends,
        end_codes=_column(ties, "end_codes"),
        attributes=attributes,
        attribute_codes=_column(ties, "attribute_codes"),
        lines=LineArray(),
    )
    return columns, _column(people, "hashes")


def places(block: Block) -> pa.Array:
    """Where each person code of the block is in the people parts (as :func:`kept` was
    given it), memory-mapped."""
    assert block.people is not None
    return _column(loaded(block.people), "places")
