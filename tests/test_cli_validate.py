"""``dualrel validate`` end to end, in a subprocess: output, exit codes, no traceback."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from dualrel import __version__
from dualrel.cli import main

ROOT = Path(__file__).parents[1]
EXAMPLE = ROOT / "examples" / "practice.json"


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dualrel", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=60,
        check=False,
    )


def test_version() -> None:
    r = run("--version")
    assert (r.returncode, r.stdout.strip()) == (0, f"dualrel {__version__}")


def test_validate_example_summary() -> None:
    r = run("validate", str(EXAMPLE))
    assert r.returncode == 0, r.stderr
    assert "people      54" in r.stdout
    assert "ties        95" in r.stdout
    assert "coaching      40" in r.stdout
    assert "components  1" in r.stdout
    assert "warnings    0" in r.stdout
    assert r.stderr == ""


def test_validate_json_summary_never_prints_names() -> None:
    r = run("validate", "--json", str(EXAMPLE))
    assert r.returncode == 0
    summary = json.loads(r.stdout)
    assert summary["people"] == 54
    assert summary["ties_by_kind"]["romance"] == 7
    names = [p["name"] for p in json.loads(EXAMPLE.read_text())["people"] if "name" in p]
    assert names
    assert not any(name in r.stdout + r.stderr for name in names)


def test_invalid_registry_lists_every_problem(tmp_path: Path) -> None:
    doc = json.loads(EXAMPLE.read_text())
    doc["ties"][3]["target"] = "cl9999"
    doc["ties"][5]["end"] = "1999-01-01"
    doc["people"][0]["roles"] = "coach"
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(doc, indent=1))
    r = run("validate", str(path))
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert r.stdout == ""
    lines = [line for line in r.stderr.splitlines() if line.startswith(str(path))]
    assert len(lines) == 3
    assert any(": unknown-person: " in line and "cl9999" in line for line in lines)
    assert any("(/ties/5/end): end-before-start" in line for line in lines)
    assert all(re.match(rf"{re.escape(str(path))}:\d+[ :]", line) for line in lines)
    assert "3 problem(s)" in r.stderr
    names = [p["name"] for p in doc["people"] if "name" in p]
    assert not any(name in r.stderr for name in names)


@pytest.mark.parametrize(
    ("content", "code"),
    [(None, "unreadable"), ("{", "malformed"), ("[]", "wrong-type")],
)
def test_bad_files_exit_2_without_traceback(tmp_path: Path, content: str | None, code: str) -> None:
    path = tmp_path / "reg.json"
    if content is not None:
        path.write_text(content)
    r = run("validate", str(path))
    assert r.returncode == 2
    assert f"{path}" in r.stderr and f": {code}: " in r.stderr
    assert "Traceback" not in r.stderr


def test_csv_folder_with_warning(tmp_path: Path) -> None:
    (tmp_path / "people.csv").write_text("id,roles\na,client\nb,client\n")
    (tmp_path / "ties.csv").write_text("id,kind,source,target\nt1,coaching,a,b\n")
    r = run("validate", str(tmp_path))
    assert r.returncode == 0
    assert "warnings    1" in r.stdout
    assert f"warning: {tmp_path / 'ties.csv'}:2: role-mismatch:" in r.stderr
    r = run("validate", "-q", str(tmp_path))
    assert r.stderr == ""


def test_as_of_option(tmp_path: Path) -> None:
    (tmp_path / "people.csv").write_text("id,roles\na,coach\nb,client\n")
    (tmp_path / "ties.csv").write_text("kind,source,target\ncoaching,a,b\n")
    r = run("validate", str(tmp_path))
    # a CSV folder has no as_of: the summary says which date a check would use
    assert "as of       none: check uses today's date unless given --as-of" in r.stdout
    r = run("validate", "--as-of", "2026-03-01", str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert "as of       2026-03-01" in r.stdout
    r = run("validate", "--json", "--as-of", "2026-03-01", str(EXAMPLE))
    assert json.loads(r.stdout)["as_of"] == "2026-03-01"  # over the document's own
    r = run("validate", "--as-of", "2026-02-30", str(tmp_path))
    assert r.returncode == 2 and "expected a date YYYY-MM-DD" in r.stderr


def test_extra_kind_option(tmp_path: Path) -> None:
    (tmp_path / "people.csv").write_text("id,roles\na,coach\nb,client\n")
    (tmp_path / "ties.csv").write_text("kind,source,target\nboard_seat,a,b\n")
    assert run("validate", str(tmp_path)).returncode == 2
    r = run("validate", "--extra-kind", "board_seat=undirected", str(tmp_path))
    assert r.returncode == 0, r.stderr


def test_usage_errors_exit_2() -> None:
    assert run().returncode == 2
    r = run("validate")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert run("frobnicate").returncode == 2
    r = run("--help")
    assert r.returncode == 0 and "exit codes" in r.stdout


def test_main_returns_codes_in_process(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(EXAMPLE)]) == 0
    assert main(["validate", "/no/such/registry.json"]) == 2
    assert "unreadable" in capsys.readouterr().err
