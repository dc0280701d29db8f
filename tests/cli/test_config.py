"""``dualrel check``'s settings file: dualrel.toml or [tool.dualrel] in pyproject.toml."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from dualrel.cli import main
from dualrel.cli.config import find_config, load_config
from tests.report.util import EXAMPLE, KEY

PYPROJECT = """\
[project]
name = "practice"

[tool.dualrel]
registry = "registry/practice.json"
rulesets = ["coaching-core", "icf-2020"]
fail-level = 3

[tool.dualrel.outputs]
json = "reports/dualrel.json"
sarif = "reports/dualrel.sarif"
"""


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository with its settings in pyproject.toml, checked from a subfolder."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "registry").mkdir()
    (tmp_path / "reports").mkdir()
    (tmp_path / "sub").mkdir()
    shutil.copy(EXAMPLE, tmp_path / "registry" / "practice.json")
    (tmp_path / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    monkeypatch.chdir(tmp_path / "sub")
    monkeypatch.setenv(*next(iter(KEY.items())))
    return tmp_path


def test_settings_are_found_upward_with_paths_relative_to_the_file(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check"]) == 1  # the example's level 3 finding fails at fail-level 3
    err = capsys.readouterr().err
    assert "settings from ../pyproject.toml" in err
    report = json.loads((repo / "reports" / "dualrel.json").read_text())
    assert report["generated_for"]["registry"]["path"] == "../registry/practice.json"
    assert [r["id"] for r in report["rulesets"]] == ["coaching-core", "icf-2020"]
    assert report["summary"]["fail_level"] == 3
    assert (repo / "reports" / "dualrel.sarif").exists()


def test_a_registry_url_in_the_settings_is_not_a_path_relative_to_them(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = PYPROJECT.replace("registry/practice.json", "gcs://bucket/registry/")
    (repo / "pyproject.toml").write_text(text, encoding="utf-8")
    assert main(["check"]) == 2  # gcsfs is not installed: unreadable, named by its URL
    err = capsys.readouterr().err
    assert "gcs://bucket/registry/: unreadable" in err
    assert "pip install gcsfs" in err


def test_flags_win_each_on_its_own(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "-r", "coaching-core", "--fail-level", "1", "-f", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert [r["id"] for r in report["rulesets"]] == ["coaching-core"]
    assert report["summary"]["fail_level"] == 1
    assert report["generated_for"]["registry"]["path"] == "../registry/practice.json"
    assert not (repo / "reports" / "dualrel.json").exists()  # -f replaced the outputs


def test_no_config_and_a_named_config(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--no-config"]) == 2
    assert "no registry: give REGISTRY" in capsys.readouterr().err
    (repo / "sub" / "dualrel.toml").write_text('registry = "../registry/practice.json"\n')
    assert main(["check", "-f", "json"]) == 1  # dualrel.toml here is found first
    out = capsys.readouterr()
    assert "settings from dualrel.toml" in out.err
    assert json.loads(out.out)["summary"]["fail_level"] == 1
    assert main(["check", "--config", "../pyproject.toml", "-f", "json"]) == 1
    assert json.loads(capsys.readouterr().out)["summary"]["fail_level"] == 3


def test_the_search_stops_at_the_repository_root(tmp_path: Path) -> None:
    (tmp_path / "dualrel.toml").write_text('registry = "x"\n')
    inner = tmp_path / "inner"
    (inner / "a").mkdir(parents=True)
    found = find_config(inner / "a")
    assert found is not None and os.path.abspath(found) == str(tmp_path / "dualrel.toml")
    (inner / ".git").write_text("gitdir: elsewhere\n")  # a worktree's .git is a file
    assert find_config(inner / "a") is None
    (inner / "pyproject.toml").write_text('[project]\nname = "x"  # see [tool.dualrel]\n')
    assert find_config(inner / "a") is None  # a pyproject.toml without [tool.dualrel]
    (inner / "pyproject.toml").write_text("[tool.dualrel\n")
    found = find_config(inner / "a")  # a broken one that means to hold it: its error shown
    assert found is not None and os.path.abspath(found) == str(inner / "pyproject.toml")


def test_a_named_pyproject_without_the_table(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "other.toml").write_text("[tool.other]\nx = 1\n")
    (repo / "pyproject.toml").write_text("[tool.other]\nx = 1\n")
    assert main(["check", "--config", "../pyproject.toml"]) == 2
    err = capsys.readouterr().err
    assert "../pyproject.toml (/tool/dualrel): missing-field: no [tool.dualrel] table" in err


def test_unknown_keys_and_bad_values_are_located_all_at_once(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "pyproject.toml").write_text(
        '[tool.dualrel]\nregisty = "r.json"\nfail-level = "high"\nrulesets = "coaching-core"\n'
        '\n[tool.dualrel.outputs]\nsarf = "x.sarif"\njson = 3\n'
    )
    assert main(["check", "reg.json"]) == 2
    err = capsys.readouterr().err
    for needle in (
        "../pyproject.toml:2 (/tool/dualrel/registy): schema: unknown field 'registy' (did "
        "you mean 'registry'?)",
        "../pyproject.toml:3 (/tool/dualrel/fail-level): invalid-value: 'high' is a severity",
        "../pyproject.toml:4 (/tool/dualrel/rulesets): schema: rulesets must be a list",
        "../pyproject.toml:7 (/tool/dualrel/outputs/sarf): unknown-format: unknown format "
        "'sarf' (did you mean 'sarif'?)",
        "../pyproject.toml:8 (/tool/dualrel/outputs/json): schema: json must be text",
        "dualrel: 5 problem(s) found",
    ):
        assert needle in err, (needle, err)


def test_malformed_toml_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "dualrel.toml"
    path.write_text('registry = "r.json"\n[outputs\n')
    with pytest.raises(Exception, match=r"dualrel.toml:2: malformed: not valid TOML"):
        load_config(str(path))
    path.write_bytes(b'registry = "\xff"\n')
    with pytest.raises(Exception, match="not UTF-8"):
        load_config(str(path))
    with pytest.raises(Exception, match="not-found: no such settings file"):
        load_config(str(tmp_path / "none.toml"))


def test_a_missing_output_folder_in_the_settings_fails_before_the_run(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.rmtree(repo / "reports")
    assert main(["check"]) == 2
    assert "no such directory '../reports'" in capsys.readouterr().err
