"""registry_from_data: a registry held in memory, validated like a file."""

from __future__ import annotations

import json
from datetime import date

import pytest

import dualrel
from dualrel.errors import RegistryError
from dualrel.graph import dump_registry, load_registry, registry_from_data


def test_the_example_read_from_data_equals_the_file():
    path = dualrel.example_registry()
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    assert registry_from_data(data, source=str(path)).ties == load_registry(path).ties
    assert registry_from_data(data).people == load_registry(path).people


def test_dates_may_be_date_objects_and_as_of_can_be_overridden():
    reg = registry_from_data(
        {
            "format": "dualrel.registry/1",
            "as_of": date(2026, 1, 1),
            "people": [{"id": "co", "roles": ["coach"]}, {"id": "cl", "roles": ["client"]}],
            "ties": [
                {
                    "id": "t",
                    "kind": "coaching",
                    "source": "co",
                    "target": "cl",
                    "start": date(2025, 1, 1),
                    "end": "2025-12-31",
                }
            ],
        },
        as_of="2026-02-01",
    )
    assert reg.as_of == date(2026, 2, 1)
    assert (reg.ties[0].start, reg.ties[0].end) == (date(2025, 1, 1), date(2025, 12, 31))


def test_every_problem_is_collected_with_its_pointer_and_the_source_name():
    with pytest.raises(RegistryError) as info:
        registry_from_data(
            {
                "format": "dualrel.registry/1",
                "people": [{"id": "a"}, {"id": "a"}, {"roles": ["coach"]}],
                "ties": [{"kind": "coachng", "source": "a", "target": "zz", "start": "2025-13-01"}],
            },
            source="platform-export",
        )
    got = {(p.file, p.pointer, p.code) for p in info.value.problems if p.severity == "error"}
    assert {
        ("platform-export", "/people/1/id", "duplicate-person"),
        ("platform-export", "/people/2", "missing-field"),
        ("platform-export", "/ties/0/kind", "unknown-kind"),
        ("platform-export", "/ties/0/start", "invalid-date"),
        ("platform-export", "/ties/0/target", "unknown-person"),
    } == got
    assert all(p.line is None for p in info.value.problems)


def test_extra_kinds_from_rulesets_are_accepted(tmp_path):
    data = {
        "format": "dualrel.registry/1",
        "people": [{"id": "a"}, {"id": "b"}],
        "ties": [{"id": "t", "kind": "gift", "source": "a", "target": "b"}],
    }
    with pytest.raises(RegistryError):
        registry_from_data(data)
    reg = registry_from_data(data, extra_kinds={"gift": True})
    dump_registry(reg, tmp_path / "r.json")
    assert load_registry(tmp_path / "r.json", extra_kinds={"gift": True}).ties == reg.ties
