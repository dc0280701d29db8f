"""Helpers for the loader tests: write a registry, collect the problems of loading it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dualrel.errors import Problem, RegistryError
from dualrel.graph import load_registry_with_warnings

FORMAT = "dualrel.registry/1"


def problems_of(path: Path | str, **kwargs: Any) -> list[Problem]:
    """The errors of loading ``path`` (which must fail)."""
    with pytest.raises(RegistryError) as info:
        load_registry_with_warnings(path, **kwargs)
    return [p for p in info.value.problems if p.severity == "error"]


def one(problems: list[Problem], code: str) -> Problem:
    """The only problem with ``code``."""
    found = [p for p in problems if p.code == code]
    assert len(found) == 1, f"expected one {code!r}, got {problems}"
    return found[0]


def document(people: list[Any], ties: list[Any] | None = None, **top: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {"format": FORMAT, "as_of": "2026-11-26", **top}
    doc["people"] = people
    doc["ties"] = ties or []
    return doc


def write_lines_json(path: Path, doc: dict[str, Any]) -> Path:
    """JSON with one record per line: person i on line 4 + i, tie j after the people."""
    out = ['{"format": ' + json.dumps(doc["format"]) + ",", ' "as_of": "2026-11-26",']
    out.append(' "people": [')
    out.append(",\n".join("  " + json.dumps(p) for p in doc["people"]))
    out.append(' ], "ties": [')
    out.append(",\n".join("  " + json.dumps(t) for t in doc["ties"]))
    out.append("]}")
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path


PEOPLE = [
    {"id": "co001", "roles": ["coach"], "name": "Ada Example"},
    {"id": "cl0001", "roles": ["client"]},
    {"id": "cl0002", "roles": ["client"], "attributes": {"tier": "gold"}},
]
