"""The JSON report's findings, written as text from their parts, are pydantic's bytes.

:func:`json_report.stream` puts each finding's text together itself (the shared parts
written once); :func:`json_report.document_data` is the report as plain data. Whatever
the text in them (quotes, backslashes, control characters, non-ASCII), the two must give
the same bytes.
"""

from __future__ import annotations

from datetime import date

import pydantic_core
from hypothesis import given, settings
from hypothesis import strategies as st

from dualrel.findings import (
    CheckedFinding,
    CheckResult,
    Citation,
    EvidenceRecord,
    EvidenceTie,
    EvidenceWindow,
    Finding,
    RegistryInfo,
    RemediationStep,
    RulesetRef,
    WaiverInfo,
)
from dualrel.report import People, json_report

_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=8)
_dates = st.dates()
_maybe_text = st.none() | _text
_rulesets = st.sampled_from([RulesetRef("rs", "1"), RulesetRef('r"s\n', "2.0")])
_citations = st.lists(st.builds(Citation, _text, _text), max_size=2).map(tuple)
_steps = st.builds(
    RemediationStep,
    _text,
    st.integers(0, 400),
    _dates,
    st.sampled_from(["coach", "manager", "external"]),
    _maybe_text,
    _maybe_text,
)
_ties = st.builds(
    EvidenceTie,
    _text,
    _text,
    _text,
    _text,
    st.booleans(),
    st.none() | _dates,
    st.none() | _dates,
    _maybe_text,
    st.none() | st.integers(1, 10**7),
    _maybe_text,
)
_waivers = st.builds(
    WaiverInfo,
    _text,
    _text,
    _text,
    _dates,
    _maybe_text,
    _maybe_text,
    _maybe_text,
    st.none() | st.dictionaries(_text, _text, max_size=2),
)


@st.composite
def _checked(draw: st.DrawFn) -> CheckedFinding:
    shared_steps = draw(st.lists(_steps, min_size=1, max_size=3))
    finding = Finding(
        rule=draw(st.sampled_from(["r1", "r\u00e92", "r\\3"])),
        ruleset=draw(_rulesets),
        title=draw(_text),
        category=draw(_text),
        severity=draw(st.sampled_from(["low", "critical"])),
        level=draw(st.integers(1, 3)),
        subjects=draw(st.dictionaries(_text, _text, max_size=3)),
        evidence=tuple(draw(st.lists(_text, max_size=3))),
        citations=draw(_citations),
        remediation=tuple(draw(st.lists(st.sampled_from(shared_steps), max_size=3))),
        fingerprint=draw(_text),
        records=tuple(draw(st.lists(_text, max_size=2))),
    )
    return CheckedFinding(
        finding=finding,
        status=draw(st.sampled_from(["open", "waived", "baselined"])),
        description=draw(_text),
        ties=tuple(draw(st.lists(_ties, max_size=3))),
        waiver=draw(st.none() | _waivers),
        in_baseline=draw(st.booleans()),
        records=tuple(
            draw(
                st.lists(
                    st.builds(
                        EvidenceRecord,
                        _text,
                        st.lists(st.tuples(_text, _dates), max_size=2).map(tuple),
                    ),
                    max_size=2,
                )
            )
        ),
        windows=tuple(
            draw(
                st.lists(
                    st.builds(EvidenceWindow, _text, _text, _dates, st.none() | _dates), max_size=2
                )
            )
        ),
    )


@settings(max_examples=150, deadline=None)
@given(
    st.lists(_checked(), max_size=6),
    st.booleans(),
    st.integers(1, 4),
)
def test_streamed_findings_are_the_serialized_document(
    findings: list[CheckedFinding], reveal: bool, batch: int
) -> None:
    people = sorted({p for f in findings for p in f.finding.subjects.values()})
    names = {p: f'N\u00e4me "{i}"\n' for i, p in enumerate(people[::2])} if reveal else {}
    result = CheckResult(
        registry=RegistryInfo("reg", "0" * 64),
        as_of=date(2026, 1, 1),
        rulesets=(RulesetRef("rs", "1"),),
        rules=(),
        findings=tuple(findings),
        names=names,
    )
    streamed = b"".join(json_report.stream(result, People(names=names), batch))
    expected = pydantic_core.to_json(json_report.document_data(result, names), indent=2) + b"\n"
    assert streamed == expected
