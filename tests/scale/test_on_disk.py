"""A validated block on its worker's disk (``dualrel.scale._on_disk``): what the pass reads
of it is what validation gave, wherever the handle is sent, and its files go with it."""

from __future__ import annotations

import gc
import os
import pickle
import tempfile
import zlib
from pathlib import Path
from typing import Any

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from dualrel.graph._csv_columns import _table, validated_columns
from dualrel.graph._csv_common import PEOPLE_COLUMNS, TIE_COLUMNS
from dualrel.graph.columns import TieColumns
from dualrel.graph.load import _kinds
from dualrel.graph.model import CORE_ROLES
from dualrel.scale._on_disk import Block, kept, opened, slice_of, slice_values, stored_by
from tests.scale.strategies import folders, write

#: what the clauses read of a block (``_prune_columns._Table`` and ``_Clause``)
READ = (
    "kinds",
    "kind_codes",
    "sources",
    "targets",
    "role_values",
    "role_codes",
    "starts",
    "start_codes",
    "ends",
    "end_codes",
    "attributes",
    "attribute_codes",
)


def _columns(folder: Path) -> TieColumns:
    people = _table(str(folder / "people.csv"), PEOPLE_COLUMNS)
    ties = _table(str(folder / "ties.csv"), TIE_COLUMNS)
    assert people is not None and ties is not None
    read = validated_columns(
        people, ties, "people.csv", "ties.csv", kinds=_kinds(None), roles=CORE_ROLES
    )
    assert read is not None
    return read.ties


def _files(block: Block) -> list[str]:
    assert block.ties is not None and block.people is not None
    return [block.ties.path, block.people.path]


def _same(block: Block, cols: TieColumns, hashes: pa.Array) -> None:
    got = opened(block)
    assert got is not None
    read, read_hashes = got
    for name in READ:
        value: Any = getattr(read, name)
        assert value == getattr(cols, name), name
    assert len(read) == len(cols)
    assert len(read.people) == len(cols.people)
    assert read_hashes.equals(hashes)


@settings(max_examples=25, deadline=None)
@given(case=folders())
def test_a_block_reads_back_as_validated_and_moves_with_its_files(case: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        cols = _columns(write(Path(tmp), case))
        hashes = pa.array([zlib.crc32(p.encode()) for p in cols.people], pa.int64())
        block = kept("ties.csv", cols, hashes)
        _same(block, cols, hashes)
        # sent to another worker (pickled, as Dask sends it): its files written again
        moved = pickle.loads(pickle.dumps(block))
        assert set(_files(moved)).isdisjoint(_files(block))
        _same(moved, cols, hashes)
        files = _files(block) + _files(moved)
        assert all(os.path.exists(f) for f in files)
        del block, moved
        gc.collect()
        assert not any(os.path.exists(f) for f in files)  # released, its files gone


def test_a_part_without_ties_keeps_no_file() -> None:
    block = kept("ties-0002.csv", None, pa.array([], pa.int64()))
    assert block.ties is None
    assert opened(block) is None
    assert opened(pickle.loads(pickle.dumps(block))) is None


def test_tables_are_kept_where_only_their_user_can_read_them() -> None:
    """The tables hold people's ids and roles: in a folder of this process's own (0700,
    made by ``mkdtemp``), never in a shared folder of a fixed name."""
    from dualrel.scale._on_disk import stored  # noqa: PLC0415 (beside its test)

    a = stored(pa.array(["p1", "p2"]))
    b = stored(pa.table({"id": ["p3"]}))
    folder = os.path.dirname(a.path)
    assert os.path.dirname(b.path) == folder  # one folder a process
    assert os.path.basename(folder).startswith("dualrel-tables-")
    assert os.stat(folder).st_mode & 0o777 == 0o700


@settings(max_examples=50, deadline=None)
@given(
    rows=st.lists(st.tuples(st.integers(0, 6), st.text(max_size=3)), max_size=40),
    count=st.integers(7, 9),
)
def test_a_table_grouped_by_key_gives_each_key_its_rows_in_order(
    rows: list[tuple[int, str]], count: int
) -> None:
    keys = pa.array([k for k, _ in rows], pa.int32())
    table = pa.table({"text": [t for _, t in rows]})
    handle = stored_by(table, keys, count, meta=("what", 1))
    assert handle.rows == len(rows)
    for k in range(count):
        got, meta = slice_of(handle, k)
        assert meta == ("what", 1)
        assert got.column("text").to_pylist() == [t for key, t in rows if key == k]
    moved = pickle.loads(pickle.dumps(handle))  # sent to another worker: the same slices
    assert slice_of(moved, 3)[0].equals(slice_of(handle, 3)[0])
    values = stored_by(keys, keys, count)
    assert slice_values(values, 2).to_pylist() == [2] * sum(k == 2 for k, _ in rows)
