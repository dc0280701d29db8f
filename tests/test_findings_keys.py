"""A finding's fingerprint and sort key, written by hand for speed, are the definitions'.

The fingerprint is the sha256 of ``json.dumps([ruleset, rule, sorted(subjects.items()),
evidence, records?], separators=(",", ":"))``; the sort key orders findings as the tuple
``(-level, -severity, ruleset, rule, sorted(subjects.items()), evidence, records)``.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from dualrel.findings import (
    SEVERITY_ORDER,
    Citation,
    Finding,
    RemediationStep,
    RulesetRef,
    fingerprint,
)

# low characters (the sort key's separators) and non-ASCII ones (the fingerprint's escapes)
_text = st.text(
    st.sampled_from(["\x00", "\x01", "\x02", "\x03", "a", "b", "é", '"', "\\", "\n", "😀"]),
    max_size=4,
) | st.text(max_size=6)
_ids = st.tuples() | st.lists(_text, max_size=3).map(tuple)
_subjects = st.dictionaries(
    st.sampled_from(["coach", "client", "c", "co", ""]) | _text, _text, max_size=3
)


def _finding(
    level: int,
    severity: str,
    rule: str,
    subjects: dict[str, str],
    *,
    evidence: tuple[str, ...],
    records: tuple[str, ...],
) -> Finding:
    step = RemediationStep("Pause", 7, date(2026, 1, 8), "coach", None, "no coach")
    return Finding(
        rule,
        RulesetRef("rs", "1"),
        "t",
        "c",
        severity,
        level,
        subjects,
        evidence,
        (Citation("ICF", "1"),),
        (step,),
        "fp",
        records,
    )


def _defined_key(f: Finding) -> tuple[object, ...]:
    return (
        -f.level,
        -SEVERITY_ORDER.get(f.severity, 0),
        f.ruleset.id,
        f.rule,
        sorted(f.subjects.items()),
        f.evidence,
        f.records,
    )


@settings(max_examples=300)
@given(st.text(max_size=5), st.text(max_size=5), _subjects, _ids, _ids)
def test_fingerprint_hashes_the_compact_json_of_what_the_finding_is_about(
    ruleset: str,
    rule: str,
    subjects: dict[str, str],
    evidence: tuple[str, ...],
    records: tuple[str, ...],
) -> None:
    items: list[object] = [ruleset, rule, sorted(subjects.items()), list(evidence)]
    if records:
        items.append(list(records))
    text = json.dumps(items, separators=(",", ":"))
    assert (
        fingerprint(ruleset, rule, subjects, evidence, records)
        == hashlib.sha256(text.encode()).hexdigest()[:32]
    )


_findings = st.builds(
    _finding,
    st.integers(1, 3),
    st.sampled_from(sorted(SEVERITY_ORDER)),
    st.sampled_from(["r", "r2", "r\x01"]),
    _subjects,
    evidence=_ids,
    records=_ids,
)


@settings(max_examples=300)
@given(st.lists(_findings, max_size=12))
def test_sort_key_orders_findings_as_the_defined_tuple(findings: list[Finding]) -> None:
    assert [_defined_key(f) for f in sorted(findings, key=Finding.sort_key)] == [
        _defined_key(f) for f in sorted(findings, key=_defined_key)
    ]


@settings(max_examples=300)
@given(_findings, _findings)
def test_sort_keys_compare_as_the_defined_tuples(a: Finding, b: Finding) -> None:
    assert (a.sort_key() < b.sort_key()) == (_defined_key(a) < _defined_key(b))
    assert (a.sort_key() == b.sort_key()) == (_defined_key(a) == _defined_key(b))
