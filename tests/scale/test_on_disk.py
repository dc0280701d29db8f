"""A validated block on its worker's disk (``dualrel.scale._on_disk``): what the pass reads
of it is what validation gave, wherever the handle is sent, and its files go with it."""

from __future__ import annotations

import gc
import os
import pickle
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dualrel.graph._csv_columns import _table, validated_columns
from dualrel.graph._csv_common import PEOPLE_COLUMNS, TIE_COLUMNS
from dualrel.graph.columns import TieColumns
from dualrel.graph.load import _kinds
from dualrel.graph.model import CORE_ROLES
from dualrel.scale import _blocks
from dualrel.scale._network import size
from dualrel.scale._on_disk import (
    Block,
    kept,
    loaded,
    mapped_values,
    merged,
    opened,
    places,
    slice_of,
    slice_values,
    stored,
    stored_by,
    whole_of,
)
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


def _same(block: Block, cols: TieColumns, hashes: pa.Array, where: pa.Array) -> None:
    assert places(block).equals(where)
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
        where = _blocks.where(3, len(cols.people))
        block = kept("ties.csv", cols, hashes, where)
        _same(block, cols, hashes, where)
        # sent to another worker (pickled, as Dask sends it): its files written again
        moved = pickle.loads(pickle.dumps(block))
        assert set(_files(moved)).isdisjoint(_files(block))
        _same(moved, cols, hashes, where)
        files = _files(block) + _files(moved)
        assert all(os.path.exists(f) for f in files)
        del block, moved
        gc.collect()
        assert not any(os.path.exists(f) for f in files)  # released, its files gone


def test_a_table_sent_with_buffers_hands_its_file_out_of_band() -> None:
    """Pickled as Dask sends it (protocol 5, buffers out of band), a handle's file is one
    buffer of its bytes, not copied into the pickle; with an older protocol, in the
    pickle; either way it arrives as a file of its own with the same rows."""
    handle = stored(pa.table({"n": pa.array(range(5_000), pa.int64())}))
    with open(handle.path, "rb") as f:
        data = f.read()
    buffers: list[pickle.PickleBuffer] = []
    sent = pickle.dumps(handle, protocol=5, buffer_callback=buffers.append)
    assert [bytes(b.raw()) for b in buffers] == [data]
    assert len(sent) < 200
    inline = pickle.dumps(handle, protocol=4)
    assert data in inline
    for moved in (pickle.loads(sent, buffers=buffers), pickle.loads(inline)):
        assert moved.path != handle.path
        assert loaded(moved).equals(loaded(handle))


def test_a_part_without_ties_keeps_no_file() -> None:
    empty = pa.array([], pa.int64())
    block = kept("ties-0002.csv", None, empty, empty)
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


def test_the_folders_of_processes_that_no_longer_run_are_removed(tmp_path: Path) -> None:
    """A process killed leaves its folder: the next folder made in the same place
    removes it (its tables hold people's ids), and no folder of a process still running
    (its lock held), nor one without a lock, nor another name."""
    from dualrel.scale import _on_disk  # noqa: PLC0415 (beside its test)

    gone = _folder_of_a_process(tmp_path, "kill")
    running = _folder_of_a_process(tmp_path, "wait")
    unlocked = tmp_path / "dualrel-tables-1-abc"
    unlocked.mkdir()
    other = tmp_path / "elsewhere-abc"
    other.mkdir()
    try:
        _on_disk._remove_orphans(str(tmp_path))
        assert not gone[0].exists()
        assert running[0].exists() and unlocked.exists() and other.exists()
    finally:
        running[1].kill()
        running[1].wait()


def test_a_process_that_ends_leaves_no_folder(tmp_path: Path) -> None:
    """Its folder goes with it at exit, with a handle still held and a file that no
    handle's finalizer removes."""
    folder, proc = _folder_of_a_process(tmp_path, "end")
    assert proc.communicate("") == ("", None)
    assert proc.returncode == 0
    assert not folder.exists()
    assert list(tmp_path.iterdir()) == []


_HOLDER = """
import os, sys, tempfile
from dualrel.scale import _on_disk
_on_disk._base = lambda: sys.argv[1]
folder = _on_disk._directory()
(open(os.path.join(folder, "t.arrow"), "wb")).write(b"ids")
import pyarrow as pa
held = _on_disk.stored(pa.table({"id": ["p1"]}))
print(folder, flush=True)
if sys.argv[2] == "kill":
    os.kill(os.getpid(), 9)
sys.stdin.read()
"""


def _folder_of_a_process(base: Path, how: str) -> tuple[Path, subprocess.Popen[str]]:
    """The table folder of a child process: killed after making it, or still running."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(base), how],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    folder = Path(proc.stdout.readline().strip())
    if how == "kill":
        proc.wait()
    return folder, proc


def test_a_table_arriving_at_a_worker_is_kept_in_the_workers_directory(client: Any) -> None:
    """Unpickled by the worker's communication (no task running), a handle's file goes
    to the worker's local directory, which Dask removes with the worker."""
    workers = list(client.nthreads())
    if len(workers) < 2:
        pytest.skip("needs two workers")
    made = client.submit(_made, workers=[workers[0]], pure=False)
    path, directory = client.submit(_where, made, workers=[workers[1]], pure=False).result()
    assert path.startswith(directory + os.sep)
    assert os.path.basename(os.path.dirname(path)).startswith("dualrel-tables-")


def test_a_workers_fetch_of_many_tables_is_cut_by_their_files_bytes(client: Any) -> None:
    """A handle is sized for Dask as its file (what sending it reads into memory): a task
    needing many tables from another worker fetches them in messages of at most
    ``transfer_message_bytes_limit``, not all in one that its sender builds whole."""
    from dask.sizeof import sizeof  # noqa: PLC0415

    workers = list(client.nthreads())
    if len(workers) < 2:
        pytest.skip("needs two workers")
    limit = 600_000
    before = client.run(_message_limit, limit, workers=[workers[1]])
    try:
        made = [
            client.submit(_made_of, 20_000, i, workers=[workers[0]], pure=False) for i in range(12)
        ]
        here = {"workers": [workers[0]], "allow_other_workers": False}
        paths = [client.submit(_path, m, **here) for m in made]
        sizes = client.gather([client.submit(os.path.getsize, p, **here) for p in paths])
        assert all(s > 100_000 for s in sizes)
        assert client.submit(sizeof, made[0], **here).result() >= sizes[0]
        rows, messages = client.submit(
            _rows_and_messages, made, workers=[workers[1]], pure=False
        ).result()
    finally:
        client.run(_message_limit, before[workers[1]], workers=[workers[1]])
    assert rows == 12 * 20_000
    keys = {m.key for m in made}
    messages = [m for m in messages if set(m) & keys]
    # each message at most the limit, or one table alone when larger than it
    assert len(messages) >= sum(sizes) // limit
    assert all(len(m) == 1 or sum(m.values()) <= limit for m in messages)
    assert sorted(k for m in messages for k in m) == sorted(keys)


def test_a_local_clusters_workers_fetch_in_small_messages(client: Any) -> None:
    """A local cluster's workers fetch at most ``FETCH_MESSAGE_BYTES`` a message, well
    under Dask's default: what a message holds in the receiver's memory does not grow
    with the registry."""
    from dask.utils import parse_bytes  # noqa: PLC0415

    from dualrel.scale._dask import FETCH_MESSAGE_BYTES  # noqa: PLC0415

    limits = client.run(_message_limit_now)
    assert set(limits.values()) == {parse_bytes(FETCH_MESSAGE_BYTES)}
    assert parse_bytes(FETCH_MESSAGE_BYTES) < parse_bytes("50MB")


def _message_limit_now(dask_worker: Any = None) -> float:
    return float(dask_worker.state.transfer_message_bytes_limit)


def _message_limit(limit: float, dask_worker: Any = None) -> float:
    before = float(dask_worker.state.transfer_message_bytes_limit)
    dask_worker.state.transfer_message_bytes_limit = limit
    return before


def _made_of(rows: int, seed: int) -> Any:
    from dualrel.scale._on_disk import stored  # noqa: PLC0415

    return stored(pa.table({"n": pa.array(range(seed, seed + rows), pa.int64())}))


def _path(handle: Any) -> str:
    return str(handle.path)


def _rows_and_messages(handles: list[Any]) -> tuple[int, list[dict[str, int]]]:
    from distributed import get_worker  # noqa: PLC0415

    from dualrel.scale._on_disk import loaded  # noqa: PLC0415

    rows = sum(loaded(h).num_rows for h in handles)
    return rows, [dict(e["keys"]) for e in get_worker().transfer_incoming_log]


def _made() -> Any:
    from dualrel.scale._on_disk import stored  # noqa: PLC0415

    return stored(pa.table({"id": ["p1", "p2"]}))


def _where(handle: Any) -> tuple[str, str]:
    from distributed import get_worker  # noqa: PLC0415

    return handle.path, str(get_worker().local_directory)


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
    for k in range(count):  # read, or mapped: the same values
        assert slice_values(values, k).to_pylist() == [k] * sum(key == k for key, _ in rows)
        assert mapped_values(values, k).equals(slice_values(values, k))
    whole, meta = whole_of(handle)  # every key's rows in turn
    assert meta == ("what", 1)
    assert whole.column("text").to_pylist() == [t for _, t in sorted(rows, key=lambda r: r[0])]
    # what a stage sends, measured as it is written: the handle, and its file's bytes
    # as one buffer out of band
    buffers: list[pickle.PickleBuffer] = []
    sent = pickle.dumps(handle, protocol=5, buffer_callback=buffers.append)
    assert size(handle) == len(sent) + os.path.getsize(handle.path)


@settings(max_examples=50, deadline=None)
@given(
    files=st.lists(
        st.lists(st.tuples(st.integers(0, 4), st.text(max_size=3)), max_size=12),
        min_size=1,
        max_size=5,
    ),
    first=st.integers(0, 3000),
)
def test_files_merged_give_each_key_the_rows_of_every_file_in_turn(
    files: list[list[tuple[int, str]]], first: int
) -> None:
    """A merge reads as its files' slices one after another, each row tagged with its
    file: what a task reading its key of every file read before the merge; a merge of
    some keys gives those alone."""
    count = 5
    handles = [
        stored_by(
            pa.table({"text": pa.array([t for _, t in rows], pa.string())}),
            pa.array([k for k, _ in rows], pa.int32()),
            count,
        )
        for rows in files
    ]
    plain = merged(handles, range(count))
    tagged = merged(handles, range(count), "\0part", first)
    some = merged(handles, range(2, 4))  # keys 2 and 3 alone, as keys 0 and 1
    assert some.rows == sum(k in (2, 3) for rows in files for k, _ in rows)
    for j in (0, 1):
        assert slice_of(some, j)[0].equals(slice_of(plain, 2 + j)[0])
    assert plain.rows == tagged.rows == sum(len(rows) for rows in files)
    for k in range(count):
        expected = [(first + i, t) for i, rows in enumerate(files) for key, t in rows if key == k]
        assert slice_of(plain, k)[0].column("text").to_pylist() == [t for _, t in expected]
        got = slice_of(tagged, k)[0]
        tags, texts = got.column("\0part").to_pylist(), got.column("text").to_pylist()
        assert list(zip(tags, texts, strict=True)) == expected
