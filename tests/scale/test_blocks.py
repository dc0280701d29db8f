"""Stages 1 and 2 on the workers (``dualrel.scale._on_blocks``): a split CSV folder read
and validated by the part, the semi-join pass pushed down, against one machine.

Every comparison renders both results as the JSON report and compares the warnings;
``network["read.blocks"]`` tells that the blocks were read on the workers (and not by
one machine's reader, which the check falls back to).
"""

from __future__ import annotations

import os
import pickle
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dualrel import render, run_check
from dualrel.check import load_rulesets
from dualrel.graph.columns import ColumnarRegistry, load_for_rules
from dualrel.graph.load import _kinds
from dualrel.graph.model import CORE_ROLES
from dualrel.rules import compile_ruleset
from dualrel.rules._prune_columns import rows_and_needs
from dualrel.scale import _blocks, _on_disk, _pushdown, _ranges, check_on_dask
from dualrel.scale._on_blocks import read_on_blocks
from tests.scale.strategies import folders, write

AS_OF = date(2026, 11, 26)
SLOW = settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

#: Negated tie clauses: one whose ends a positive clause binds both of, one with an end
#: no positive clause binds (kinds no rule of coaching-core keeps whole).
NEGATED = """\
id: negated-ties
version: "1"
title: negated tie clauses
rules:
  - id: romance-without-family
    title: romance-without-family
    category: test
    severity: medium
    level: 2
    remediation: [{action: Look, within_days: 7, owner: coach}]
    match:
      people: {coach: {roles: [coach]}, client: {}}
      ties:
        - {as: coaching, kind: coaching, from: coach, to: client}
        - {as: romance, kind: romance, between: [coach, client]}
        - {as: fam, kind: family, between: [coach, client], exists: false}
  - id: coached-friendless
    title: coached-friendless
    category: test
    severity: medium
    level: 2
    remediation: [{action: Look, within_days: 7, owner: coach}]
    match:
      people: {coach: {}, client: {}, friend: {}}
      ties:
        - {as: coaching, kind: coaching, from: coach, to: client, active: true}
        - {as: fr, kind: friendship, between: [friend, coach], exists: false}
"""


def _same(client: Any, folder: Path, rulesets: list[str] | None = None) -> dict[str, int]:
    """Both checks' reports and warnings, which must be the same; the bytes sent."""
    kwargs: dict[str, Any] = {"as_of": AS_OF}
    if rulesets is not None:
        kwargs["rulesets"] = rulesets
    w_one: list[Any] = []
    w_dask: list[Any] = []
    one = render(run_check(folder, warnings=w_one, **kwargs), "json")
    network: dict[str, int] = {}
    on_dask = check_on_dask(client, folder, network=network, warnings=w_dask, **kwargs)
    assert render(on_dask, "json") == one
    assert w_dask == w_one
    return network


def _cut(monkeypatch: Any, ranges: int) -> None:
    """The pass's sets and masks cut into ``ranges`` ranges (or as many as the hash's
    bits tell apart), whatever the registry's size."""
    monkeypatch.setattr(_ranges, "ranges_for", lambda _p, _b, bits: min(ranges, 1 << bits))


@SLOW
@given(
    case=folders(max_ties=30),
    parts=st.sampled_from([1, 2, 3, 5]),
    ranges=st.sampled_from([1, 2, 8, 64]),
    buckets=st.sampled_from([1, 2, 7]),
    merged=st.sampled_from([2, 16]),
)
def test_generated_registries_read_by_blocks_give_the_same_report(  # noqa: PLR0917
    client: Any,
    case: dict[str, Any],
    parts: int,
    ranges: int,
    buckets: int,
    merged: int,
    monkeypatch: Any,
) -> None:
    # ranges: one range for the registry, or more ranges than people; buckets: one, or
    # more than the parts (a part's file then has empty slices); merges of two files or
    # keys (several merges, the last one short) or of every one
    _cut(monkeypatch, ranges)
    monkeypatch.setattr(_blocks, "buckets_for", lambda _parts, _threads: buckets)
    monkeypatch.setattr(_on_disk, "MERGED", merged)
    with tempfile.TemporaryDirectory() as tmp:
        folder = write(Path(tmp) / "reg", case, parts=parts)
        network = _same(client, folder)
        ruleset = Path(tmp) / "negated.yaml"
        ruleset.write_text(NEGATED, encoding="utf-8")
        _same(client, folder, [str(ruleset)])
    # only a registry whose ties no rule can use is read by one machine's reader
    assert network.get("read.blocks") == parts or "prune.sets" in network
    monkeypatch.undo()


def _exact_ids(folder: Path, rulesets: list[str]) -> set[str]:
    """The ids of the ties the exact pass keeps on the whole registry."""
    compiled = [compile_ruleset(rs) for rs in load_rulesets(rulesets)]
    source, _ = load_for_rules(folder, as_of=AS_OF)
    assert isinstance(source, ColumnarRegistry)
    found = rows_and_needs(compiled, source.ties, source.registry.practice, AS_OF)
    assert found is not None
    exact = set(pc.take(source.ties.ids, found[0]).to_pylist())
    return exact


@SLOW
@given(
    case=folders(max_ties=30),
    parts=st.sampled_from([2, 3]),
    tiny=st.booleans(),
    ranges=st.sampled_from([1, 4]),
)
def test_the_blocks_keep_every_tie_the_exact_pass_keeps(  # noqa: PLR0917
    client: Any, case: dict[str, Any], parts: int, tiny: bool, ranges: int, monkeypatch: Any
) -> None:
    _cut(monkeypatch, ranges)
    # with hashes of two bits most people collide: more ties survive, never fewer
    if tiny:
        monkeypatch.setattr(_pushdown, "HASH_BITS", 2)
    with tempfile.TemporaryDirectory() as tmp:
        folder = write(Path(tmp) / "reg", case, parts=parts)
        ruleset = Path(tmp) / "negated.yaml"
        ruleset.write_text(NEGATED, encoding="utf-8")
        names = [str(ruleset)]
        compiled = [compile_ruleset(rs) for rs in load_rulesets(names)]
        read = read_on_blocks(
            client,
            str(folder),
            compiled,
            kinds=_kinds(None),
            roles=CORE_ROLES,
            as_of=AS_OF,
            network=None,
        )
        exact = _exact_ids(folder, names)
        if read is None:  # no tie any rule can use
            assert not exact
            return
        kept = set(read[0].ties.ids.to_pylist())
        assert exact <= kept
        if tiny:
            _same(client, folder, names)
    monkeypatch.undo()


def test_warnings_of_every_part_in_one_machines_order(client: Any, tmp_path: Path) -> None:
    case = {
        "people": "id,roles\nco1,coach\ncl1,client\nx1,wizard\nx2,wizard;sorcerer\n"
        "x3,wizard\nco2,coach\ncl2,client\n",
        "ties": "id,kind,source,target,start,end,relation\n"
        "t1,coaching,cl1,co1,2025-01-01,,\n"  # ends lacking the roles coaching expects
        "t2,family,co1,cl1,,,\n"  # family without relation
        "t3,romance,co1,cl1,2025-01-01,,\n"
        "t4,coaching,co2,cl2,2025-01-01,,\n"
        "t5,coaching,x1,x2,2025-01-01,,\n",
    }
    folder = write(tmp_path / "reg", case, parts=3)
    network = _same(client, folder)
    assert network["read.blocks"] == 3


def test_parts_with_other_headers_are_read_by_one_machine(client: Any, tmp_path: Path) -> None:
    folder = tmp_path / "reg"
    folder.mkdir()
    (folder / "people-0001.csv").write_text("id,roles\nco1,coach\n", encoding="utf-8")
    (folder / "people-0002.csv").write_text("id,roles,name\ncl1,client,A\n", encoding="utf-8")
    (folder / "ties-0001.csv").write_text(
        "id,kind,source,target,start,end\nt1,coaching,co1,cl1,2025-01-01,\n"
        "t2,romance,co1,cl1,2025-01-01,\n",
        encoding="utf-8",
    )
    network = _same(client, folder)
    assert "read.blocks" not in network


@pytest.mark.parametrize("ranges", [1, 16])
def test_a_dense_split_folder_is_read_by_blocks(
    client: Any, tmp_path: Path, ranges: int, monkeypatch: Any
) -> None:
    _cut(monkeypatch, ranges)
    case = {
        "people": "id,roles\n" + "".join(f"p{i},coach;client\n" for i in range(40)),
        "ties": "id,kind,source,target,start,end\n"
        + "".join(
            f"t{i},{k},p{i % 40},p{(i * 7 + 1) % 40},2025-01-01,\n"
            for i, k in enumerate(["coaching", "romance", "business", "family"] * 20)
            if i % 40 != (i * 7 + 1) % 40
        ),
    }
    folder = write(tmp_path / "reg", case, parts=4)
    network = _same(client, folder)
    assert network["read.blocks"] == 4
    assert network["gather.survivors"] > 0


def test_a_worker_killed_while_validating_blocks_is_replaced_and_the_report_is_the_same(
    client: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    marker = tmp_path / "killed"
    validate = _blocks.validate_block

    def dies_once(*args: Any, **kwargs: Any) -> Any:
        # the first block to be validated kills its worker process: the parts it read
        # and the buckets it held are made again from the files (Dask's lineage)
        try:
            os.close(os.open(marker, os.O_CREAT | os.O_EXCL))
        except FileExistsError:
            return validate(*args, **kwargs)
        os._exit(1)

    monkeypatch.setattr(_blocks, "validate_block", dies_once)
    case = {
        "people": "id,roles\n" + "".join(f"p{i},coach;client\n" for i in range(12)),
        "ties": "id,kind,source,target,start,end\n"
        + "".join(
            f"t{i},{k},p{i},p{(i + 1) % 12},2025-01-01,\n"
            for i, k in enumerate(["coaching", "romance", "business"] * 4)
        ),
    }
    folder = write(tmp_path / "reg", case, parts=3)
    network = _same(client, folder)
    assert network["read.blocks"] == 3
    assert marker.exists()  # a worker did die


def test_reveal_reads_the_registry_on_the_client_with_the_same_report(
    client: Any, tmp_path: Path
) -> None:
    case = {
        "people": "id,roles,name\nco1,coach,Ann\ncl1,client,Bo\n",
        "ties": "id,kind,source,target,start,end\nt1,coaching,co1,cl1,2025-01-01,\n"
        "t2,romance,co1,cl1,2025-01-01,\n",
    }
    folder = write(tmp_path / "reg", case, parts=2)
    one = run_check(folder, as_of=AS_OF, reveal=True)
    network: dict[str, int] = {}
    on_dask = check_on_dask(client, folder, as_of=AS_OF, reveal=True, network=network)
    assert render(on_dask, "json") == render(one, "json")
    assert on_dask.names == one.names == {"co1": "Ann", "cl1": "Bo"}
    assert "read.blocks" not in network  # every person's name: read as one machine reads


@pytest.mark.parametrize(
    ("parts", "threads", "buckets"),
    [(1, 2, 1), (16, 2, 4), (160, 2, 10), (1600, 2, 100), (1600, 64, 128)],
)
def test_buckets_grow_with_the_parts(parts: int, threads: int, buckets: int) -> None:
    # two a worker thread, or one for PARTS_A_BUCKET parts, so that a bucket's people
    # stay about the same as the registry grows in parts of one size
    assert _blocks.buckets_for(parts, threads) == buckets


@settings(max_examples=100, deadline=None)
@given(
    places=st.lists(
        st.tuples(st.integers(0, 5000), st.integers(0, 2**31 - 1)), min_size=1, max_size=60
    )
)
def test_the_survivors_people_are_asked_of_their_own_parts_by_row(
    places: list[tuple[int, int]],
) -> None:
    """Each part is asked for its own rows alone, each once and ascending: the rows
    ``people_rows`` reads again, in file order."""
    import pyarrow as pa  # noqa: PLC0415

    coded = pa.array([part << 32 | row for part, row in places], pa.int64())
    assert _blocks.where(places[0][0], 3).to_pylist() == [places[0][0] << 32 | r for r in range(3)]
    got = [(part, rows.to_pylist()) for part, rows in _blocks.parts_and_rows(coded)]
    expected: dict[int, set[int]] = {}
    for part, row in places:
        expected.setdefault(part, set()).add(row)
    assert got == [(part, sorted(rows)) for part, rows in sorted(expected.items())]
    for _, rows in _blocks.parts_and_rows(coded):
        assert rows.type == pa.int32()
        # sent to its part's task: its own rows alone, not a slice of every part's
        assert len(pickle.dumps(rows)) < 200 + 4 * len(rows)
