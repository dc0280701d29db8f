"""Hostile rulesets, `extends` targets, waivers, baselines, case files and reports read by
`stats` and `explain`: each a located problem and exit 2, never a traceback (issue 21: D4
numbers and nesting, D7 unbounded reads, D15 duplicate keys).  Run in this process: the
commands are the same, the tests many."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from dualrel.cli import main
from tests.report.util import EXAMPLE

LONG = "9" * 4301
RULESET = """\
id: mine
version: "1"
rules:
  - id: r1
    title: coaching
    severity: low
    level: 1
    match:
      people: {a: coach, b: client}
      ties:
        - {kind: coaching, from: a, to: b}
    remediation: talk
"""


def fails(capsys: pytest.CaptureFixture[str], *args: str | Path) -> str:
    """Run ``dualrel ARGS`` and return stderr, checking exit 2 and no traceback."""
    code = main([str(a) for a in args])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    return err


def test_a_ruleset_with_a_duplicate_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "rs.yaml"
    path.write_text(RULESET.replace("    level: 1\n", "    level: 1\n    level: 3\n"))
    err = fails(capsys, "lint", path)
    assert f"{path}:8 (/rules/0/level): duplicate-key:" in err


def test_a_ruleset_with_a_long_number(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "rs.yaml"
    path.write_text(RULESET.replace("level: 1", f"level: {LONG}"))
    assert f"{path}:7 (/rules/0/level): malformed:" in fails(capsys, "lint", path)


def test_an_extends_target_that_is_a_device(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "base.yaml").symlink_to(os.devnull)
    path = tmp_path / "rs.yaml"
    path.write_text("extends: [base.yaml]\n" + RULESET)
    # it leads outside the ruleset's folder: refused unread, unless that folder is allowed
    assert "extends-outside" in fails(capsys, "lint", path)
    err = fails(capsys, "lint", path, "--extends-from", os.path.dirname(os.devnull))
    assert "base.yaml: unreadable: not a regular file or a pipe" in err


WAIVER = """\
waivers:
  - fingerprint: bde7dfb660f52807049a20999dd1bd77
    reason: referred
    approved_by: committee
    expires: 2026-12-31
"""


def test_waivers_with_a_duplicate_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "w.yaml"
    path.write_text(WAIVER + "    expires: 2099-12-31\n")
    err = fails(capsys, "check", EXAMPLE, "--waivers", path)
    assert f"{path}:6 (/waivers/0/expires): duplicate-key:" in err


def test_waivers_that_are_a_device(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "w.yaml"
    path.symlink_to(os.devnull)
    assert "w.yaml: unreadable:" in fails(capsys, "check", EXAMPLE, "--waivers", path)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    out = tmp_path_factory.mktemp("report") / "r.json"
    assert main(["check", str(EXAMPLE), "-f", "json", "-o", str(out)]) in (0, 1)
    data: dict[str, object] = json.loads(out.read_text(encoding="utf-8"))
    return data


def test_a_baseline_with_a_duplicate_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], report: dict[str, object]
) -> None:
    path = tmp_path / "b.json"
    text = json.dumps(report, indent=1)
    path.write_text(text.replace('"format":', '"format": "x",\n "format":', 1))
    err = fails(capsys, "check", EXAMPLE, "--baseline", path)
    assert f"{path}:3 (/format): duplicate-key:" in err


@pytest.mark.parametrize("command", ["stats", "explain", "baseline"])
def test_a_report_nested_too_deep_or_with_a_long_number(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text('{"format": "dualrel.report/1",\n "x": ' + "[" * 5000 + "]" * 5000 + "}")
    long = tmp_path / "long.json"
    long.write_text('{"format": "dualrel.report/1",\n "x": ' + LONG + "}")
    for path, where in ((deep, ":2: too-deep:"), (long, ":2 (/x): malformed:")):
        args = {
            "stats": ["stats", path],
            "explain": ["explain", path, "abc"],
            "baseline": ["check", EXAMPLE, "--baseline", path],
        }[command]
        assert f"{path}{where}" in fails(capsys, *args)


def test_a_report_over_the_limit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "r.json"
    path.write_text('{"format": "dualrel.report/1"}')
    monkeypatch.setenv("DUALREL_MAX_REPORT_BYTES", "10")
    err = fails(capsys, "stats", path)
    assert "too-large: 30-byte file over the 10-byte limit for a report" in err


def test_a_case_file_with_a_duplicate_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "cases.yaml"
    path.write_text(
        "ruleset: coaching-core\n"
        "as_of: 2026-01-01\n"
        "cases:\n"
        "  - name: one\n"
        "    name: two\n"
        "    people: [{id: co1, roles: [coach]}]\n"
        "    expect_none: true\n"
    )
    code = main(["test", str(path)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert f"{path}:5 (/cases/0/name): duplicate-key:" in err


def test_check_refuses_a_registry_pipe_at_once(tmp_path: Path, capsys) -> None:
    # check reads its registry twice (its sha256 goes into the report): a pipe would be
    # read once, then wait forever; nobody writes to this one, so a hang fails the test
    fifo = tmp_path / "registry.json"
    os.mkfifo(fifo)
    assert main(["check", str(fifo)]) == 2
    err = capsys.readouterr().err
    assert f"{fifo}: unreadable: a pipe: check reads the registry twice" in err
