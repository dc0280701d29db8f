"""The register through its Python API, on SQLite and PostgreSQL (``register_url``)."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import create_engine, text

from dualrel.findings import CheckResult
from dualrel.register import Register, RegisterError, open_register
from dualrel.register._db import engine_url
from tests.register.util import later, waived, with_escalation

DAY0 = date(2026, 11, 26)  # the example registry's as_of
AT = datetime(2026, 11, 27, 9, 30)


def _fp(result: CheckResult, rule: str) -> str:
    return next(f.finding.fingerprint for f in result.findings if f.finding.rule == rule)


def test_a_run_opens_every_finding_with_its_steps(
    register_url: str, example_check: CheckResult
) -> None:
    with open_register(register_url) as reg:
        done = reg.record(example_check, by="ci", at=AT)
        found = reg.findings()
        runs = reg.runs()
    assert sorted(done.opened) == sorted(f.finding.fingerprint for f in example_check.findings)
    assert not done.reopened and not done.resolved and not done.escalations
    assert [r.id for r in runs] == [done.run.id] and runs[0].as_of == DAY0
    assert runs[0].recorded_by == "ci" and runs[0].findings == len(example_check.findings)
    by_fp = {f.fingerprint: f for f in found}
    for cf in example_check.findings:
        f = by_fp[cf.finding.fingerprint]
        assert f.status == "open" and f.level == cf.finding.level
        assert dict(f.subjects) == dict(cf.finding.subjects)
        assert [(s.due, s.assignee) for s in f.steps] == [
            (s.due, s.assignee) for s in cf.finding.remediation
        ]
        assert f.first_seen == f.last_seen == f.opened_on == DAY0


def test_only_ids_are_stored_never_names(register_url: str, example_check: CheckResult) -> None:
    with open_register(register_url) as reg:
        reg.record(example_check, by="ci", at=AT)
    engine = create_engine(engine_url(register_url)[0])
    with engine.connect() as conn:
        dump = " ".join(
            str(value)
            for table in ("dualrel_runs", "dualrel_findings", "dualrel_steps", "dualrel_events")
            for row in conn.execute(text(f"SELECT * FROM {table}"))
            for value in row
        )
    engine.dispose()
    names = [n for n in example_check.names.values() if n] or ["Amelia", "Okafor"]
    assert "co001" in dump and "cl0003" in dump
    for name in names:
        assert name not in dump
    assert all(f.finding.title not in dump for f in example_check.findings)


def test_a_finding_missing_from_a_later_run_is_resolved_and_reopened_when_it_returns(
    register_url: str, example_check: CheckResult
) -> None:
    gone = _fp(example_check, "romance-active-client")
    with open_register(register_url) as reg:
        reg.record(example_check, by="ci", at=AT)
        reg.complete(gone, 1, by="co001", at=AT)
        second = reg.record(later(example_check, DAY0 + timedelta(days=10), drop=(gone,)), by="ci")
        resolved = reg.finding(gone)
        third = reg.record(example_check_on(example_check, DAY0 + timedelta(days=40)), by="ci")
        back = reg.finding(gone)
        kinds = [(e.kind, e.by, e.on) for e in reg.history(gone)]
    assert second.resolved == (gone,) and not second.opened
    assert resolved.status == "resolved" and resolved.resolved_on == DAY0 + timedelta(days=10)
    assert third.reopened == (gone,) and not third.opened
    assert back.status == "reopened" and back.opened_on == DAY0 + timedelta(days=40)
    assert back.first_seen == DAY0 and back.resolved_on is None
    # a new episode: its steps are due again from the run that reopened it, none done
    assert [s.due for s in back.steps] == [
        DAY0 + timedelta(days=40 + s.within_days) for s in back.steps
    ]
    assert all(s.completed_on is None for s in back.steps)
    assert kinds == [
        ("opened", "ci", DAY0),
        ("completed", "co001", AT.date()),
        ("resolved", "ci", DAY0 + timedelta(days=10)),
        ("reopened", "ci", DAY0 + timedelta(days=40)),
    ]


def example_check_on(result: CheckResult, as_of: date) -> CheckResult:
    return later(result, as_of)


def test_findings_of_rules_the_run_did_not_check_are_left_alone(
    register_url: str, example_check: CheckResult
) -> None:
    one = example_check.findings[0].finding
    narrower = later(example_check, DAY0 + timedelta(days=1), keep=0)
    narrower = type(narrower)(
        **{**{f: getattr(narrower, f) for f in narrower.__dataclass_fields__}, "rules": ()}
    )
    with open_register(register_url) as reg:
        reg.record(example_check, by="ci", at=AT)
        done = reg.record(narrower, by="ci")
        assert not done.resolved
        assert reg.finding(one.fingerprint).status == "open"


def test_lifecycle_changes_are_checked_and_attributed(
    register_url: str, example_check: CheckResult
) -> None:
    fp = _fp(example_check, "romance-active-client")
    with open_register(register_url) as reg:
        reg.record(example_check, by="ci", at=AT)
        assert reg.acknowledge(fp[:12], by="alice", note="seen", at=AT).status == "acknowledged"
        with pytest.raises(RegisterError, match="only a finding that is open or reopened"):
            reg.acknowledge(fp, by="alice")
        f = reg.assign(fp, "sv001", by="alice", step=3, at=AT)
        assert f.status == "in-remediation" and f.steps[2].assignee == "sv001"
        assert f.steps[0].assignee == "co001"  # the others keep the check's assignees
        f = reg.complete(fp, 2, by="ma001", note="referred", at=AT + timedelta(days=1))
        assert f.steps[1].completed_on == AT.date() + timedelta(days=1)
        assert f.steps[1].completed_by == "ma001"
        with pytest.raises(RegisterError, match="was completed on"):
            reg.complete(fp, 2, by="ma001")
        with pytest.raises(RegisterError, match="has no step 9"):
            reg.complete(fp, 9, by="ma001")
        with pytest.raises(RegisterError, match="only a finding that is resolved"):
            reg.reopen(fp, by="alice")
        assert reg.resolve(fp, by="committee", at=AT + timedelta(days=2)).status == "resolved"
        assert reg.reopen(fp, by="committee", at=AT + timedelta(days=3)).status == "reopened"
        reg.note(fp, "discussed at the March meeting\nagain", by="bob", at=AT)
        with pytest.raises(RegisterError, match="attributed"):
            reg.note(fp, "x", by=" ")
        with pytest.raises(RegisterError, match="control characters"):
            reg.note(fp, "\x1b[2Jgone", by="bob")
        with pytest.raises(RegisterError, match="no finding"):
            reg.finding("abcdef")
        with pytest.raises(RegisterError, match="not a fingerprint"):
            reg.finding("'; drop table")
        history = reg.history(fp)
    assert [(e.kind, e.by, e.from_status, e.to_status) for e in history] == [
        ("opened", "ci", None, "open"),
        ("acknowledged", "alice", "open", "acknowledged"),
        ("assigned", "alice", "acknowledged", "in-remediation"),
        ("completed", "ma001", "in-remediation", "in-remediation"),
        ("resolved", "committee", "in-remediation", "resolved"),
        ("reopened", "committee", "resolved", "reopened"),
        ("noted", "bob", "reopened", "reopened"),
    ]
    assert history[1].detail == "seen" and history[-1].detail.endswith("again")
    assert history[1].at == AT


def test_waived_findings_and_waivers_that_end(
    register_url: str, example_check: CheckResult
) -> None:
    fp = _fp(example_check, "romance-active-client")
    with open_register(register_url) as reg:
        first = reg.record(waived(example_check, fp), by="ci", at=AT)
        assert first.waived == (fp,) and reg.finding(fp).status == "waived"
        reg.record(later(example_check, DAY0 + timedelta(days=5)), by="ci")
        assert reg.finding(fp).status == "open"
        kinds = [e.kind for e in reg.history(fp)]
    assert kinds == ["opened", "waived", "unwaived"]


def test_runs_are_recorded_in_date_order(register_url: str, example_check: CheckResult) -> None:
    with open_register(register_url) as reg:
        reg.record(later(example_check, DAY0 + timedelta(days=3)), by="ci")
        with pytest.raises(RegisterError, match="date order"):
            reg.record(example_check, by="ci")
        assert len(reg.runs()) == 1


def test_list_filters(register_url: str, example_check: CheckResult) -> None:
    fp = _fp(example_check, "romance-active-client")
    with open_register(register_url) as reg:
        reg.record(example_check, by="ci", at=AT)
        reg.acknowledge(fp, by="alice")
        everything = reg.findings()
        assert [f.fingerprint for f in reg.findings(status=["acknowledged"])] == [fp]
        assert all(f.level == 2 for f in reg.findings(level=[2]))
        assert len(reg.findings(level=[2])) == example_check.by_level()[2]
        assert [f.fingerprint for f in reg.findings(rule=["romance-active-client"])] == [fp]
        assert [
            f.fingerprint for f in reg.findings(rule=["coaching-core/romance-active-client"])
        ] == [fp]
        mine = reg.findings(assignee="ma001")
        assert mine and all(any(s.assignee == "ma001" for s in f.steps) for f in mine)
        assert len(mine) < len(everything)
        # due on DAY0 (within 0 days): overdue from the day after
        assert not reg.findings(overdue_on=DAY0)
        late = reg.findings(overdue_on=DAY0 + timedelta(days=1))
        assert fp in [f.fingerprint for f in late]
        assert [f.level for f in everything] == sorted((f.level for f in everything), reverse=True)


def test_escalation_over_time(register_url: str, example_check: CheckResult) -> None:
    checked = with_escalation(example_check, {1: 14, 2: 7})
    level1 = [f.finding for f in checked.findings if f.finding.level == 1]
    assert level1
    target = level1[0]
    first_due = min(s.due for s in target.remediation)
    with open_register(register_url) as reg:
        reg.record(checked, by="ci", at=AT)
        up = reg.escalate(first_due + timedelta(days=14), by="cron")
        assert target.fingerprint not in {e.fingerprint for e in up}
        up = reg.escalate(first_due + timedelta(days=15), by="cron")
        mine = [e for e in up if e.fingerprint == target.fingerprint]
        assert [(e.from_level, e.to_level) for e in mine] == [(1, 2)]
        assert f"due {first_due.isoformat()}" in mine[0].reason
        assert "after 14 days past due" in mine[0].reason
        assert reg.finding(target.fingerprint).level == 2
        # applying it again for the same date changes nothing
        assert not reg.escalate(first_due + timedelta(days=15), by="cron")
        up = reg.escalate(first_due + timedelta(days=22), by="cron")
        assert [(e.from_level, e.to_level) for e in up if e.fingerprint == target.fingerprint] == [
            (2, 3)
        ]
        history = reg.history(target.fingerprint)
        escalated = [e for e in history if e.kind == "escalated"]
        assert [(e.level, e.by, e.on) for e in escalated] == [
            (2, "cron", first_due + timedelta(days=15)),
            (3, "cron", first_due + timedelta(days=22)),
        ]
        assert reg.finding(target.fingerprint).rule_level == 1


def test_completed_steps_and_resolved_findings_do_not_escalate(
    register_url: str, example_check: CheckResult
) -> None:
    checked = with_escalation(example_check, {1: 0, 2: 0})
    target = next(f.finding for f in checked.findings if f.finding.level == 1)
    other = next(f.finding for f in checked.findings if f.finding.level == 2)
    far = DAY0 + timedelta(days=365)
    with open_register(register_url) as reg:
        reg.record(checked, by="ci", at=AT)
        for s in range(1, len(target.remediation) + 1):
            reg.complete(target.fingerprint, s, by="co003", at=AT)
        reg.resolve(other.fingerprint, by="committee", at=AT)
        up = {e.fingerprint for e in reg.escalate(far, by="cron")}
    assert target.fingerprint not in up and other.fingerprint not in up
    assert up  # the others did


def test_a_rule_s_own_days_and_a_level_without_days(
    register_url: str, example_check: CheckResult
) -> None:
    target = next(f.finding for f in example_check.findings if f.finding.level == 1)
    checked = with_escalation(with_escalation(example_check, {}), {1: 3}, rule=target.rule)
    due = min(s.due for s in target.remediation)
    with open_register(register_url) as reg:
        reg.record(checked, by="ci", at=AT)
        up = reg.escalate(due + timedelta(days=4), by="cron")
        assert [(e.fingerprint, e.to_level) for e in up] == [(target.fingerprint, 2)]
        # the rule says nothing of level 2: its findings stay there
        assert not [
            e
            for e in reg.escalate(due + timedelta(days=400), by="cron")
            if e.fingerprint == target.fingerprint
        ]


def test_a_recorded_run_escalates_as_of_its_date(
    register_url: str, example_check: CheckResult
) -> None:
    checked = with_escalation(example_check, {1: 14, 2: 7})
    target = next(f.finding for f in checked.findings if f.finding.level == 1)
    due = min(s.due for s in target.remediation)
    with open_register(register_url) as reg:
        reg.record(checked, by="ci", at=AT)
        done = reg.record(later(checked, due + timedelta(days=15)), by="ci")
        assert target.fingerprint in [e.fingerprint for e in done.escalations]
        run = [e.run for e in reg.history(target.fingerprint) if e.kind == "escalated"]
        assert run == [done.run.id]


def test_metrics(register_url: str, example_check: CheckResult) -> None:
    fp = _fp(example_check, "romance-active-client")  # level 3, steps due DAY0 .. DAY0+7
    other = _fp(example_check, "business-active-client")  # level 2
    steady = with_escalation(example_check, {})  # levels as the rules say
    with open_register(register_url) as reg:
        reg.record(steady, by="ci", at=AT)
        reg.record(later(steady, DAY0 + timedelta(days=5), drop=(fp,)), by="ci")
        reg.record(later(steady, DAY0 + timedelta(days=40), drop=(fp, other)), by="ci")
        m = reg.metrics(as_of=DAY0 + timedelta(days=40), period="month")
        with pytest.raises(RegisterError, match="period"):
            reg.metrics(period="year")
    total = len(example_check.findings)
    assert [p["period"] for p in m["periods"]] == ["2026-11", "2026-12", "2027-01"]
    assert m["periods"][0]["raised"]["total"] == total
    assert m["periods"][0]["resolved"]["total"] == 0
    assert m["periods"][0]["open_at_end"]["total"] == total
    assert m["periods"][1]["resolved"]["by_level"]["3"] == 1  # 2026-12-01
    assert m["periods"][1]["open_at_end"]["total"] == total - 1
    assert m["periods"][2]["resolved"]["by_level"]["2"] == 1
    assert m["open"]["total"] == total - 2
    t = m["time_to_resolution"]["by_level"]
    assert t["3"] == {"resolved": 1, "median": 5.0, "p90": 5.0}
    assert t["2"] == {"resolved": 1, "median": 40.0, "p90": 40.0}
    # resolved on day 5, its latest step due on day 7: in time; the other late
    assert m["resolved_by_due"]["3"] == {"resolved": 1, "by_due": 1, "share": 1.0}
    assert m["resolved_by_due"]["2"]["by_due"] == 0
    assert m["overdue_steps"]["total"] > 0
    assert sum(m["overdue_steps"]["by_assignee"].values()) == m["overdue_steps"]["total"]


def test_an_unknown_url_scheme_is_refused() -> None:
    with pytest.raises(RegisterError, match="unsupported register URL scheme 'mysql'"):
        Register("mysql://db/x")


def test_a_rule_whose_level_was_raised_raises_its_findings(
    register_url: str, example_check: CheckResult
) -> None:
    target = next(f for f in example_check.findings if f.finding.level == 1)
    raised = dataclasses.replace(target, finding=dataclasses.replace(target.finding, level=2))
    lowered = dataclasses.replace(target, finding=dataclasses.replace(target.finding, level=1))
    fp = target.finding.fingerprint
    with open_register(register_url) as reg:
        reg.record(example_check, by="ci", at=AT)
        up = later(example_check, DAY0 + timedelta(days=1))
        reg.record(
            dataclasses.replace(
                up, findings=tuple(raised if f == target else f for f in up.findings)
            ),
            by="ci",
        )
        assert (reg.finding(fp).level, reg.finding(fp).rule_level) == (2, 2)
        down = later(example_check, DAY0 + timedelta(days=2))
        reg.record(
            dataclasses.replace(
                down, findings=tuple(lowered if f == target else f for f in down.findings)
            ),
            by="ci",
        )
        assert (reg.finding(fp).level, reg.finding(fp).rule_level) == (2, 1)
        assert [e.kind for e in reg.history(fp)] == ["opened", "level-changed"]
