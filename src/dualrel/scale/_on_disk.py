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

A handle sent to another worker (a task moved there, Dask's work stealing) carries its
files' bytes and is written again to that worker's directory as it arrives, so a task
finds its block wherever it runs; a worker lost takes its handles with it, and Dask makes
them again from their lineage, as for any result.  The files go when the handle is
released (its last reference in the worker's process dropped).
"""

from __future__ import annotations

import contextlib
import os
import pickle
import tempfile
import uuid
import weakref
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from dualrel.graph._locations import LineArray
from dualrel.graph.columns import TieColumns

__all__ = ["Block", "kept", "opened"]

_TIES = ("kind_codes", "sources", "targets", "start_codes", "end_codes", "attribute_codes")
_PEOPLE = ("role_codes", "hashes")
#: the schema metadata key of the distinct values the code columns index (pickled)
_VALUES = b"dualrel.values"


@dataclass(frozen=True, slots=True, weakref_slot=True)
class Block:
    """A ties part read and validated on a worker, as files on that worker's disk."""

    file: str  # the ties part
    path: str  # the stem of its files ("" for a part without ties)
    ties: int
    people: int

    def __reduce__(self) -> tuple[Any, ...]:
        return _arrived, (self.file, _contents(self.path), self.ties, self.people)


def _directory() -> str:
    try:
        from distributed import get_worker  # noqa: PLC0415

        base = str(get_worker().local_directory)
    except (ImportError, ValueError):  # not in a worker (the client, a test)
        base = tempfile.gettempdir()
    folder = os.path.join(base, "dualrel-blocks")
    os.makedirs(folder, exist_ok=True)
    return folder


def _names(path: str) -> tuple[str, str]:
    return path + ".ties.arrow", path + ".people.arrow"


def _remove(path: str) -> None:
    for name in _names(path):
        with contextlib.suppress(FileNotFoundError):
            os.remove(name)


def _handle(file: str, path: str, ties: int, people: int) -> Block:
    block = Block(file, path, ties, people)
    if path:
        weakref.finalize(block, _remove, path)
    return block


def _contents(path: str) -> tuple[bytes, bytes] | None:
    if not path:
        return None
    ties, people = _names(path)
    with open(ties, "rb") as t, open(people, "rb") as p:
        return t.read(), p.read()


def _arrived(file: str, contents: tuple[bytes, bytes] | None, ties: int, people: int) -> Block:
    """A handle unpickled: its files written again where it arrived."""
    if contents is None:
        return _handle(file, "", ties, people)
    path = os.path.join(_directory(), uuid.uuid4().hex)
    for name, data in zip(_names(path), contents, strict=True):
        with open(name, "wb") as f:
            f.write(data)
    return _handle(file, path, ties, people)


def _write(name: str, table: pa.Table) -> None:
    with pa.OSFile(name, "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)


def kept(file: str, columns: TieColumns | None, hashes: pa.Array) -> Block:
    """The block of ties part ``file`` written to this worker's disk: its columns (None
    for a part without ties) and the hash of each person code's id (int64)."""
    if columns is None:
        return _handle(file, "", 0, 0)
    values = (columns.kinds, columns.starts, columns.ends, columns.attributes)
    values += (columns.role_values,)  # type: ignore[assignment]
    meta = {_VALUES: pickle.dumps(values, protocol=pickle.HIGHEST_PROTOCOL)}
    ties = pa.table([getattr(columns, c) for c in _TIES], names=list(_TIES))
    people = pa.table([columns.role_codes, hashes], names=list(_PEOPLE))
    path = os.path.join(_directory(), uuid.uuid4().hex)
    names = _names(path)
    _write(names[0], ties.replace_schema_metadata(meta))
    _write(names[1], people)
    return _handle(file, path, len(columns), len(hashes))


def _read(name: str) -> pa.Table:
    # memory-mapped: the columns are the file's pages, given back when the task ends
    return pa.ipc.open_file(pa.memory_map(name)).read_all()


def _column(table: pa.Table, name: str) -> pa.Array:
    return table.column(name).combine_chunks()


def opened(block: Block) -> tuple[TieColumns, pa.Array] | None:
    """The block's columns as the clauses read them (no tie ids; every person's id
    blank) and the hash of each person code's id; None for a part without ties."""
    if not block.path:
        return None
    ties_name, people_name = _names(block.path)
    ties, people = _read(ties_name), _read(people_name)
    metadata = ties.schema.metadata or {}
    kinds, starts, ends, attributes, role_values = pickle.loads(metadata[_VALUES])
    columns = TieColumns(
        ids=pa.nulls(block.ties, pa.string()),
        kinds=kinds,
        kind_codes=_column(ties, "kind_codes"),
        people=[""] * block.people,
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
