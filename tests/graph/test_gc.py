"""Loading pauses the garbage collector and leaves it as it found it."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from dualrel._internal.gc import gc_paused
from dualrel.graph import build_graph, load_registry

EXAMPLE = Path(__file__).parents[2] / "examples" / "practice.json"


@pytest.mark.parametrize("enabled", [True, False])
def test_collector_state_is_restored(enabled: bool) -> None:
    was = gc.isenabled()
    try:
        (gc.enable if enabled else gc.disable)()
        build_graph(load_registry(EXAMPLE))
        assert gc.isenabled() is enabled
        with pytest.raises(ValueError), gc_paused():
            assert not gc.isenabled()
            raise ValueError
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()


def test_a_programs_own_freeze_is_kept() -> None:
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        assert frozen > 0
        load_registry(EXAMPLE)
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()
