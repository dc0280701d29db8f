"""Waiver matching at scale: the indexed matching of apply_waivers gives what
waiver_matches gives over every pair, and reads each finding a bounded number of times."""

from __future__ import annotations

from datetime import date
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from dualrel.findings import Finding, RulesetRef
from dualrel.report import WaiverInfo
from dualrel.waivers import apply_waivers, waiver_matches

AS_OF = date(2026, 6, 1)


def finding(fp: str, rule: str, ruleset: str, subjects: dict[str, str]) -> Finding:
    return Finding(
        rule, RulesetRef(ruleset, "1"), "t", "c", "high", 2, subjects, ("t1",), (), (), fp
    )


# small alphabets so that waivers and findings collide often: shared fingerprints, rule ids
# that read as another ruleset's ``ruleset/rule``, subjects that differ in one value or key
_names = st.sampled_from(["a", "b", "x/a"])
_subjects = st.dictionaries(st.sampled_from(["coach", "client"]), st.sampled_from(["p", "q"]))
_findings = st.lists(
    st.builds(
        finding,
        fp=st.sampled_from(["f1", "f2", "f3"]),
        rule=_names,
        ruleset=st.sampled_from(["x", "rs"]),
        subjects=_subjects,
    ),
    max_size=8,
)
_expires = st.sampled_from([date(2026, 5, 31), AS_OF, date(2027, 1, 1)])
_by_fingerprint = st.builds(
    lambda fp, exp: WaiverInfo("w", "r", "a", exp, fingerprint=fp),
    st.sampled_from(["f1", "f2", "f9"]),
    _expires,
)
_by_rule = st.builds(
    lambda rule, subjects, exp: WaiverInfo("w", "r", "a", exp, rule=rule, subjects=subjects),
    st.sampled_from(["a", "b", "x/a", "rs/a", "x/x/a", "rs/x/a", "zz/a"]),
    _subjects,
    _expires,
)
_waivers = st.lists(st.one_of(_by_fingerprint, _by_rule), max_size=8)


@settings(max_examples=300, deadline=None)
@given(_findings, _waivers)
def test_apply_waivers_agrees_with_matching_every_pair(
    findings: list[Finding], waivers: list[WaiverInfo]
) -> None:
    applied, outcomes = apply_waivers(findings, waivers, AS_OF)
    want_applied: dict[str, WaiverInfo] = {}
    assert [o.waiver for o in outcomes] == waivers
    for w, o in zip(waivers, outcomes, strict=True):
        matched = tuple(sorted(f.fingerprint for f in findings if waiver_matches(w, f)))
        if w.expires < AS_OF:
            assert (o.status, o.findings) == ("expired", matched)
        elif not matched:
            assert (o.status, o.findings) == ("stale", ())
        else:
            assert (o.status, o.findings) == ("applied", matched)
            for fp in matched:
                want_applied.setdefault(fp, w)
    assert applied == want_applied


class _Counted(Finding):
    """A finding that counts the reads of its fields."""

    reads = 0

    def __getattribute__(self, name: str) -> Any:
        if not name.startswith("__"):
            _Counted.reads += 1
        return super().__getattribute__(name)


def test_matching_reads_each_finding_a_bounded_number_of_times() -> None:
    # the report: 20,000 waivers against their findings took 22.7 s, as every
    # waiver was compared with every finding; here 300 of each (90,000 pairs)
    n = 300
    findings = [
        _Counted(
            "r", RulesetRef("rs", "1"), "t", "c", "high", 2, {"coach": f"co{i}"}, (), (), (), f"{i}"
        )
        for i in range(n)
    ]
    waivers = [
        WaiverInfo("w", "r", "a", date(2027, 1, 1), fingerprint=f"{i}")
        if i % 2
        else WaiverInfo("w", "r", "a", date(2027, 1, 1), rule="rs/r", subjects={"coach": f"co{i}"})
        for i in range(n)
    ]
    _Counted.reads = 0
    applied, outcomes = apply_waivers(findings, waivers, AS_OF)
    assert len(applied) == n and all(o.status == "applied" for o in outcomes)
    assert _Counted.reads <= 10 * n  # a few reads per finding, not one per waiver
