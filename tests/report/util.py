"""Small registries, rulesets and waivers for the report and CLI tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import dualrel

EXAMPLE = dualrel.example_registry()
#: a pseudonym key of the shortest length accepted (32 bytes)
TEST_KEY = "test-key-of-thirty-two-bytes-..."
KEY = {"DUALREL_PSEUDONYM_KEY": TEST_KEY}

SIGNED = {"agreement_signed": "2025-01-01"}


def small_registry(extra_ties: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Coach co1 with supervisor su1 and manager ma1, clients cl1 and cl2.

    As is, it has no finding; ``extra_ties`` plant some.
    """
    return {
        "format": "dualrel.registry/1",
        "as_of": "2026-06-01",
        "people": [
            {"id": "co1", "roles": ["coach"], "name": "Zelda Quorn"},
            {"id": "cl1", "roles": ["client"], "name": "Yusuf Pellow"},
            {"id": "cl2", "roles": ["client"], "name": "Xavia Drummond"},
            {"id": "su1", "roles": ["supervisor"], "name": "Wendel Ostrava"},
            {"id": "ma1", "roles": ["manager"], "name": "Vera Lindqvist"},
        ],
        "ties": [
            {
                "id": "c1",
                "kind": "coaching",
                "source": "co1",
                "target": "cl1",
                "start": "2025-01-10",
                "attributes": SIGNED,
            },
            {
                "id": "c2",
                "kind": "coaching",
                "source": "co1",
                "target": "cl2",
                "start": "2025-02-10",
                "attributes": SIGNED,
            },
            {
                "id": "s1",
                "kind": "supervision",
                "source": "su1",
                "target": "co1",
                "start": "2024-01-01",
            },
            {
                "id": "m1",
                "kind": "management",
                "source": "ma1",
                "target": "co1",
                "start": "2024-01-01",
            },
            *(extra_ties or []),
        ],
    }


ROMANCE = {"id": "r1", "kind": "romance", "source": "cl1", "target": "co1", "start": "2026-01-01"}
FRIENDSHIP = {
    "id": "f1",
    "kind": "friendship",
    "source": "co1",
    "target": "cl2",
    "start": "2025-06-01",
}
NAMES = ("Zelda Quorn", "Yusuf Pellow", "Xavia Drummond", "Wendel Ostrava", "Vera Lindqvist")


def write_registry(path: Path, doc: dict[str, Any]) -> Path:
    path.write_text(json.dumps(doc, indent=1), encoding="utf-8")
    return path


def example_names() -> list[str]:
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    return [p["name"] for p in data["people"] if p.get("name")]
