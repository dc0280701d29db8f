"""``dualrel render REPORT.json``: every format, byte for byte as ``check`` writes it in
the same run, from the saved JSON report alone; bad reports located, exit 2."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from benchmarks.generate import generate as generate_practice
from benchmarks.generate import write_json

from dualrel.cli import main
from dualrel.report import FORMATS
from tests.report.util import EXAMPLE, KEY

FORMAT_NAMES = list(FORMATS)


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".git").mkdir()  # no settings file above the test's folder is read
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv(*next(iter(KEY.items())))


def _same_as_check(
    tmp_path: Path, check_args: list[str], render_args: tuple[str, ...] = ()
) -> None:
    """Check once writing every format, render every format from its JSON report, and
    compare the files byte for byte."""
    (tmp_path / "c").mkdir()
    (tmp_path / "r").mkdir()
    outputs = [f"-o{f}=c/out.{f}" for f in FORMAT_NAMES]
    assert main(["check", *check_args, *outputs]) in (0, 1)
    rendered = [f"-o{f}=r/out.{f}" for f in FORMAT_NAMES]
    assert main(["render", "c/out.json", *render_args, *rendered]) == 0
    for f in FORMAT_NAMES:
        checked = (tmp_path / "c" / f"out.{f}").read_bytes()
        assert (tmp_path / "r" / f"out.{f}").read_bytes() == checked, f


def test_the_example_with_practice_records_and_date_windows(tmp_path: Path) -> None:
    args = [str(EXAMPLE), "-r", "coaching-core", "-r", "coaching-practice", "--as-of"]
    _same_as_check(tmp_path, [*args, "2026-06-01"])
    report = json.loads((tmp_path / "c" / "out.json").read_text())
    assert report["rules"] and any(f.get("windows") for f in report["findings"])
    assert any(f.get("evidence_records") for f in report["findings"])


def test_a_generated_registry_with_waivers_and_a_baseline(tmp_path: Path) -> None:
    people, ties = generate_practice(300, seed=3)
    write_json(str(tmp_path / "reg.json"), people, ties)
    assert main(["check", "reg.json", "-o", "json=base.json", "--as-of", "2025-01-01"]) in (0, 1)
    base = json.loads((tmp_path / "base.json").read_text())
    assert base["findings"], "the generated practice plants findings"
    first = base["findings"][0]["fingerprint"]
    (tmp_path / "waivers.yaml").write_text(
        "waivers:\n"
        f"  - fingerprint: {first}\n    reason: agreed\n    approved_by: ma1\n"
        "    expires: 2030-01-01\n"
        f"  - fingerprint: {'f' * 32}\n    reason: gone\n    approved_by: ma1\n"
        "    expires: 2030-01-01\n",
        encoding="utf-8",
    )
    _same_as_check(
        tmp_path,
        ["reg.json", "--waivers", "waivers.yaml", "--baseline", "base.json", "--fail-level", "2"],
    )
    report = json.loads((tmp_path / "c" / "out.json").read_text())
    assert report["summary"]["by_status"]["waived"] == 1
    assert any(f.get("in_baseline") for f in report["findings"])


def test_revealed(tmp_path: Path) -> None:
    _same_as_check(tmp_path, [str(EXAMPLE), "--reveal"], ("--reveal",))


def test_standard_output_and_a_random_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", str(EXAMPLE), "-f", "json", "-o", "r.json"]) == 1
    assert main(["check", str(EXAMPLE)]) == 1
    checked = capsys.readouterr().out
    assert main(["render", "r.json"]) == 0  # text by default, to standard output
    assert capsys.readouterr().out == checked
    monkeypatch.delenv("DUALREL_PSEUDONYM_KEY")
    assert main(["render", "r.json", "-o", "sarif=a.sarif", "-o", "markdown=a.md"]) == 0
    assert "random key" in (tmp_path / "a.md").read_text()


@pytest.mark.parametrize(
    ("content", "needles"),
    [
        (None, ["missing.json: not-found: no such report"]),
        ("{\n  nope", ["r.json:2: malformed: not JSON"]),
        ('{"format": "dualrel.registry/1"}', ["r.json (/format): not-a-report"]),
    ],
)
def test_bad_reports_are_located(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | None, needles: list[str]
) -> None:
    name = "missing.json" if content is None else "r.json"
    if content is not None:
        (tmp_path / name).write_text(content, encoding="utf-8")
    assert main(["render", name, "-f", "sarif", "-o", "out.sarif"]) == 2
    err = capsys.readouterr().err
    for needle in needles:
        assert needle in err, (needle, err)
    assert not (tmp_path / "out.sarif").exists()


def test_an_invalid_report_names_the_pointer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", str(EXAMPLE), "-o", "json=r.json"]) == 1
    report = json.loads((tmp_path / "r.json").read_text())
    report["findings"][0]["level"] = 7
    report["rules"][0]["severity"] = "urgent"
    (tmp_path / "r.json").write_text(json.dumps(report))
    assert main(["render", "r.json", "-f", "sarif"]) == 2
    err = capsys.readouterr().err
    assert "r.json (/findings/0/level): schema" in err
    assert "r.json (/rules/0/severity): schema" in err


def test_a_report_larger_than_the_bound(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", str(EXAMPLE), "-o", "json=r.json"]) == 1
    monkeypatch.setenv("DUALREL_MAX_REPORT_BYTES", "1000")
    assert main(["render", "r.json", "-f", "github"]) == 2
    assert "DUALREL_MAX_REPORT_BYTES" in capsys.readouterr().err


def test_bad_outputs_fail_before_the_report_is_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["render", "missing.json", "-o", "json=nodir/r.json"]) == 2
    err = capsys.readouterr().err
    assert "no such directory 'nodir'" in err and "no such report" not in err
    assert os.listdir(tmp_path) == [".git"]


def test_a_report_from_before_rules_were_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", str(EXAMPLE), "-o", "json=r.json", "-o", "github=c.txt"]) == 1
    report = json.loads((tmp_path / "r.json").read_text())
    del report["rules"]
    for finding in report["findings"]:
        finding.pop("windows", None)
    (tmp_path / "r.json").write_text(json.dumps(report))
    assert main(["render", "r.json", "-o", "sarif=a.sarif", "-o", "html=a.html"]) == 2
    err = capsys.readouterr().err
    assert "r.json (/rules): missing-field: the report holds no rules" in err
    assert "sarif, html cannot be rendered" in err
    assert not (tmp_path / "a.sarif").exists()
    assert main(["render", "r.json", "-o", "github=r.txt"]) == 0  # needs no rule
    assert (tmp_path / "r.txt").read_text() == (tmp_path / "c.txt").read_text()
