"""Stages 1 and 2 of the check on Dask, driven from the client (private).

:func:`read_on_blocks` is the check's :class:`~dualrel.check.Reader`: the parts of a CSV
folder read and validated on the workers (:mod:`dualrel.scale._blocks`), the semi-join
pass pushed down to them (:mod:`dualrel.scale._pushdown`), and only the ties that
survive it, with the people they join, brought to the client, where they become the
:class:`~dualrel.graph.columns.ColumnarRegistry` the one-machine check would narrow to
the same findings (the client's exact pass, ``registry_for``, runs on them).

A registry with a problem raises the ``RegistryError`` one machine raises, its problems
found on the workers (:mod:`dualrel.scale._problems`).  It gives None, and the check
reads the registry as one machine does, for what it does not read by blocks: a registry
that is not a CSV folder (at a path or a URL), a folder with practice sections, a valid
folder whose parts' headers differ or that the columnar reader does not read alike
(quoted cells, ...), and rulesets with path clauses or that read a field as a number of
every tie or person.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Collection, Mapping, MutableMapping, Sequence
from dataclasses import replace
from datetime import date
from typing import Any

import pyarrow as pa

from dualrel._internal.problems import Collector
from dualrel._internal.storage import isdir
from dualrel.errors import Problem
from dualrel.graph._assemble import SectionInfo, finish
from dualrel.graph._csv_columns import validated_columns
from dualrel.graph._locations import LineArray, PartLines
from dualrel.graph.columns import ColumnarRegistry
from dualrel.graph.load import _as_of
from dualrel.graph.model import Registry
from dualrel.graph.parts import csv_layout
from dualrel.rules.engine import _evaluation_date
from dualrel.rules.numbers import _numeric_reads
from dualrel.rules.plan import CompiledRuleset
from dualrel.scale import _blocks, _network, _on_disk, _problems, _pushdown, _ranges
from dualrel.scale._blocks import PART, ROW, pick

__all__ = ["read_on_blocks"]

Sizes = Callable[[str, Sequence[Any]], None]


def _by_blocks(compiled: Sequence[CompiledRuleset]) -> bool:
    """Whether the pass on blocks can keep what ``rows_and_needs`` keeps."""
    if any(c.paths for c in compiled):
        return False
    reads = _numeric_reads(c.ruleset for c in compiled)
    return not any(owner == "person" or read is None for owner, _, read in reads)


def _people_head(result: Any) -> tuple[bool, tuple[str, ...], Any, int]:
    ok, header, texts, grouped = result
    return ok, header, texts, 0 if grouped is None else grouped.rows


def _ties_head(result: Any) -> tuple[bool, tuple[str, ...]]:
    return result[0] is not None, result[1]


def _block_head(result: Any) -> tuple[bool, tuple[Problem, ...], int]:
    """(no problem, warnings, people of the block)."""
    block = result[0]
    people = block.people.rows if block is not None and block.people is not None else 0
    return block is not None, result[1], people


def read_on_blocks(
    client: Any,
    path: str,
    compiled: Sequence[CompiledRuleset],
    *,
    kinds: Mapping[str, bool],
    roles: Collection[str],
    as_of: date | None,
    network: MutableMapping[str, int] | None,
) -> tuple[ColumnarRegistry, tuple[Problem, ...]] | None:
    """The registry at ``path`` read on ``client``'s workers, narrowed to the ties the
    rules of ``compiled`` can use; None to have it read as on one machine."""
    if not isdir(path) or not _by_blocks(compiled):
        return None
    c = Collector()
    layout = csv_layout(path, c)
    if c.errors or layout.sections:
        return None
    submit = client.submit

    def measured(key: str, futures: Sequence[Any]) -> None:
        _network.measure(client, network, key, futures)

    threads = int(sum(client.nthreads().values())) or 1
    workers = len(client.nthreads())
    buckets = _blocks.buckets_for(len(layout.ties), threads)
    # the row reader's joins on an invalid registry: two buckets per worker thread (its
    # tasks take each part's share of each bucket)
    problems = max(1, min(len(layout.ties), 2 * threads))
    people = [
        submit(_blocks.read_people_part, f, i, buckets, roles, pure=False)
        for i, f in enumerate(layout.people)
    ]
    ties = [submit(_blocks.read_ties_part, f, buckets, pure=False) for f in layout.ties]
    heads = client.gather([submit(_people_head, f) for f in people])
    tie_heads = client.gather([submit(_ties_head, f) for f in ties])
    if (
        not all(h[0] for h in heads)
        or not all(h[0] for h in tie_heads)
        or len({h[1] for h in heads}) != 1
        or len({h[1] for h in tie_heads}) != 1
    ):
        del people, ties
        _problems.gather_problems(
            client, layout, kinds=kinds, roles=roles, buckets=problems, network=network
        )
        return None
    n_people = sum(h[3] for h in heads)
    if not n_people:
        return None
    # each part's file grouped by bucket, merged ``by`` parts at a time; each bucket's
    # join reads its slice of each merge (a worker fetches each merge once, whatever the
    # buckets it joins)
    by = _on_disk.MERGED
    people_files = [submit(pick, p, 3) for p in people]
    ends_files = [submit(pick, t, 2) for t in ties]
    people_merged = _blocks.merges(submit, people_files, buckets, by)
    ends_merged = _blocks.merges(submit, ends_files, buckets, by, tagged=True)
    joins = [
        submit(_blocks.join_bucket, people_merged, ends_merged, k, len(ties), pure=False)
        for k in range(buckets)
    ]
    fetched = min(workers, buckets)
    # each part's file to its merge, each merge to each worker joining
    measured("shuffle.people", people_files + people_merged * fetched)
    measured("shuffle.ends", ends_files + ends_merged * fetched)
    del people_files, ends_files, people_merged, ends_merged
    if not all(client.gather([submit(pick, j, 0) for j in joins])):
        del joins, people, ties
        _problems.gather_problems(
            client, layout, kinds=kinds, roles=roles, buckets=problems, network=network
        )
        return None
    join_rows = [submit(pick, j, 1) for j in joins]
    named = _blocks.regrouped(submit, join_rows, len(ties), by)
    validated = [
        submit(
            _blocks.validate_block,
            file,
            i,
            submit(pick, t, 0),
            (named[i // by], i % by),
            buckets,
            kinds=kinds,
            roles=roles,
            pure=False,
        )
        for i, (file, t) in enumerate(zip(layout.ties, ties, strict=True))
    ]
    # each bucket's join to every regrouping (a slice each), each regrouping to the
    # workers validating its parts
    measured("join.people", join_rows * min(workers, len(named)))
    measured("join.people", named * min(workers, by))
    del named, join_rows, joins, people, ties
    block_heads = client.gather([submit(_block_head, v) for v in validated])
    if not all(ok for ok, _, _ in block_heads):
        del validated
        _problems.gather_problems(
            client, layout, kinds=kinds, roles=roles, buckets=problems, network=network
        )
        return None
    ids = [submit(pick, v, 2) for v in validated]
    ids_merged = _blocks.merges(submit, ids, buckets, by)
    unique = [submit(_blocks.unique_bucket, ids_merged, k, pure=False) for k in range(buckets)]
    measured("shuffle.tie_ids", ids + ids_merged * fetched)
    del ids_merged
    if not all(client.gather(unique)):
        del ids, unique, validated
        _problems.gather_problems(
            client, layout, kinds=kinds, roles=roles, buckets=problems, network=network
        )
        return None
    del ids, unique
    blocks = [submit(pick, v, 0) for v in validated]
    del validated
    w = Collector()
    for p in _blocks.role_warnings(layout.people, [h[2] for h in heads], roles):
        w.add(p)
    for _, warnings, _ in block_heads:
        for p in warnings:
            w.add(p)

    # stage 2: the semi-join pass, round by round; the masks stay on the workers
    registry = Registry((), (), _as_of(as_of), path, {}, dict(kinds))
    when = _evaluation_date(registry, as_of)
    bits = _pushdown.HASH_BITS
    ranges = _ranges.ranges_for(n_people, max(h[2] for h in block_heads), bits)
    # the rulesets once on each worker, as a task's result the tasks of the pass depend on:
    # given to every task as an argument, a worker kept a copy of them in each task it
    # held (thousands of tasks at 10M people in 1600 parts, most of its memory); made by
    # a task, they are made again if their worker is lost
    rulesets = submit(_same, tuple(compiled), pure=False)
    masks = _masks(client, blocks, rulesets, when, ranges, by, measured)
    survivors = [
        submit(_pushdown.block_survivors, b, rulesets, when, masks, bits, ranges, pure=False)
        for b in blocks
    ]
    measured("gather.survivors", survivors)
    found = [_pushdown.survivors_of(h) for h in client.gather(survivors)]
    del survivors, blocks, masks, rulesets
    joined = [places for _, rows, places in found if len(rows)]
    if not joined:
        return None  # nothing any rule can use: one machine's reader says the same
    # the survivors' people, whole, read again from the people parts: each part its rows
    rows = [
        submit(_blocks.people_rows, layout.people[part], part, at, pure=False)
        for part, at in _blocks.parts_and_rows(pa.concat_arrays(joined))
    ]
    measured("gather.people", rows)
    people = [_on_disk.loaded(h) for h in client.gather(rows)]
    del rows
    read = _assembled(registry, layout.people, layout.ties, found, people, kinds, roles, w)
    if read is not None and network is not None:
        network["read.blocks"] = len(layout.ties)
    return read


def _masks(  # noqa: PLR0917
    client: Any,
    blocks: Sequence[Any],
    rulesets: Any,
    when: date,
    ranges: int,
    by: int,
    measured: Sizes,
) -> list[Any]:
    """The semi-join pass's rounds on the blocks: the ranges' masks, bundled ``by`` ranges
    a file on a worker's disk, once they stop shrinking; O(blocks + ranges) tasks a
    round, each depending on O(``by`` + blocks / ``by``) others (Dask keeps every
    dependency in the lineage of the last round's masks).  ``rulesets``: the future of
    the compiled rulesets (one task's result)."""
    submit = client.submit
    bits = _pushdown.HASH_BITS
    workers = len(client.nthreads())
    masks: list[Any] = []  # none before the first round: everyone passes
    before = -1
    for _ in range(_pushdown.ROUNDS + 1):
        got = [
            submit(_pushdown.block_round, b, rulesets, when, masks, bits, ranges, pure=False)
            for b in blocks
        ]
        combined = [
            submit(_ranges.combined_sets, got[i : i + by], rulesets, bits, ranges, pure=False)
            for i in range(0, len(got), by)
        ]
        # each block's file to its combine; each worker reducing a range fetches each
        # combine once
        measured("prune.sets", got + combined * min(workers, ranges))
        reduced = [
            submit(_ranges.reduce_range, combined, r, rulesets, bits, ranges, pure=False)
            for r in range(ranges)
        ]
        del got, combined
        masks = [
            submit(_on_disk.bundled, reduced[i : i + by], pure=False) for i in range(0, ranges, by)
        ]
        # each range's masks to its bundle, each bundle once to each worker
        measured("prune.masks", reduced + masks * min(workers, len(blocks)))
        del reduced
        kept = sum(client.gather([submit(_ranges.mask_size, m, pure=False) for m in masks]))
        if kept == before:
            break
        before = kept
    return masks


def _same(value: Any) -> Any:
    return value


def _assembled(  # noqa: PLR0917
    registry: Registry,
    people_files: Sequence[str],
    ties_files: Sequence[str],
    found: Sequence[tuple[pa.Table | None, pa.Array, pa.Array]],
    people_parts: Sequence[pa.Table],
    kinds: Mapping[str, bool],
    roles: Collection[str],
    w: Collector,
) -> tuple[ColumnarRegistry, tuple[Problem, ...]] | None:
    """The surviving ties of every block, in file order, and the people they join, as
    the columns one machine's reader gives, each located in its part."""
    tie_lines = PartLines()
    at = 0
    for file, (_, rows, _) in zip(ties_files, found, strict=True):
        if len(rows):
            tie_lines.add(at, file, LineArray(array("l", (r + 2 for r in rows.to_pylist()))))
            at += len(rows)
    ties = pa.concat_tables([t for t, rows, _ in found if t is not None and len(rows)])
    # each person once (a person is in one part), in file order
    people = pa.concat_tables(people_parts)
    people_lines = PartLines()
    parts = people.column(PART).to_pylist()
    rows = people.column(ROW).to_pylist()
    for i, part in enumerate(parts):
        if i == 0 or part != parts[i - 1]:
            people_lines.add(i, people_files[part], LineArray())
        line_at = people_lines.lines[-1]
        assert isinstance(line_at, LineArray)
        line_at.lines.append(rows[i] + 2)
    columns = validated_columns(
        people.drop_columns([PART, ROW]),
        ties,
        people_files[0],
        ties_files[0],
        kinds=kinds,
        roles=roles,
    )
    if columns is None:  # pragma: no cover (the blocks were valid)
        return None
    tie_columns = replace(columns.ties, lines=tie_lines)
    people_columns = replace(columns.people_columns, lines=people_lines)
    base = finish(
        Collector(),
        SectionInfo(people_files[0], people_lines, None),
        None,
        SectionInfo(ties_files[0], tie_lines, None),
        None,
        registry=registry,
        people_kept=True,
    )
    read = ColumnarRegistry(base, tie_columns, ties_files[0], people_columns, people_files[0])
    return read, tuple(w.warnings)
