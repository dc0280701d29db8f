"""``dualrel check --register``, ``dualrel register ...`` and ``dualrel stats --register``
through the command line's ``main``, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest

from dualrel.cli import main
from dualrel.findings import CheckResult
from dualrel.register import open_register
from dualrel.register.dashboard import render_dashboard
from tests.report.util import EXAMPLE


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_check_records_the_run_and_keeps_its_exit_code(
    register_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run(
        capsys,
        "check",
        str(EXAMPLE),
        "--register",
        register_url,
        "--by",
        "ci",
        "-o",
        str(tmp_path / "r.txt"),
    )
    assert code == 1
    assert "recorded run 1 in" in err and "12 opened" in err
    assert "password" not in err
    code, _, err = _run(
        capsys,
        "check",
        str(EXAMPLE),
        "--register",
        register_url,
        "--by",
        "ci",
        "--as-of",
        "2026-12-01",
        "-o",
        str(tmp_path / "r.txt"),
    )
    assert code == 1 and "recorded run 2" in err and "0 opened" in err
    code, _, err = _run(
        capsys,
        "check",
        str(EXAMPLE),
        "--register",
        register_url,
        "--as-of",
        "2026-11-01",
        "-o",
        str(tmp_path / "r.txt"),
    )
    assert code == 2 and "date order" in err and "Traceback" not in err


def test_register_commands(register_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        _run(capsys, "check", str(EXAMPLE), "--register", register_url, "--by", "ci", "-o", "-")[0]
        == 1
    )
    code, out, _ = _run(capsys, "register", "list", "--register", register_url, "--level", "3")
    assert code == 0
    lines = out.splitlines()
    assert lines[-1] == "1 finding(s)" and "coaching-core/romance-active-client" in lines[0]
    fp = lines[0].split()[0]
    reg = ["--register", register_url]
    assert _run(capsys, "register", "acknowledge", fp[:8], *reg, "--by", "alice")[1] == (
        f"{fp}  L3  acknowledged\n"
    )
    code, _, err = _run(capsys, "register", "acknowledge", fp, *reg, "--by", "alice")
    assert code == 2 and "only a finding that is open or reopened" in err
    code, _, err = _run(capsys, "register", "acknowledge", fp, *reg)
    assert code == 2 and "--by" in err
    assert (
        _run(capsys, "register", "assign", fp, "sv001", *reg, "--by", "alice", "--step", "3")[0]
        == 0
    )
    assert (
        _run(capsys, "register", "complete", fp, "1", *reg, "--by", "co001", "--note", "paused")[0]
        == 0
    )
    assert (
        _run(capsys, "register", "note", fp, "seen at the March meeting", *reg, "--by", "bob")[0]
        == 0
    )
    code, out, _ = _run(capsys, "register", "show", fp, *reg)
    assert code == 0
    assert "3. ethics_committee  due 2026-12-03  assignee sv001  not done" in out
    assert "1. coach  due 2026-11-26  assignee co001  done" in out
    assert "(seen at the March meeting)" in out and "by bob" in out
    shown = json.loads(_run(capsys, "register", "show", fp, *reg, "--json")[1])
    assert [e["kind"] for e in shown["history"]] == [
        "opened",
        "acknowledged",
        "assigned",
        "completed",
        "noted",
    ]
    listed = json.loads(_run(capsys, "register", "list", *reg, "--assignee", "sv001", "--json")[1])
    assert [f["fingerprint"] for f in listed] == [fp]
    code, out, _ = _run(
        capsys,
        "register",
        "list",
        *reg,
        "--overdue",
        "--as-of",
        "2026-12-04",
        "--status",
        "in-remediation",
    )
    assert out.splitlines()[0].startswith(fp) and out.endswith("1 finding(s)\n")
    code, out, _ = _run(
        capsys, "register", "escalate", *reg, "--as-of", "2027-06-01", "--by", "cron"
    )
    assert code == 0 and "L1 -> L2" in out and "L2 -> L3" in out
    assert "after 14 days past due" in out  # coaching-core's level_1
    assert _run(capsys, "register", "resolve", fp, *reg, "--by", "committee")[1].endswith(
        "resolved\n"
    )
    assert _run(capsys, "register", "reopen", fp, *reg, "--by", "committee")[0] == 0
    code, _, err = _run(capsys, "register", "show", "0000", *reg)
    assert code == 2 and "no finding 0000" in err


def test_stats_from_the_register(
    register_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _run(capsys, "check", str(EXAMPLE), "--register", register_url, "--by", "ci", "-o", "-")
    code, out, _ = _run(capsys, "stats", "--register", register_url, "--as-of", "2026-12-31")
    assert code == 0 and "open now: 12" in out and "overdue steps:" in out
    code, out, _ = _run(
        capsys,
        "stats",
        "--register",
        register_url,
        "--as-of",
        "2026-12-31",
        "--json",
        "--chart",
        str(tmp_path / "c.svg"),
    )
    data = json.loads(out)
    assert data["format"] == "dualrel.register-stats/1"
    assert data["periods"][0]["raised"]["total"] == 12
    assert (tmp_path / "c.svg").read_text().startswith("<?xml")
    code, _, err = _run(capsys, "stats", "r.json", "--register", register_url)
    assert code == 2 and "not both" in err


def test_register_report_writes_the_dashboard(
    register_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _run(capsys, "check", str(EXAMPLE), "--register", register_url, "--by", "ci", "-o", "-")
    page = tmp_path / "dash.html"
    code, _, err = _run(
        capsys,
        "register",
        "report",
        "--register",
        register_url,
        "--format",
        "html",
        "-o",
        str(page),
        "--as-of",
        "2027-01-15",
    )
    assert code == 0 and f"wrote {page}" in err
    html = page.read_text()
    assert "Open findings by level and age" in html and "Overdue steps by assignee" in html
    assert "<svg" in html and "http://" not in html.replace("http://www.w3.org/2000/svg", "")
    with open_register(register_url) as reg:
        assert all(f.fingerprint in html for f in reg.findings())


def test_check_register_without_url_uses_the_default_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    monkeypatch.setenv("USER", "ci-user")
    monkeypatch.setenv("LOGNAME", "ci-user")
    code, _, err = _run(capsys, "check", str(EXAMPLE), "--register", "-o", "-")
    path = tmp_path / "dualrel" / "register.sqlite"
    assert code == 1 and f"in {path}" in err
    with open_register(str(path)) as reg:
        assert reg.runs()[0].recorded_by == "ci-user"
    code, _, err = _run(capsys, "register", "list", "--register", "mysql://x/y")
    assert code == 2 and "unsupported register URL scheme" in err


def test_the_dashboard_escapes_what_it_shows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = str(tmp_path / "r.sqlite")
    _run(capsys, "check", str(EXAMPLE), "--register", url, "--by", "<b>ci</b>", "-o", "-")
    with open_register(url) as reg:
        fp = reg.findings()[0].fingerprint
        reg.assign(fp, "<script>x</script>", by="a")
    page = tmp_path / "d.html"
    _run(capsys, "register", "report", "--register", url, "-o", str(page), "--as-of", "2027-01-01")
    html = page.read_text()
    assert "<script>x</script>" not in html and "&lt;script&gt;x&lt;/script&gt;" in html


def test_the_dashboard_lists_the_highest_and_oldest_first_up_to_its_limit(
    register_url: str, example_check: CheckResult
) -> None:
    with open_register(register_url) as reg:
        reg.record(example_check, by="ci")
        page = render_dashboard(reg, as_of=date(2027, 1, 1), listed=2)
        found = reg.findings()
    listed = re.findall(r'<tr class="l\d" data-level="(\d)"', page)
    assert listed == ["3", "2"]
    assert f"The 2 of {len(found)} open findings" in page
    assert f'data-text="{found[0].fingerprint} ' in page
