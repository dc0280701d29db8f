"""The citation audit: every clause a shipped ruleset cites is one the team's notes on the
codes of ethics describe (tests/rules/data/ethics-codes.yaml, copied from the notes)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from dualrel.rules import shipped_rulesets

CODES: dict[str, dict[str, str]] = yaml.safe_load(
    (Path(__file__).parent / "data" / "ethics-codes.yaml").read_text(encoding="utf-8")
)


def citations(doc: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(rule, code, clause) of every citation a ruleset file writes, overrides included."""
    out = [
        (r["id"], c["code"], str(c["clause"]))
        for r in doc.get("rules") or []
        for c in r.get("citations") or []
    ]
    for rid, ov in (doc.get("overrides") or {}).items():
        out += [(rid, c["code"], str(c["clause"])) for c in ov.get("citations") or []]
    return out


def test_the_table_has_the_codes_the_rulesets_declare():
    assert {"ICF-2020", "GCoE-2021", "APA-2017", "ACA-2014"} <= set(CODES)
    assert "12" in CODES["ICF-2020"] and "9" not in CODES["ICF-2020"]


@pytest.mark.parametrize("name", sorted(shipped_rulesets()))
def test_every_shipped_citation_is_in_the_notes(name: str) -> None:
    doc = yaml.safe_load(shipped_rulesets()[name].read_text(encoding="utf-8"))
    cited = citations(doc)
    assert cited or name not in {"coaching-core", "coaching-practice"}
    unknown = [
        (rid, code, clause) for rid, code, clause in cited if clause not in CODES.get(code, {})
    ]
    assert not unknown, f"citations absent from the notes: {unknown}"


@pytest.mark.parametrize(
    ("name", "rule", "code", "clause", "cited"),
    [
        # the mismatches the audit found (issue 15), each fixed
        ("coaching-core", "paid-service-active-client", "ICF-2020", "12", False),
        ("coaching-core", "paid-service-active-client", "ICF-2020", "10", True),
        ("coaching-core", "employment-active-client", "ICF-2020", "6", False),
        (
            "coaching-core",
            "supervisor-romance-or-family",
            "GCoE-2021",
            "Working with clients: conflict of interest",
            True,
        ),
        ("counselling-windows", "romance-former-client", "ACA-2014", "A.5.c", True),
    ],
)
def test_the_audits_mismatches_stay_fixed(name, rule, code, clause, cited):
    doc = yaml.safe_load(shipped_rulesets()[name].read_text(encoding="utf-8"))
    assert ((rule, code, clause) in citations(doc)) is cited
