"""Dates near the ends of the calendar (issue 21, D3): bounded where they are given, located,
never an ``OverflowError``."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from dualrel import load_registry
from dualrel._internal.dates import EARLIEST_AS_OF, LATEST_AS_OF, MAX_DAYS
from dualrel.errors import InvalidArgument, RegistryError, RulesetError
from dualrel.graph.model import Person, Registry
from dualrel.report.schema import ReportFileError
from dualrel.rules import evaluate, load_ruleset
from dualrel.stats import compute_stats, load_series
from tests.cli.util import assert_input_error, run

EXAMPLE = Path(__file__).parent.parent / "examples" / "practice.json"


def _registry(folder: Path, as_of: str) -> Path:
    doc = json.loads(EXAMPLE.read_text())
    doc["as_of"] = as_of
    path = folder / "reg.json"
    path.write_text(json.dumps(doc, indent=1))
    return path


def test_the_bounds_leave_room_for_every_count_of_days():
    # a due date (as_of + within_days) and a stats horizon always exist
    assert (LATEST_AS_OF - date.max).days <= -MAX_DAYS
    assert (EARLIEST_AS_OF - date.min).days >= MAX_DAYS


@pytest.mark.parametrize("as_of", ["9999-12-31", "9900-01-01", "0001-01-01"])
def test_a_registry_dated_near_the_ends_of_the_calendar_is_refused_located(tmp_path, as_of):
    path = _registry(tmp_path, as_of)
    with pytest.raises(RegistryError) as info:
        load_registry(path)
    (p,) = info.value.problems
    assert (p.code, p.field, p.pointer, p.line) == ("out-of-range", "as_of", "/as_of", 3)
    assert_input_error(run("check", path), f"{path}:3", "out-of-range")


def test_a_json_lines_header_dated_near_the_end_is_refused_located(tmp_path):
    path = tmp_path / "reg.jsonl"
    path.write_text(
        '{"type": "registry", "format": "dualrel.registry/1", "as_of": "9999-12-31"}\n'
        '{"type": "person", "id": "a", "roles": ["coach"]}\n'
    )
    with pytest.raises(RegistryError) as info:
        load_registry(path)
    assert [(p.code, p.line) for p in info.value.problems] == [("out-of-range", 1)]


def test_the_evaluation_date_given_is_bounded(tmp_path):
    # `check --as-of 9999-12-31` crashed computing due dates
    assert_input_error(run("check", EXAMPLE, "--as-of", "9999-12-31"), "--as-of", "9899-12-31")
    reg = load_registry(EXAMPLE)
    with pytest.raises(InvalidArgument, match="out of range"):
        evaluate(reg, as_of=date(9999, 12, 31))
    with pytest.raises(InvalidArgument, match="out of range"):
        load_registry(EXAMPLE, as_of="9999-12-31")
    built = Registry(people=(Person("a", ("coach",)),), ties=(), as_of=date(9999, 12, 31))
    with pytest.raises(InvalidArgument, match="registry as_of"):
        evaluate(built)
    # the latest date accepted gives every due date
    report = evaluate(reg, as_of=LATEST_AS_OF)
    assert report.findings and all(s.due for f in report.findings for s in f.remediation)


def test_within_days_is_bounded_located(tmp_path):
    # ruleset-within-days-huge.yaml passed lint, then crashed check
    path = tmp_path / "rs.yaml"
    path.write_text(
        'id: t\nversion: "1"\ntitle: T\nrules:\n  - id: r\n    title: R\n    category: c\n'
        "    severity: high\n    level: 2\n"
        "    remediation: [{action: Assess, within_days: 999999999, owner: manager}]\n"
        "    match:\n      people: {coach: {}, client: {}}\n"
        "      ties: [{kind: coaching, from: coach, to: client}]\n"
    )
    with pytest.raises(RulesetError) as info:
        load_ruleset(path)
    (p,) = info.value.problems
    assert (p.code, p.pointer, p.line) == ("schema", "/rules/0/remediation/0/within_days", 10)
    assert "36500" in p.message
    assert_input_error(run("lint", path), "within_days")


def test_a_where_offset_beyond_the_bound_is_refused_located(tmp_path):
    path = tmp_path / "rs.yaml"
    path.write_text(
        'id: t\nversion: "1"\ntitle: T\nparameters: {window: 40000}\nrules:\n  - id: r\n'
        "    title: R\n    category: c\n    severity: high\n    level: 2\n"
        "    remediation: [{action: Assess, within_days: 1, owner: manager}]\n"
        "    match:\n      people: {coach: {}, client: {}}\n"
        "      ties:\n        - {as: c, kind: coaching, from: coach, to: client}\n"
        "        - {as: o, kind: romance, between: [coach, client]}\n"
        '      where: ["o.start <= c.end + window", "o.start >= c.start - 36501"]\n'
    )
    with pytest.raises(RulesetError) as info:
        load_ruleset(path)
    assert [(p.code, p.pointer) for p in info.value.problems] == [
        ("out-of-range", "/rules/0/match/where/0"),
        ("out-of-range", "/rules/0/match/where/1"),
    ]
    assert "parameter 'window' 40000 is out of range" in info.value.problems[0].message


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("2026-01-01T00:00:00-12:00", "9999-12-31T23:00:00-12:00"),
        ("2026-01-01T00:00:00+12:00", "0001-01-01T01:00:00+12:00"),
    ],
)
def test_contacts_near_the_ends_of_the_calendar_load_with_their_offset(tmp_path, first, second):
    # tz-overflow.json: the second contact of one offset went through UTC, out of range
    doc = {
        "format": "dualrel.registry/1",
        "as_of": "2026-11-26",
        "people": [{"id": "co1", "roles": ["coach"]}, {"id": "cl1", "roles": ["client"]}],
        "ties": [{"id": "t1", "kind": "coaching", "source": "co1", "target": "cl1"}],
        "contacts": [
            {"id": f"c{i}", "coach": "co1", "client": "cl1", "channel": "email", "at": at}
            | {"initiated_by": "client"}
            for i, at in enumerate((first, second))
        ],
    }
    path = tmp_path / "reg.json"
    path.write_text(json.dumps(doc))
    reg = load_registry(path)
    at = [c.at.isoformat() for c in reg.practice.contacts]
    assert at == [first, second]
    assert run("check", path).returncode == 1  # the agreement finding, no traceback


def test_stats_bounds_the_expiring_days_and_the_dates_it_reads(tmp_path):
    report = tmp_path / "r.json"
    assert run("check", EXAMPLE, "-f", "json", "-o", report).returncode == 1
    assert_input_error(run("stats", report, "--expiring-days", "999999999"), "--expiring-days")
    with pytest.raises(ValueError, match="out of range"):
        compute_stats(load_series([str(report)]), expiring_days=10**9)
    doc = json.loads(report.read_text())
    doc["generated_for"]["as_of"] = "9999-12-31"
    late = tmp_path / "late.json"
    late.write_text(json.dumps(doc))
    with pytest.raises(ReportFileError) as info:
        load_series([str(late)])
    assert [(p.code, p.pointer) for p in info.value.problems] == [
        ("out-of-range", "/generated_for/as_of")
    ]
    assert_input_error(run("stats", late), "out-of-range")
