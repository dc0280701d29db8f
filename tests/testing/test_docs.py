"""Every example of docs/policy-testing.md runs and prints what the guide shows."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dualrel.cli import main

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "policy-testing.md"
BLOCK = re.compile(r"```(?P<info>[^\n]*)\n(?P<body>.*?)```", re.S)


def blocks() -> list[tuple[str, str]]:
    return [(m["info"].strip(), m["body"]) for m in BLOCK.finditer(DOC.read_text())]


def test_the_guide_has_examples_of_each_kind():
    infos = [info for info, _ in blocks()]
    assert sum(i.startswith("yaml file=") for i in infos) >= 3
    assert sum(i.startswith("console") for i in infos) >= 5
    # no example escapes the check: every block is a file or a console session
    assert all(i.startswith(("yaml file=", "console exit=")) for i in infos), infos


def run_session(body: str, cwd: Path) -> list[tuple[str, str, str, int]]:
    """Each ``$ dualrel ...`` command of a console block, run as a reader would run it:
    (command, output shown in the guide, output printed, exit code)."""
    out = []
    parts = re.split(r"^\$ ", body, flags=re.M)[1:]
    for part in parts:
        command, _, shown = part.partition("\n")
        args = command.split()
        assert args[0] == "dualrel", command
        done = subprocess.run(
            [sys.executable, "-m", "dualrel", *args[1:]],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        out.append((command, shown, done.stdout + done.stderr, done.returncode))
    return out


def test_every_example_runs_as_shown(tmp_path):
    # dualrel diff's examples read the bundled example registry, as a reader's clone has it
    (tmp_path / "examples").mkdir()
    shutil.copy(ROOT / "src" / "dualrel" / "examples" / "practice.json", tmp_path / "examples")
    ran = 0
    for info, body in blocks():
        if info.startswith("yaml file="):
            path = tmp_path / info.split("=", 1)[1]
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(body)
            continue
        want_code = int(info.split("exit=", 1)[1])
        for command, shown, printed, code in run_session(body, tmp_path):
            # a negative code is a signal: the process crashed (say so, not "empty output")
            assert code >= 0, f"{command!r} crashed with signal {-code}"
            assert printed.rstrip() == shown.rstrip(), command
            assert code == want_code, command
            ran += 1
    assert ran >= 5


def test_the_error_shown_in_the_guide_is_the_one_dualrel_prints(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    for info, body in blocks():
        if info.startswith("yaml file="):
            path = tmp_path / info.split("=", 1)[1]
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(body)
    cases = tmp_path / "tests" / "our-practice" / "hiring.yaml"
    cases.write_text(
        cases.read_text().replace(
            "{rule: hiring-former-client,", "{rule: hiring-former-clients,", 1
        )
    )
    assert main(["test", "our-practice.yaml"]) == 2
    err = capsys.readouterr().err
    (shown,) = re.findall(r"`(tests/our-practice/hiring\.yaml:\d+ .*?)`", DOC.read_text(), re.S)
    assert " ".join(shown.split()) in err


def test_the_include_examples_are_what_the_shipped_tests_use():
    included, ignoring = re.findall(r"^    (include: .*)$", DOC.read_text(), re.M)
    assert included in (ROOT / "rulesets" / "tests" / "icf-2020" / "inherited.yaml").read_text()
    practice = (ROOT / "rulesets" / "tests" / "coaching-practice" / "inherited.yaml").read_text()
    (ignore,) = re.findall(r"^    (ignore: .*)$", DOC.read_text(), re.M)
    assert ignoring in practice and ignore in practice


@pytest.mark.parametrize("name", ["rulesets.md", "registry-format.md"])
def test_the_guide_points_at_documents_that_exist(name):
    assert name in DOC.read_text()
    assert (ROOT / "docs" / name).is_file()
