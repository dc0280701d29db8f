"""End-to-end tests of ``dualrel stats`` over real reports of the example registry.

The series: the example checked on 2026-06-01; on 2026-06-20 without the romance t071
(level 3) and the employment t077 (level 2); on 2026-07-15 with t071 back but without
t077 and the coaching tie without agreement t084 (level 1); on 2026-09-01 likewise, with
waivers.  So the level-3 romance is resolved after 19 days (past its due date) and
reopened, the employment after 19 days (within its due date), the missing agreement after
44 days (past its due date).
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from tests.cli.util import assert_input_error, run
from tests.report.util import EXAMPLE, example_names

ROMANCE = "bde7dfb660f52807049a20999dd1bd77"  # level 3, t071
EMPLOYMENT = "658281463fea888a4e570943aeebbbda"  # level 2, t077
NO_AGREEMENT = "4d28d7e0a743364c4b7e56c0558782d5"  # level 1, t084
BUSINESS = "e4bb9ab0c5fa52b22a4ba209c17a340d"  # level 2, from 2026-07-22
FAMILY_ENTANGLED = "14c182a61b97063406f81d06987d74f3"  # level 2
PERSONAL = "ee3e96abc7b52f29abff65acca798566"  # level 1

WAIVERS = f"""\
waivers:
  - fingerprint: {BUSINESS}
    reason: Secret reason text that must never be printed
    approved_by: Committee member Quintus Farnsworth
    expires: 2026-09-20
  - fingerprint: {FAMILY_ENTANGLED}
    reason: Secret reason text that must never be printed
    approved_by: Committee member Quintus Farnsworth
    expires: 2026-12-31
  - fingerprint: {"f" * 32}
    reason: Secret reason text that must never be printed
    approved_by: Committee member Quintus Farnsworth
    expires: 2026-09-10
  - fingerprint: {PERSONAL}
    reason: Secret reason text that must never be printed
    approved_by: Committee member Quintus Farnsworth
    expires: 2026-08-01
"""


def _registry(folder: Path, name: str, drop: tuple[str, ...] = ()) -> Path:
    doc = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    doc["ties"] = [t for t in doc["ties"] if t["id"] not in drop]
    path = folder / name
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def _check(registry: Path, as_of: str, out: Path, *extra: str | Path) -> Path:
    proc = run("check", registry, "--as-of", as_of, "-f", "json", "-o", out, *extra)
    assert proc.returncode in (0, 1), proc.stderr
    return out


@pytest.fixture(scope="module")
def series(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    d = tmp_path_factory.mktemp("series")
    full = _registry(d, "full.json")
    no_romance = _registry(d, "edited1.json", ("t071", "t077"))
    later = _registry(d, "edited2.json", ("t077", "t084"))
    waivers = d / "waivers.yaml"
    waivers.write_text(WAIVERS, encoding="utf-8")
    return [
        _check(full, "2026-06-01", d / "r1.json"),
        _check(no_romance, "2026-06-20", d / "r2.json"),
        _check(later, "2026-07-15", d / "r3.json"),
        _check(later, "2026-09-01", d / "r4.json", "--waivers", waivers, "--reveal"),
    ]


@pytest.fixture(scope="module")
def stats(series: list[Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("out") / "stats.json"
    # any order on the command line: reports are ordered by evaluation date
    proc = run("stats", *reversed(series), "-o", out)
    assert proc.returncode == 0, proc.stderr
    data: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return data


def test_reports_are_ordered_and_counted(stats: dict[str, Any], series: list[Path]) -> None:
    assert stats["format"] == "dualrel.stats/1"
    assert [r["as_of"] for r in stats["reports"]] == [
        "2026-06-01",
        "2026-06-20",
        "2026-07-15",
        "2026-09-01",
    ]
    assert [r["file"] for r in stats["reports"]] == [str(p) for p in series]
    assert [r["findings"] for r in stats["reports"]] == [10, 8, 8, 9]
    assert [r["open"] for r in stats["reports"]] == [10, 8, 8, 7]
    assert stats["reports"][3]["waived"] == 2


def test_raised_resolved_and_open_per_month(stats: dict[str, Any]) -> None:
    periods = {p["period"]: p for p in stats["periods"]}
    assert list(periods) == ["2026-06", "2026-07", "2026-08", "2026-09"]
    june = periods["2026-06"]
    assert june["raised"] == {"total": 10, "by_level": {"3": 1, "2": 5, "1": 4}}
    assert june["resolved"] == {"total": 2, "by_level": {"3": 1, "2": 1, "1": 0}}
    assert june["open_at_end"] == {"total": 8, "by_level": {"3": 0, "2": 4, "1": 4}}
    july = periods["2026-07"]
    assert july["raised"]["by_level"] == {"3": 1, "2": 0, "1": 0}  # the romance, reopened
    assert july["resolved"]["by_level"] == {"3": 0, "2": 0, "1": 1}  # the agreement
    assert periods["2026-08"]["open_at_end"] is None  # no report that month
    assert periods["2026-09"]["raised"]["by_level"] == {"3": 0, "2": 1, "1": 0}  # business
    assert stats["findings"] == {
        "tracked": 11,
        "episodes": 12,
        "reopened": 1,
        "open": {
            "as_of": "2026-09-01",
            "total": 7,
            "by_level": {"3": 1, "2": 3, "1": 3},
            "past_due": 7,
        },
    }


def test_time_to_resolve_and_share_within_due(stats: dict[str, Any]) -> None:
    t = stats["time_to_resolve_days"]
    assert t["by_level"]["3"] == {"resolved": 1, "median": 19.0, "p90": 19.0}
    assert t["by_level"]["2"] == {"resolved": 1, "median": 19.0, "p90": 19.0}
    assert t["by_level"]["1"] == {"resolved": 1, "median": 44.0, "p90": 44.0}
    assert t["all"] == {"resolved": 3, "median": 19.0, "p90": 39.0}
    d = stats["resolved_within_due"]
    assert d["by_level"]["2"] == {"resolved": 1, "within_due": 1, "share": 1.0}
    assert d["by_level"]["3"]["within_due"] == 0
    assert d["all"] == {"resolved": 3, "within_due": 1, "share": 0.3333}


def test_waivers_in_force_and_expiring(stats: dict[str, Any]) -> None:
    w = stats["waivers"]
    assert (w["as_of"], w["in_force"], w["expiring"], w["expired"]) == ("2026-09-01", 3, 2, 1)
    assert [(e["fingerprint"], e["days_left"], e["status"]) for e in w["expiring_waivers"]] == [
        ("f" * 32, 9, "stale"),
        (BUSINESS, 19, "applied"),
    ]
    assert stats["reports"][3]["waivers_in_force"] == 3


def test_expiring_days_and_weeks(series: list[Path]) -> None:
    proc = run("stats", *series, "--expiring-days", "5", "--period", "week", "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["waivers"]["expiring"] == 0
    labels = [p["period"] for p in data["periods"]]
    assert labels[0] == "2026-W23" and labels[-1] == "2026-W36"
    assert len(labels) == 14  # every week between, reports or not


def test_text_output_never_shows_names_or_free_text(series: list[Path]) -> None:
    proc = run("stats", *series)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "dualrel stats: 4 report(s) from 2026-06-01 to 2026-09-01, by month" in out
    assert "  2026-06       10   1   5   4         2     8   0   4   4" in out
    assert "open findings on 2026-09-01: 7 (level 3: 1, level 2: 3, level 1: 3)" in out
    assert "waivers on 2026-09-01: 3 in force, 2 expiring within 30 days, 1 expired" in out
    secrets = ["Secret reason", "Quintus", *example_names()]
    assert json.loads(series[3].read_text())["findings"][0]["names"]  # made with --reveal
    for text in (out, run("stats", *series, "--json").stdout):
        assert not [s for s in secrets if s in text]


def test_svg_chart(series: list[Path], tmp_path: Path) -> None:
    chart = tmp_path / "chart.svg"
    out = tmp_path / "stats.json"
    proc = run("stats", *series, "--chart", chart, "--output", out)
    assert proc.returncode == 0, proc.stderr
    root = ET.parse(chart).getroot()
    ns = {"s": "http://www.w3.org/2000/svg"}
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    titles = [t.text or "" for t in root.iterfind(".//s:rect/s:title", ns)]
    assert "2026-06: 1 raised at level 3" in titles
    assert "2026-06: 4 raised at level 1" in titles
    points = [t.text for t in root.iterfind(".//s:circle/s:title", ns)]
    assert points == ["2026-06: 8 open", "2026-07: 8 open", "2026-09: 7 open"]
    labels = {t.text for t in root.iterfind("s:text", ns)}
    assert {"2026-06", "2026-07", "2026-08", "2026-09"} <= labels
    assert json.loads(out.read_text())["format"] == "dualrel.stats/1"
    secrets = ["Secret reason", "Quintus", *example_names()]
    assert not [s for s in secrets if s in chart.read_text()]


def test_a_single_report_is_enough(series: list[Path]) -> None:
    proc = run("stats", series[0], "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["time_to_resolve_days"]["all"] == {"resolved": 0, "median": None, "p90": None}
    assert data["resolved_within_due"]["all"]["share"] is None


def test_bad_input_is_located_exit_2(series: list[Path], tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"format": "dualrel.report/1",\n "findings": [}\n')
    proc = run("stats", series[0], broken)
    assert_input_error(proc, f"{broken}:2", "malformed")
    assert proc.stdout == ""
    wrong = tmp_path / "wrong.json"
    doc = json.loads(series[0].read_text())
    doc["findings"][0]["level"] = 7
    wrong.write_text(json.dumps(doc))
    assert_input_error(run("stats", wrong), str(wrong), "/findings/0/level")
    assert_input_error(run("stats", series[0], EXAMPLE), str(EXAMPLE), "not-a-report")
    assert_input_error(run("stats", tmp_path / "none.json"), "none.json", "not-found")
    same = tmp_path / "same.json"
    same.write_text(series[0].read_text())
    assert_input_error(
        run("stats", series[0], same), str(same), "/generated_for/as_of", "duplicate-as-of"
    )
    assert_input_error(run("stats", series[0], series[0]), "duplicate-as-of")
    assert_input_error(run("stats", series[0], "--period", "year"))
    assert_input_error(run("stats", series[0], "--expiring-days", "-1"))
    assert_input_error(run("stats"))


def test_outputs_are_written_atomically(series: list[Path], tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder" / "stats.json"
    proc = run("stats", *series, "-o", missing)
    assert_input_error(proc, str(missing))
    assert not missing.parent.exists()
    target = tmp_path / "stats.json"
    target.write_text("earlier")
    proc = run("stats", *series, "-o", target, "--chart", tmp_path / "none" / "c.svg")
    assert_input_error(proc, "c.svg")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["stats.json"]  # no temporary left


def test_every_export_validates_against_the_published_schema(
    stats: dict[str, Any], series: list[Path]
) -> None:
    import jsonschema  # noqa: PLC0415 (the test extra's, as in the SARIF tests)

    proc = run("schema", "stats")
    assert proc.returncode == 0, proc.stderr
    schema = json.loads(proc.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    weekly = json.loads(run("stats", *series, "--period", "week", "--json").stdout)
    single = json.loads(run("stats", series[0], "--json").stdout)
    for data in (stats, weekly, single):
        errors = sorted(validator.iter_errors(data), key=str)
        assert not errors, [(list(e.absolute_path), e.message) for e in errors]
    # and the schema is strict: it refuses what the format does not have
    broken = json.loads(json.dumps(stats))
    broken["reports"][0]["name"] = "someone"
    assert list(validator.iter_errors(broken))
    assert stats["waivers"]["expiring_waivers"], "the series should exercise expiring waivers"
