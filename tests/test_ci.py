"""The CI recipes of docs/ci.md, the GitHub action and the pre-commit hooks, exercised.

Offline: the workflows, the action and the GitLab job are validated against the schemas
check-jsonschema vendors (``vendor.github-workflows``, ``vendor.github-actions``,
``vendor.gitlab-ci``); the shell steps that run dualrel are run here with bash as the CI
systems run them; the hooks run through ``pre-commit`` on a sample ruleset repository, with
``dualrel`` on PATH running the dualrel under test.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

import dualrel
from tests.rules.recipes import yaml_blocks

ROOT = Path(__file__).resolve().parents[1]
CI_DOC = ROOT / "docs" / "ci.md"
ACTION = ROOT / "action.yml"
HOOKS = ROOT / ".pre-commit-hooks.yaml"
EXAMPLE = dualrel.example_registry()
KEY = "k" * 32
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.org",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.org",
}


def check_jsonschema(schema: str, *files: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, *map(str, files)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def doc_blocks(tmp_path: Path, section: str) -> list[Path]:
    """The yaml blocks of a docs/ci.md section, each written to a file of its own."""
    blocks = yaml_blocks(CI_DOC, section)
    assert blocks, section
    paths = []
    for i, block in enumerate(blocks):
        path = tmp_path / f"{section.replace(' ', '-')}-{i}.yml"
        path.write_text(block, encoding="utf-8")
        paths.append(path)
    return paths


@pytest.fixture
def bin_dir(tmp_path: Path) -> Path:
    """A folder with ``dualrel`` running this interpreter's dualrel (the one under test)."""
    d = tmp_path / "bin"
    d.mkdir()
    shim = d / "dualrel"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m dualrel "$@"\n', encoding="utf-8")
    shim.chmod(0o755)
    return d


def ci_env(bin_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "DUALREL_"))}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra)
    return env


def run_bash(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """As GitHub runs a ``shell: bash`` step (GitLab's runner also stops at a failing
    command)."""
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def registry_in(workdir: Path) -> Path:
    reg = workdir / "registry" / "practice.json"
    reg.parent.mkdir(parents=True)
    reg.write_bytes(EXAMPLE.read_bytes())
    return reg


def step(steps: list[dict[str, Any]], step_id: str) -> dict[str, Any]:
    return next(s for s in steps if s.get("id") == step_id)


# -- schemas ------------------------------------------------------------------------------


def test_the_documented_github_workflows_are_valid(tmp_path: Path) -> None:
    paths = doc_blocks(tmp_path, "GitHub Actions")
    assert len(paths) == 2
    check_jsonschema("vendor.github-workflows", *paths)
    for path in paths:
        workflow = yaml.safe_load(path.read_text(encoding="utf-8"))
        text = path.read_text(encoding="utf-8")
        assert workflow["permissions"]["security-events"] == "write"
        assert "github/codeql-action/upload-sarif@" in text
        assert "secrets.DUALREL_PSEUDONYM_KEY" in text
        assert "exit-code != '0'" in text


def test_the_action_is_a_valid_github_action() -> None:
    check_jsonschema("vendor.github-actions", ACTION)
    action = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    assert action["runs"]["using"] == "composite"
    assert all(i.get("description") for i in action["inputs"].values())
    assert all(o.get("description") and o.get("value") for o in action["outputs"].values())
    documented = CI_DOC.read_text(encoding="utf-8")
    for name in (*action["inputs"], *action["outputs"]):
        assert f"`{name}`" in documented, name


def test_the_documented_gitlab_job_is_valid(tmp_path: Path) -> None:
    (path,) = doc_blocks(tmp_path, "GitLab CI")
    check_jsonschema("vendor.gitlab-ci", path)
    job = yaml.safe_load(path.read_text(encoding="utf-8"))["dualrel"]
    assert job["artifacts"]["reports"] == {
        "codequality": "gl-code-quality-report.json",
        "junit": "dualrel.xml",
    }


def test_a_broken_workflow_is_refused(tmp_path: Path) -> None:
    """The schema check can fail: a job without runs-on or steps is not a workflow."""
    bad = tmp_path / "bad.yml"
    bad.write_text("on: [push]\njobs:\n  check:\n    stepz: []\n", encoding="utf-8")
    with pytest.raises(AssertionError):
        check_jsonschema("vendor.github-workflows", bad)


# -- the steps, run -----------------------------------------------------------------------


def action_step_env(
    action: dict[str, Any], given: dict[str, str], run: dict[str, Any]
) -> dict[str, str]:
    """A step's ``env``, with ``${{ inputs.X }}`` read from ``given`` or the defaults."""
    inputs = {k: str(v.get("default", "")) for k, v in action["inputs"].items()} | given
    return {
        k: re.sub(r"\$\{\{ inputs\.([\w-]+) \}\}", lambda m: inputs[m.group(1)], str(v))
        for k, v in run.get("env", {}).items()
    }


def test_the_actions_check_step_reports_and_gates(tmp_path: Path, bin_dir: Path) -> None:
    action = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    check = step(action["runs"]["steps"], "check")
    registry_in(tmp_path)
    out, summary = tmp_path / "github-output", tmp_path / "summary.md"
    given = {"registry": "registry/practice.json", "pseudonym-key": KEY}
    env = ci_env(
        bin_dir,
        GITHUB_OUTPUT=str(out),
        GITHUB_STEP_SUMMARY=str(summary),
        **action_step_env(action, given, check),
    )
    done = run_bash(check["run"], tmp_path, env)
    assert done.returncode == 0, done.stderr
    outputs = dict(line.split("=", 1) for line in out.read_text().splitlines())
    assert outputs == {
        "exit-code": "1",
        "sarif": "dualrel-reports/dualrel.sarif",
        "junit": "dualrel-reports/dualrel.xml",
        "markdown": "dualrel-reports/dualrel.md",
    }
    sarif = json.loads((tmp_path / outputs["sarif"]).read_text(encoding="utf-8"))
    assert len(sarif["runs"][0]["results"]) == 12
    assert 'tests="12" failures="12"' in (tmp_path / outputs["junit"]).read_text()
    assert summary.read_text().startswith("## dualrel check\n")
    annotations = [line for line in done.stdout.splitlines() if line.startswith("::")]
    assert len(annotations) == 12
    assert all("file=registry/practice.json,line=" in a for a in annotations)
    assert "keyed by DUALREL_PSEUDONYM_KEY" in done.stdout

    gate = next(s for s in action["runs"]["steps"] if s.get("name") == "Gate on the findings")
    assert "exit-code != '0'" in gate["if"]
    gated = run_bash(gate["run"], tmp_path, ci_env(bin_dir, CODE=outputs["exit-code"]))
    assert gated.returncode == 1

    # bad input fails the step itself, with dualrel's exit code
    env["RULESETS"] = "missing.yaml"
    out.write_text("")
    done = run_bash(check["run"], tmp_path, env)
    assert done.returncode == 2 and "missing.yaml" in done.stderr
    assert out.read_text() == "exit-code=2\n"


def test_the_documented_plain_github_step_reports_and_gates(tmp_path: Path, bin_dir: Path) -> None:
    plain = yaml.safe_load(doc_blocks(tmp_path, "GitHub Actions")[1].read_text())
    job = plain["jobs"]["check"]
    check = step(job["steps"], "check")
    registry_in(tmp_path)
    out, summary = tmp_path / "github-output", tmp_path / "summary.md"
    env = ci_env(
        bin_dir,
        GITHUB_OUTPUT=str(out),
        GITHUB_STEP_SUMMARY=str(summary),
        DUALREL_PSEUDONYM_KEY=KEY,
        REGISTRY=job["env"]["REGISTRY"],
    )
    done = run_bash(check["run"], tmp_path, env)
    assert done.returncode == 0, done.stderr
    assert out.read_text() == "exit-code=1\n"
    assert len(json.loads((tmp_path / "dualrel.sarif").read_text())["runs"][0]["results"]) == 12
    assert (tmp_path / "dualrel.xml").is_file()
    assert "## dualrel check" in summary.read_text()
    assert sum(line.startswith("::") for line in done.stdout.splitlines()) == 12


def test_the_documented_gitlab_job_writes_its_reports_and_fails(
    tmp_path: Path, bin_dir: Path
) -> None:
    (path,) = doc_blocks(tmp_path, "GitLab CI")
    job = yaml.safe_load(path.read_text(encoding="utf-8"))["dualrel"]
    work = tmp_path / "project"
    registry_in(work)
    env = ci_env(bin_dir, DUALREL_PSEUDONYM_KEY=KEY, **job["variables"])
    script = "\n".join(line for line in job["script"] if "pip install" not in line)
    done = run_bash(script, work, env)
    assert done.returncode == 1, done.stderr
    issues = json.loads((work / "gl-code-quality-report.json").read_text(encoding="utf-8"))
    assert len(issues) == 12
    assert {i["location"]["path"] for i in issues} == {"registry/practice.json"}
    assert (work / job["artifacts"]["reports"]["junit"]).is_file()
    assert (work / "dualrel.md").is_file()


# -- pre-commit ---------------------------------------------------------------------------


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args],
        cwd=cwd,
        env={**os.environ, **GIT_IDENTITY},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout


def documented_file(name: str) -> str:
    """A file of the walkthrough in docs/policy-testing.md (```yaml file=NAME)."""
    text = (ROOT / "docs" / "policy-testing.md").read_text(encoding="utf-8")
    match = re.search(rf"```yaml file={re.escape(name)}\n(.*?)```", text, flags=re.S)
    assert match, name
    return match.group(1)


@pytest.fixture
def ruleset_repo(tmp_path: Path) -> Path:
    """A committee's repository: the walkthrough's ruleset and cases, and a registry."""
    repo = tmp_path / "committee"
    (repo / "rulesets" / "tests" / "our-practice").mkdir(parents=True)
    # lint asks more than check: the code the rule cites is declared
    source = 'sources:\n  - {code: ICF, version: "2020", title: ICF Code of Ethics}\n'
    (repo / "rulesets" / "our-practice.yaml").write_text(
        documented_file("our-practice.yaml") + source
    )
    (repo / "rulesets" / "tests" / "our-practice" / "hiring.yaml").write_text(
        documented_file("tests/our-practice/hiring.yaml")
    )
    registry_in(repo)
    git(repo, "init", "-q")
    git(repo, "add", ".")
    return repo


def pre_commit(
    args: list[str], repo: Path, bin_dir: Path, home: Path
) -> subprocess.CompletedProcess[str]:
    env = ci_env(bin_dir, PRE_COMMIT_HOME=str(home), **GIT_IDENTITY)
    env.pop("PRE_COMMIT_COLOR", None)
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", *args, "--color", "never"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_hooks_manifest_is_valid(tmp_path: Path, bin_dir: Path) -> None:
    done = pre_commit(["validate-manifest", str(HOOKS)], ROOT, bin_dir, tmp_path / "home")
    assert done.returncode == 0, done.stdout + done.stderr
    hooks = {h["id"]: h for h in yaml.safe_load(HOOKS.read_text(encoding="utf-8"))}
    assert {"dualrel-lint", "dualrel-test", "dualrel-validate"} <= set(hooks)
    assert all(h["language"] == "system" for h in hooks.values())


#: each hook, and a change that makes it fail: (file, text, replacement, what it then says)
BREAKS = {
    "dualrel-lint": ("rulesets/our-practice.yaml", "severity: medium", "severity: dire", ".yaml:"),
    "dualrel-test": ("rulesets/tests/our-practice/hiring.yaml", "level: 2", "level: 3", "FAIL"),
}


@pytest.mark.parametrize("hook", sorted(BREAKS))
def test_ruleset_hooks_through_try_repo(
    hook: str, ruleset_repo: Path, bin_dir: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    name = hook.removeprefix("dualrel-")
    args = ["try-repo", str(ROOT), hook, "--all-files"]
    done = pre_commit(args, ruleset_repo, bin_dir, home)
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(rf"dualrel {name}\.+Passed", done.stdout), done.stdout
    file, old, new, says = BREAKS[hook]
    target = ruleset_repo / file
    text = target.read_text(encoding="utf-8")
    assert old in text
    target.write_text(text.replace(old, new, 1), encoding="utf-8")
    git(ruleset_repo, "add", ".")
    done = pre_commit(args, ruleset_repo, bin_dir, home)
    assert done.returncode == 1, done.stdout + done.stderr
    assert re.search(rf"dualrel {name}\.+Failed", done.stdout), done.stdout
    assert says in done.stdout


def test_the_documented_pre_commit_config_validates_the_registry(
    ruleset_repo: Path, bin_dir: Path, tmp_path: Path
) -> None:
    """docs/ci.md's config, pointed at a copy of this repository's hooks at a commit."""
    hooks_repo = tmp_path / "hooks"
    hooks_repo.mkdir()
    shutil.copy(HOOKS, hooks_repo / ".pre-commit-hooks.yaml")
    git(hooks_repo, "init", "-q")
    git(hooks_repo, "add", ".")
    git(hooks_repo, "commit", "-q", "-m", "hooks")
    rev = git(hooks_repo, "rev-parse", "HEAD").strip()
    (block,) = yaml_blocks(CI_DOC, "pre-commit")
    config = yaml.safe_load(block)
    config["repos"][0] |= {"repo": str(hooks_repo), "rev": rev}
    (ruleset_repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config))
    git(ruleset_repo, "add", ".")
    home = tmp_path / "home"
    done = pre_commit(["validate-config"], ruleset_repo, bin_dir, home)
    assert done.returncode == 0, done.stdout + done.stderr
    done = pre_commit(["run", "--all-files"], ruleset_repo, bin_dir, home)
    assert done.returncode == 0, done.stdout + done.stderr
    for name in ("lint", "test", "validate"):
        assert re.search(rf"dualrel {name}\.+Passed", done.stdout), done.stdout
    registry = ruleset_repo / "registry" / "practice.json"
    data = json.loads(registry.read_text(encoding="utf-8"))
    data["ties"][0]["kind"] = "acquaintance"
    registry.write_text(json.dumps(data, indent=1), encoding="utf-8")
    git(ruleset_repo, "add", ".")
    done = pre_commit(["run", "dualrel-validate", "--all-files"], ruleset_repo, bin_dir, home)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "registry/practice.json:" in done.stdout and "unknown-kind" in done.stdout


def test_the_diff_hook_shows_what_a_ruleset_change_does(
    ruleset_repo: Path, bin_dir: Path, tmp_path: Path
) -> None:
    """docs/policy-testing.md's dualrel-diff config, run by pre-commit on a ruleset change
    against a copy of this repository's hooks at a commit."""
    hooks_repo = tmp_path / "hooks"
    hooks_repo.mkdir()
    shutil.copy(HOOKS, hooks_repo / ".pre-commit-hooks.yaml")
    git(hooks_repo, "init", "-q")
    git(hooks_repo, "add", ".")
    git(hooks_repo, "commit", "-q", "-m", "hooks")
    rev = git(hooks_repo, "rev-parse", "HEAD").strip()
    git(ruleset_repo, "commit", "-q", "-m", "the policy in force")
    config = yaml.safe_load(documented_file(".pre-commit-config.yaml"))
    (repo,) = config["repos"]
    repo |= {"repo": str(hooks_repo), "rev": rev}
    (hook,) = repo["hooks"]
    # the documented args name the committee's files; this repository keeps them in folders
    hook["args"] = ["rulesets/our-practice.yaml", "registry/practice.json", *hook["args"][2:]]
    (ruleset_repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config))
    ruleset = ruleset_repo / "rulesets" / "our-practice.yaml"
    ruleset.write_text(ruleset.read_text(encoding="utf-8").replace("level: 2", "level: 3", 1))
    git(ruleset_repo, "add", ".")
    done = pre_commit(["run", "dualrel-diff", "--all-files"], ruleset_repo, bin_dir, tmp_path)
    # it shows the change and never stops the commit
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"dualrel diff.*\.+Passed", done.stdout), done.stdout
    assert "level: 2 -> 3" in done.stdout, done.stdout
