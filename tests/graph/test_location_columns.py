"""Where records were read, by columns (``RecordLocations.columns``), is what ``at`` says
of each: a CSV folder (a line per row), the same folder split into parts (each record's
own file), a JSON document (a pointer per record), and the registry narrowed to some ties
as a check reads it (the positions of the pointers kept)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from dualrel.graph import RecordLocations, load_registry
from dualrel.graph.columns import load_for_rules
from dualrel.graph.parts import split_folder
from dualrel.rules import prepare
from dualrel.rules.engine import registry_for
from tests.graph.test_parts import _small_folder

_JSON = """{"format": "dualrel.registry/1",
 "people": [{"id": "co1", "roles": ["coach"]}, {"id": "cl1", "roles": ["client"]},
            {"id": "cl2", "roles": ["client"]}],
 "ties": [{"id": "t1", "kind": "coaching", "source": "co1", "target": "cl1",
           "start": "2025-01-01"},
          {"id": "t2", "kind": "friendship", "source": "cl1", "target": "cl2"},
          {"id": "t3", "kind": "romance", "source": "cl1", "target": "co1"}]}
"""


def _same(locations: object, kind: str, positions: list[int]) -> None:
    assert isinstance(locations, RecordLocations)
    made = [locations.at(kind, i) for i in positions]
    assert locations.columns(kind, positions) == (
        [loc.file if loc else None for loc in made],
        [loc.line if loc else None for loc in made],
        [loc.pointer if loc else None for loc in made],
    )


def test_columns_are_each_records_location(tmp_path: Path) -> None:
    one = _small_folder(tmp_path)
    split_folder(str(one), str(tmp_path / "split"), 2)
    (tmp_path / "reg.json").write_text(_JSON, encoding="utf-8")
    for path in (one, tmp_path / "split", tmp_path / "reg.json"):
        reg = load_registry(path)
        for kind, n in (("tie", len(reg.ties)), ("person", len(reg.people))):
            _same(reg.locations, kind, list(range(n)))
            _same(reg.locations, kind, list(range(n))[::-2])
        assert reg.locations.columns("no such section", [0]) is None


def test_columns_of_a_narrowed_registry(tmp_path: Path) -> None:
    (tmp_path / "reg.json").write_text(_JSON, encoding="utf-8")
    for path in (_small_folder(tmp_path), tmp_path / "reg.json"):
        narrowed = registry_for(
            load_for_rules(str(path))[0], prepare("coaching-core"), as_of=date(2026, 1, 1)
        )
        _same(narrowed.locations, "tie", list(range(len(narrowed.ties))))
