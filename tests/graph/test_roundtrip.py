"""Round trips: JSON -> graph -> JSON, CSV -> JSON, every format, arbitrary registries."""

from __future__ import annotations

import json
import tempfile
from dataclasses import replace
from pathlib import Path

from hypothesis import HealthCheck, given, settings

from dualrel.graph import (
    build_graph,
    dump_registry,
    load_registry,
    registry_document,
    registry_from_graph,
)
from dualrel.graph.model import PRACTICE_SECTIONS, Practice, Registry

from .strategies import registries, registries_with_practice, same_content

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _reload(reg: Registry, fmt: str, name: str) -> Registry:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / name
        dump_registry(reg, path, format=fmt)
        return load_registry(path)


@FAST
@given(registries())
def test_registry_graph_registry_is_lossless(reg: Registry) -> None:
    assert registry_from_graph(build_graph(reg)) == reg


@FAST
@given(registries())
def test_json_graph_json_is_lossless(reg: Registry) -> None:
    loaded = _reload(reg, "json", "reg.json")
    assert same_content(loaded, reg)
    back = registry_from_graph(build_graph(loaded))
    assert back == loaded  # locations and source too
    assert registry_document(back) == registry_document(reg)
    again = _reload(back, "json", "again.json")
    assert registry_document(again) == registry_document(reg)


@FAST
@given(registries())
def test_jsonl_round_trip(reg: Registry) -> None:
    assert same_content(_reload(reg, "jsonl", "reg.jsonl"), reg)


@FAST
@given(registries(csv_safe=True))
def test_csv_equals_json(reg: Registry) -> None:
    from_csv = _reload(reg, "csv", "folder")
    from_json = _reload(reg, "json", "reg.json")
    # CSV has no as_of: compare with the document's
    assert same_content(replace(from_csv, as_of=reg.as_of), from_json)
    assert same_content(from_json, reg)


def test_written_json_is_the_interchange_format(tmp_path: Path) -> None:
    reg = load_registry(Path(__file__).parents[2] / "examples" / "practice.json")
    path = tmp_path / "out.json"
    dump_registry(reg, path)
    doc = json.loads(path.read_text())
    assert doc["format"] == "dualrel.registry/1"
    assert doc["as_of"] == "2026-11-26"
    assert set(doc) == {"format", "as_of", "people", "ties", *PRACTICE_SECTIONS}
    assert all(set(t) >= {"id", "kind", "source", "target", "start", "end"} for t in doc["ties"])
    assert same_content(load_registry(path), reg)
    assert load_registry(path).practice == reg.practice
    assert path.stat().st_mode & 0o777 == 0o644


@FAST
@given(registries_with_practice())
def test_practice_records_round_trip_through_graph_json_and_jsonl(reg: Registry) -> None:
    assert registry_from_graph(build_graph(reg)) == reg
    for fmt, name in (("json", "reg.json"), ("jsonl", "reg.jsonl")):
        loaded = _reload(reg, fmt, name)
        assert same_content(loaded, reg), fmt
        assert registry_from_graph(build_graph(loaded)) == loaded
        assert registry_document(loaded) == registry_document(reg)


@FAST
@given(registries_with_practice(csv_safe=True))
def test_practice_records_round_trip_through_csv(reg: Registry) -> None:
    from_csv = _reload(reg, "csv", "folder")
    assert same_content(replace(from_csv, as_of=reg.as_of), reg)


def test_csv_dump_empties_a_stale_section_file(tmp_path: Path) -> None:
    reg = load_registry(Path(__file__).parents[2] / "examples" / "practice.json")
    folder = tmp_path / "reg"
    dump_registry(reg, folder, format="csv")
    assert (folder / "contacts.csv").exists()
    assert not (folder / "unknown.csv").exists()
    dump_registry(replace(reg, practice=Practice()), folder, format="csv")
    assert load_registry(folder).practice == Practice()
