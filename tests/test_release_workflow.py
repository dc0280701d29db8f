"""The release workflow is a valid GitHub Actions workflow, and builds wheels for exactly
the Pythons the package says it supports.

The workflow is not run here; check-jsonschema validates it offline against the GitHub
workflow schema it ships (``vendor.github-workflows``).
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / ".github" / "workflows" / "release.yml"


def test_the_release_workflow_is_a_valid_github_workflow() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.github-workflows",
            str(WORKFLOW),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_wheels_are_built_for_the_supported_pythons_and_tested() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    classified = {
        match.group(1).replace(".", "")
        for classifier in project["project"]["classifiers"]
        if (match := re.fullmatch(r"Programming Language :: Python :: (3\.\d+)", classifier))
    }
    cibw = project["tool"]["cibuildwheel"]
    built = set(re.findall(r"cp(3\d+)-\*", cibw["build"]))
    assert built == classified, (built, classified)
    minimum = re.fullmatch(r">=3\.(\d+)", project["project"]["requires-python"])
    assert minimum and min(int(v[1:]) for v in built) == int(minimum.group(1))
    assert "dualrel" in cibw["test-command"]
    assert "pypa/cibuildwheel@" in WORKFLOW.read_text(encoding="utf-8")
