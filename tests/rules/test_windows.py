"""The date windows of a finding's rule on its evidence (``dualrel.rules.windows``), which
the HTML page draws on each finding's timeline."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import yaml

from dualrel.check import run_check
from dualrel.findings import EvidenceTie, EvidenceWindow, Finding, RulesetRef
from dualrel.rules import load_ruleset
from dualrel.rules.windows import date_conditions, date_windows
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


def test_no_window_where_the_clause_is_not_certain(tmp_path: Path) -> None:
    """Two friendship clauses between the same people: read in the wrong order, the
    condition does not hold on the dates, so nothing is drawn rather than a wrong row."""
    ruleset = {
        "id": "twice",
        "version": "1",
        "title": "Twice",
        "rules": [
            {
                "id": "again",
                "title": "Friends again",
                "category": "social",
                "severity": "low",
                "level": 1,
                "remediation": [{"action": "Discuss", "within_days": 7, "owner": "coach"}],
                "match": {
                    "people": {"coach": {}, "client": {}},
                    "ties": [
                        {"as": "coaching", "kind": "coaching", "from": "coach", "to": "client"},
                        {"as": "first", "kind": "friendship", "between": ["coach", "client"]},
                        {"as": "second", "kind": "friendship", "between": ["coach", "client"]},
                    ],
                    "where": ["second.start > first.end + 30"],
                },
            }
        ],
    }
    (tmp_path / "twice.yaml").write_text(yaml.safe_dump(ruleset), encoding="utf-8")
    rule = load_ruleset(tmp_path / "twice.yaml").rules[0]
    conditions = date_conditions(rule)
    ties = (
        EvidenceTie("c1", "coaching", "co1", "cl1", True, date(2025, 1, 1)),
        EvidenceTie("f1", "friendship", "co1", "cl1", False, date(2025, 2, 1), date(2025, 3, 1)),
        EvidenceTie("f2", "friendship", "cl1", "co1", False, date(2025, 9, 1), date(2025, 10, 1)),
    )

    def windows(order: tuple[int, ...]) -> tuple[EvidenceWindow, ...]:
        evidence = tuple(ties[i] for i in order)
        finding = Finding(
            rule="again",
            ruleset=RulesetRef("twice", "1"),
            title="Friends again",
            category="social",
            severity="low",
            level=1,
            subjects={"coach": "co1", "client": "cl1"},
            evidence=tuple(t.id for t in evidence),
            citations=(),
            remediation=(),
            fingerprint="0" * 32,
        )
        return date_windows(
            rule, conditions, finding, ties=evidence, records=(), as_of=date(2026, 1, 1)
        )

    (right,) = windows((0, 1, 2))
    assert right == EvidenceWindow(
        "f2", "second.start > first.end + 30", date(2025, 3, 31), date(2025, 9, 1)
    )
    assert windows((0, 2, 1)) == ()  # the friendships swapped: the dates say no
    assert windows((1, 0, 2)) == ()  # a friendship where the coaching clause is
