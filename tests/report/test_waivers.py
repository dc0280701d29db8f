"""Waivers: loading with located errors, matching, expiry and stale waivers."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import jsonschema
import pytest
import yaml

from dualrel.check import run_check
from dualrel.errors import DualrelError
from dualrel.findings import Finding, RulesetRef
from dualrel.report import WaiverInfo
from dualrel.waivers import (
    WaiverError,
    apply_waivers,
    load_waivers,
    stale_warnings,
    waiver_matches,
    waivers_json_schema,
)


def finding(
    fp: str = "f" * 32, rule: str = "r1", subjects: dict[str, str] | None = None
) -> Finding:
    return Finding(
        rule,
        RulesetRef("rs", "1"),
        "t",
        "c",
        "high",
        2,
        subjects or {"coach": "co1", "client": "cl1"},
        ("t1",),
        (),
        (),
        fp,
    )


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "waivers.yaml"
    p.write_text(text, encoding="utf-8")
    return p


VALID = """\
waivers:
  - fingerprint: ffffffffffffffffffffffffffffffff
    reason: Engagement ends this month
    approved_by: Ethics committee
    agreement: EC-2026-117
    expires: 2026-12-31
  - rule: rs/r1
    subjects: {coach: co1, client: cl2}
    reason: Disclosed and accepted by the sponsor
    approved_by: ma1
    expires: "2027-03-01"
"""


def test_load_valid(tmp_path: Path) -> None:
    ws = load_waivers(write(tmp_path, VALID))
    assert [w.source.rsplit(":", 1)[1] for w in ws] == ["2", "7"]
    assert ws[0].expires == date(2026, 12, 31) and ws[0].agreement == "EC-2026-117"
    assert ws[1].rule == "rs/r1" and ws[1].subjects == {"client": "cl2", "coach": "co1"}
    assert ws[1].expires == date(2027, 3, 1)


def test_bare_list_and_empty_file(tmp_path: Path) -> None:
    body = "\n".join(line[2:] for line in VALID.splitlines()[1:])
    assert len(load_waivers(write(tmp_path, body))) == 2
    assert load_waivers(write(tmp_path, "")) == ()


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("reason", "a waiver needs a reason"),
        ("approved_by", "a waiver needs approved_by"),
        ("expires", "a waiver needs an expiry date"),
    ],
)
def test_missing_required_field_is_located(tmp_path: Path, missing: str, message: str) -> None:
    lines = [line for line in VALID.splitlines() if not line.strip().startswith(f"{missing}:")]
    path = write(tmp_path, "\n".join(lines) + "\n")
    with pytest.raises(WaiverError) as err:
        load_waivers(path)
    problems = err.value.problems
    assert len(problems) == 2  # both entries, all at once
    assert {p.line for p in problems} == {2, 6}
    assert all(message in p.message and p.file == str(path) for p in problems)
    assert isinstance(err.value, DualrelError)
    assert f"{path}:2" in str(err.value)


def test_other_invalid_entries(tmp_path: Path) -> None:
    text = """\
waivers:
  - fingerprint: abcdef0123456789
    rule: rs/r1
    reason: x
    approved_by: y
    expires: 2026-01-01
  - rule: rs/r1
    reason: x
    approved_by: y
    expires: 2026-01-01
  - fingerprint: abc
    reason: "  "
    approved_by: y
    expires: next week
    colour: red
  - just text
"""
    with pytest.raises(WaiverError) as err:
        load_waivers(write(tmp_path, text))
    got = sorted((p.line, p.message) for p in err.value.problems)
    lines = [line for line, _ in got]
    assert 2 in lines and 7 in lines and 12 in lines and 14 in lines and 15 in lines
    assert 16 in lines
    text_all = " ".join(m for _, m in got)
    assert "not both" in text_all and "name the finding" in text_all
    assert "unknown field 'colour'" in text_all and "must not be blank" in text_all
    assert "expires must be a date" in text_all


@pytest.mark.parametrize(
    ("text", "code"),
    [("waivers: [unclosed\n", "malformed"), ("other: 1\n", "schema"), ("waivers: 3\n", "schema")],
)
def test_bad_files(tmp_path: Path, text: str, code: str) -> None:
    with pytest.raises(WaiverError) as err:
        load_waivers(write(tmp_path, text))
    assert err.value.problems[0].code == code
    assert err.value.problems[0].line is not None


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(WaiverError, match="no such waivers file"):
        load_waivers(tmp_path / "nope.yaml")


def test_matching_by_fingerprint_or_rule_and_exact_subjects() -> None:
    f = finding()
    by_fp = WaiverInfo("w:1", "r", "a", date(2030, 1, 1), fingerprint=f.fingerprint)
    assert waiver_matches(by_fp, f)
    for rule in ("r1", "rs/r1"):
        w = WaiverInfo(
            "w:1", "r", "a", date(2030, 1, 1), rule=rule, subjects={"client": "cl1", "coach": "co1"}
        )
        assert waiver_matches(w, f)
    partial = WaiverInfo("w:1", "r", "a", date(2030, 1, 1), rule="r1", subjects={"coach": "co1"})
    other_rs = WaiverInfo(
        "w:1", "r", "a", date(2030, 1, 1), rule="xx/r1", subjects={"client": "cl1", "coach": "co1"}
    )
    assert not waiver_matches(partial, f) and not waiver_matches(other_rs, f)


def test_applied_expired_stale() -> None:
    f1, f2 = finding("a" * 32), finding("b" * 32, subjects={"coach": "co1", "client": "cl2"})
    applied = WaiverInfo("w:2", "r", "a", date(2026, 6, 1), fingerprint=f1.fingerprint)
    expired = WaiverInfo("w:7", "r", "a", date(2026, 5, 31), fingerprint=f2.fingerprint)
    stale = WaiverInfo("w:12", "r", "a", date(2027, 1, 1), fingerprint="c" * 32)
    waived, outcomes = apply_waivers([f1, f2], [applied, expired, stale], date(2026, 6, 1))
    assert waived == {f1.fingerprint: applied}  # valid through its expiry day
    assert [(o.waiver.source, o.status) for o in outcomes] == [
        ("w:2", "applied"),
        ("w:7", "expired"),
        ("w:12", "stale"),
    ]
    assert outcomes[0].findings == (f1.fingerprint,)
    _, later = apply_waivers([f1], [applied], date(2026, 6, 2))
    assert later[0].status == "expired"


def test_waived_findings_do_not_count(tmp_path: Path, planted: Path) -> None:
    before = run_check(planted)
    assert before.exit_code() == 1
    lines = ["waivers:"]
    for f in before.findings:
        lines += [
            f"  - fingerprint: {f.finding.fingerprint}",
            "    reason: accepted",
            "    approved_by: EC",
            "    expires: 2026-06-01",
        ]
    lines += [
        "  - rule: romance-active-client",
        "    subjects: {coach: co1, client: cl2}",
        "    reason: x",
        "    approved_by: y",
        "    expires: 2030-01-01",
    ]
    path = write(tmp_path, "\n".join(lines) + "\n")
    after = run_check(planted, waivers=path)
    assert {f.status for f in after.findings} == {"waived"}
    assert after.exit_code() == 0
    assert [w.status for w in after.waivers] == ["applied", "applied", "stale"]
    expired = run_check(planted, waivers=path, as_of=date(2026, 6, 2))
    assert expired.exit_code() == 1
    assert [w.status for w in expired.waivers] == ["expired", "expired", "stale"]
    assert {f.status for f in expired.findings} == {"open"}


def test_a_date_that_does_not_exist_is_located_not_a_traceback(tmp_path: Path) -> None:
    # unquoted, YAML reads it as a timestamp, and there is no 30 February
    text = "waivers:\n  - rule: rs/r1\n    reason: x\n    approved_by: y\n    expires: 2026-02-30\n"
    with pytest.raises(WaiverError) as err:
        load_waivers(write(tmp_path, text))
    (problem,) = err.value.problems
    assert (problem.line, problem.pointer) == (5, "/waivers/0/expires")
    assert "'2026-02-30'" in problem.message


def test_a_waiver_may_give_the_fingerprint_as_the_text_report_prints_it(
    tmp_path: Path, planted: Path
) -> None:
    before = run_check(planted)
    shown = {f.finding.fingerprint[:12] for f in before.findings}
    assert len(shown) == len(before.findings)  # the 12 digits tell them apart here
    lines = ["waivers:"]
    for i, fp in enumerate(sorted(shown)):
        # as printed (#, 12 digits), without the #, and in capitals: all the same prefix
        given = [f'"#{fp}"', fp, fp.upper()][i % 3]
        lines += [f"  - fingerprint: {given}", "    reason: r", "    approved_by: a"]
        lines += ["    expires: 2030-01-01"]
    after = run_check(planted, waivers=write(tmp_path, "\n".join(lines) + "\n"))
    assert {f.status for f in after.findings} == {"waived"}
    assert [w.status for w in after.waivers] == ["applied"] * len(shown)
    assert all(w.waiver.fingerprint in shown for w in after.waivers)


def test_an_ambiguous_prefix_is_an_error_naming_the_waiver() -> None:
    f1, f2 = finding("abcdef012345" + "1" * 20), finding("abcdef012345" + "2" * 20)
    prefix = WaiverInfo("w.yaml:4", "r", "a", date(2030, 1, 1), fingerprint="abcdef012345")
    longer = WaiverInfo("w.yaml:9", "r", "a", date(2030, 1, 1), fingerprint="abcdef0123451")
    with pytest.raises(WaiverError) as err:
        apply_waivers([f1, f2], [prefix, longer], date(2026, 1, 1))
    (p,) = err.value.problems
    assert (p.file, p.line, p.code) == ("w.yaml", 4, "ambiguous-fingerprint")
    assert "2 findings" in p.message and "abcdef012345" in p.message
    waived, outcomes = apply_waivers([f1, f2], [longer], date(2026, 1, 1))
    assert list(waived) == [f1.fingerprint] and outcomes[0].status == "applied"
    assert waiver_matches(longer, f1) and not waiver_matches(longer, f2)


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("bde7dfb6", "12 to 32 hex digits"),
        ("bde7dfb660f5-extra", "not all hex"),
        ("b" * 33, "got 33 character(s)"),
    ],
)
def test_a_fingerprint_too_short_or_not_hex_is_refused(
    tmp_path: Path, given: str, message: str
) -> None:
    text = f"- fingerprint: {given}\n  reason: r\n  approved_by: a\n  expires: 2030-01-01\n"
    with pytest.raises(WaiverError) as err:
        load_waivers(write(tmp_path, text))
    (p,) = err.value.problems
    assert p.code == "invalid-waiver" and p.line == 1 and p.field == "fingerprint"
    assert message in p.message and "the text report prints 12" in p.message


def test_unknown_fields_get_did_you_mean(tmp_path: Path) -> None:
    text = "waiver:\n  - fingerprint: " + "a" * 32 + "\n"
    with pytest.raises(WaiverError, match=r"did you mean 'waivers'"):
        load_waivers(write(tmp_path, text))
    text = "- fingerprint: " + "a" * 32 + "\n  reason: r\n  aproved_by: a\n  expiry: 2030-01-01\n"
    with pytest.raises(WaiverError) as err:
        load_waivers(write(tmp_path, text))
    messages = {p.message for p in err.value.problems}
    assert "unknown field 'aproved_by' (did you mean 'approved_by'?)" in messages
    assert "unknown field 'expiry' (did you mean 'expires'?)" in messages


STALE = """\
waivers:
  - fingerprint: {fp}
    reason: Secret reason text
    approved_by: Secret Approver
    expires: 2030-01-01
  - rule: romance-actve-client
    subjects: {{coach: co1, client: cl1}}
    reason: r
    approved_by: a
    expires: 2030-01-01
  - rule: coaching-core/romance-active-client
    subjects: {{coach: co1, client: nobody}}
    reason: r
    approved_by: a
    expires: 2030-01-01
  - fingerprint: {fp}
    reason: expired, so not stale
    approved_by: a
    expires: 2020-01-01
"""


def test_stale_warnings_say_why_where_and_never_the_free_text(
    tmp_path: Path, planted: Path
) -> None:
    path = write(tmp_path, STALE.format(fp="0123456789ab"))
    result = run_check(planted, waivers=path)
    warnings = stale_warnings(result)
    assert [(p.file, p.line, p.code, p.severity) for p in warnings] == [
        (str(path), line, "stale-waiver", "warning") for line in (2, 6, 11)
    ]
    fp, rule, subjects = (p.message for p in warnings)
    assert "no finding has fingerprint '0123456789ab'" in fp
    assert "no rule 'romance-actve-client'" in rule
    assert "(did you mean 'romance-active-client'" in rule
    assert "no finding of 'coaching-core/romance-active-client' has exactly these" in subjects
    assert not any("Secret" in str(p) for p in warnings)
    assert stale_warnings(run_check(planted)) == ()


def test_the_docs_example_loads_and_meets_the_schema(tmp_path: Path) -> None:
    docs = Path(__file__).resolve().parents[2] / "docs" / "waivers.md"
    (example,) = re.findall(r"```yaml\n(.*?)```", docs.read_text(encoding="utf-8"), re.S)
    loaded = load_waivers(write(tmp_path, example))
    assert [w.fingerprint for w in loaded] == ["bde7dfb660f5", None]
    assert loaded[1].rule == "coaching-core/business-active-client"
    schema = waivers_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    data = yaml.safe_load(example)
    for w in data["waivers"]:  # YAML reads the dates as dates; JSON has text
        w["expires"] = w["expires"].isoformat()
    jsonschema.Draft202012Validator(schema).validate(data)
