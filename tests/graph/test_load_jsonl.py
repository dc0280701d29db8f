"""JSON Lines registries: streamed records, header, errors by line."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from dualrel.graph import load_registry

from .helpers import one, problems_of


def write(tmp_path: Path, records: list[object], raw: str = "") -> Path:
    path = tmp_path / "reg.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n" + raw, encoding="utf-8")
    return path


HEADER = {"type": "registry", "format": "dualrel.registry/1", "as_of": "2026-11-26"}
A = {"type": "person", "id": "a", "roles": ["coach"]}
B = {"type": "person", "id": "b", "roles": ["client"]}
T = {"type": "tie", "id": "t1", "kind": "coaching", "source": "a", "target": "b"}


def test_loads_records_in_any_order(tmp_path: Path) -> None:
    reg = load_registry(write(tmp_path, [HEADER, T, A, B]))
    assert [p.id for p in reg.people] == ["a", "b"]
    assert reg.as_of == date(2026, 11, 26)
    assert reg.locations[("tie", "t1")].line == 2
    assert reg.locations[("person", "b")].line == 4


def test_header_is_optional(tmp_path: Path) -> None:
    reg = load_registry(write(tmp_path, [A, B, T]), as_of="2026-01-01")
    assert reg.as_of == date(2026, 1, 1)


def test_errors_by_line(tmp_path: Path) -> None:
    records = [
        HEADER,
        A,
        B,
        {**T, "source": "x"},  # 4
        {"type": "tei"},  # 5
        {"id": "c"},  # 6
        [1],  # 7
        {**T, "id": "t2", "start": "2025-1-1"},  # 8
        HEADER,  # 9
    ]
    path = write(tmp_path, records, raw="{not json\n")  # 10
    probs = problems_of(path)
    found = {(p.code, p.line) for p in probs}
    assert found >= {
        ("unknown-person", 4),
        ("unknown-type", 5),
        ("missing-field", 6),
        ("wrong-type", 7),
        ("invalid-date", 8),
        ("misplaced-header", 9),
        ("malformed", 10),
    }
    assert all(p.file == str(path) for p in probs)
    assert "did you mean 'tie'?" in one(probs, "unknown-type").message


def test_bad_header(tmp_path: Path) -> None:
    bad = {"type": "registry", "format": "other", "as_of": "x", "extra": 1}
    probs = problems_of(write(tmp_path, [bad, A]))
    assert {p.code for p in probs} == {"unsupported-format", "invalid-date", "unknown-field"}
    assert all(p.line == 1 for p in probs)
