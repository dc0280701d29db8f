"""Evaluation cut into partitions by anchor finds what one ``evaluate`` finds.

``dualrel.rules.partitions`` is what a distributed check runs: each partition is
evaluated from its own people and ties alone (pickled, as a cluster would send it), so a
tie a partition needs and does not carry, or a match two partitions both report, shows
here as a finding missing or doubled.
"""

from __future__ import annotations

import pickle
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dualrel
from dualrel.errors import InvalidArgument
from dualrel.graph import load_registry
from dualrel.rules import evaluate, prepare
from dualrel.rules.partitions import evaluate_partition, partition, unpartitionable
from tests.scale.strategies import folders, write


def _partitioned(registry: Any, ruleset: str, parts: int) -> Any:
    [compiled] = prepare(ruleset)
    cut = partition(registry, compiled, None, parts)
    # every partition crosses a process boundary on a cluster: so it does here
    shipped = [pickle.loads(pickle.dumps(p)) for p in cut.parts]
    keys = [k for p in cut.parts for k in p.keys]
    assert len(keys) == len(set(keys))  # each anchor in one partition
    return cut.report(evaluate_partition(compiled, cut.as_of, p) for p in shipped)


@settings(max_examples=60, deadline=None)
@given(case=folders(), parts=st.integers(1, 5))
def test_partitions_find_what_one_evaluation_finds(case: dict[str, Any], parts: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        registry = load_registry(write(Path(tmp) / "reg", case))
    want = evaluate(registry, "coaching-core")
    got = _partitioned(registry, "coaching-core", parts)
    assert got == want


def test_the_example_partitioned_finds_every_finding() -> None:
    registry = load_registry(dualrel.example_registry())
    want = evaluate(registry, "coaching-core")
    assert want.findings  # the example plants findings: a test over none would pass for none
    for parts in (1, 3, 7):
        assert _partitioned(registry, "coaching-core", parts) == want


def test_rules_reading_records_or_grouping_are_refused_by_name() -> None:
    compiled = prepare("coaching-practice")
    named = unpartitionable(compiled)
    assert named
    registry = load_registry(dualrel.example_registry())
    with pytest.raises(InvalidArgument) as e:
        partition(registry, compiled[0], None, 2)
    assert all(name in str(e.value) for name in named)
    assert unpartitionable(prepare("coaching-core")) == []
