"""The date windows of a finding's rule on its evidence (``dualrel.rules.windows``), which
the HTML page draws on each finding's timeline."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import yaml

from dualrel.check import run_check
from dualrel.findings import EvidenceWindow
from tests.report.util import EXAMPLE, small_registry, write_registry


def _windows(result: object, rule: str) -> list[tuple[EvidenceWindow, ...]]:
    return [f.windows for f in result.findings if f.finding.rule == rule]  # type: ignore[attr-defined]


def test_former_client_window_on_the_romance() -> None:
    result = run_check(EXAMPLE, ["coaching-core"])
    (found,) = [f for f in result.findings if f.finding.rule == "romance-former-client"]
    coaching, romance = found.ties
    assert coaching.end is not None
    (window,) = found.windows
    assert window == EvidenceWindow(
        item=romance.id,
        condition="romance.start <= coaching.end + former_client_window_days",
        bound=coaching.end + timedelta(days=730),
        value=romance.start,
    )
    # a rule whose dates compare without an offset draws nothing
    assert all(not f.windows for f in result.findings if f.finding.rule == "romance-active-client")


def test_a_record_window_with_the_parameter_resolved() -> None:
    result = run_check(EXAMPLE, ["coaching-practice"])
    found = [f for f in result.findings if f.finding.rule == "agreement-review-overdue"]
    assert found
    for f in found:
        (window,) = f.windows
        assert window.item == f.finding.records[0]
        assert window.condition == "agreement.reviewed < as_of - agreement_review_days"
        assert window.bound == result.as_of - timedelta(days=90)
        dated = dict(f.records[0].dates)
        assert window.value == dated.get("reviewed")


def test_as_of_on_the_left_and_fixed_dates(tmp_path: Path) -> None:
    ruleset = {
        "id": "windows",
        "version": "1",
        "title": "Windows",
        "parameters": {"cool_off": 30},
        "rules": [
            {
                "id": "soon-after",
                "title": "Friendship soon after coaching",
                "category": "social",
                "severity": "low",
                "level": 1,
                "remediation": [{"action": "Discuss", "within_days": 7, "owner": "coach"}],
                "match": {
                    "people": {"coach": {}, "client": {}},
                    "ties": [
                        {"as": "coaching", "kind": "coaching", "from": "coach", "to": "client"},
                        {"as": "friend", "kind": "friendship", "between": ["coach", "client"]},
                    ],
                    "where": [
                        "as_of >= coaching.start + cool_off",
                        "friend.start >= 2025-01-01",
                        "friend.start >= coaching.start",
                    ],
                },
            }
        ],
    }
    (tmp_path / "windows.yaml").write_text(yaml.safe_dump(ruleset), encoding="utf-8")
    friend = {
        "id": "f1",
        "kind": "friendship",
        "source": "co1",
        "target": "cl2",
        "start": "2025-06-01",
    }
    reg = write_registry(tmp_path / "reg.json", small_registry([friend]))
    result = run_check(reg, [tmp_path / "windows.yaml"])
    (found,) = result.findings
    assert found.finding.evidence == ("c2", "f1")
    assert found.windows == (
        # as_of >= coaching.start + 30 reads coaching.start <= as_of - 30
        EvidenceWindow(
            "c2", "as_of >= coaching.start + cool_off", date(2026, 5, 2), date(2025, 2, 10)
        ),
        EvidenceWindow("f1", "friend.start >= 2025-01-01", date(2025, 1, 1), date(2025, 6, 1)),
    )
