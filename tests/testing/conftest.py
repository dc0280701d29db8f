from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[2]

RULESET = """\
id: mini
version: "1"
title: A one-rule ruleset for tests
parameters:
  window_days: 30
rules:
  - id: gift-after-coaching
    title: A gift from a former client within a month
    category: gifts
    severity: low
    level: 1
    remediation: [{action: Record the gift, within_days: 7, owner: coach}]
    match:
      people: {coach: {}, client: {}}
      ties:
        - {as: coaching, kind: coaching, from: coach, to: client, ended: true}
        - {as: gift, kind: paid_service, from: client, to: coach}
      where:
        - gift.start <= coaching.end + window_days
"""

CASES = """\
as_of: 2026-01-01
cases:
  - name: a gift a week after the end fires
    people: [{id: co}, {id: cl}]
    ties:
      - {id: c, kind: coaching, source: co, target: cl, end: 2025-06-01}
      - {id: g, kind: paid_service, source: cl, target: co, start: 2025-06-08}
    expect:
      - {rule: gift-after-coaching, subjects: {coach: co, client: cl}, level: 1}
  - name: a gift two months after the end does not
    people: [{id: co}, {id: cl}]
    ties:
      - {id: c, kind: coaching, source: co, target: cl, end: 2025-06-01}
      - {id: g, kind: paid_service, source: cl, target: co, start: 2025-08-01}
    expect_none: true
"""


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    """A folder with ``mini.yaml`` and ``tests/mini/cases.yaml`` (two passing cases)."""
    (tmp_path / "mini.yaml").write_text(RULESET)
    (tmp_path / "tests" / "mini").mkdir(parents=True)
    (tmp_path / "tests" / "mini" / "cases.yaml").write_text(CASES)
    return tmp_path
