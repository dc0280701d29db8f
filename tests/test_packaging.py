"""A plain, non-editable install from the wheel finds everything dualrel ships.

The editable install the tests run on reads rulesets and the example registry from the
source tree, so it cannot tell whether the wheel carries them.  This test builds the
wheel from a copy of the sources, installs it into a fresh virtual environment and runs
the commands from a folder outside the repository.  It never reaches the network: the
build uses the setuptools of the test environment (no build isolation), the wheel is
installed with ``--no-deps --no-index``, and the fresh environment borrows the already
installed dependencies through a ``.pth`` file that lists the test environment's
``sys.path`` (the dualrel found there is left out, so only the wheel's can be imported).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

import dualrel

ROOT = Path(__file__).resolve().parents[1]

#: What the build needs from the source tree (src/dualrel/rulesets links to rulesets/).
BUILD_INPUTS = ("pyproject.toml", "README.md", "src", "rulesets", "examples")


def _copy_sources(dest: Path) -> Path:
    dest.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for name in BUILD_INPUTS:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, symlinks=True, ignore=ignore)
        else:
            shutil.copy2(src, dest / name)
    for extra in ROOT.glob("LICEN[CS]E*"):
        shutil.copy2(extra, dest / extra.name)
    return dest


def _build_wheel(tmp_path: Path) -> Path:
    sources = _copy_sources(tmp_path / "sources")
    out = tmp_path / "wheels"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(sources),
            "--no-deps",
            "--no-index",
            "--no-build-isolation",
            "--quiet",
            "-w",
            str(out),
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    (wheel,) = out.glob("dualrel-*.whl")
    return wheel


def _borrowed_paths() -> list[str]:
    """The test environment's import path, without any folder that holds dualrel."""
    paths = []
    for entry in sys.path:
        path = Path(entry).resolve() if entry else None
        if path is None or path == ROOT or not path.is_dir() or (path / "dualrel").exists():
            continue
        paths.append(str(path))
    return paths


def _fresh_env_with(wheel: Path, where: Path) -> tuple[Path, Path]:
    """A new environment holding only the wheel; its python and its site-packages."""
    venv.EnvBuilder(with_pip=False, symlinks=os.name != "nt").create(where)
    bindir = "Scripts" if os.name == "nt" else "bin"
    python = where / bindir / ("python.exe" if os.name == "nt" else "python")
    # install before the .pth exists, so pip never sees the editable dualrel
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--quiet",
            "--no-deps",
            "--no-index",
            "--no-compile",
            str(wheel),
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout.strip()
    (Path(purelib) / "_dualrel_test_borrowed.pth").write_text(
        "\n".join(_borrowed_paths()) + "\n", encoding="utf-8"
    )
    return python, Path(purelib).resolve()


@pytest.mark.large
def test_an_installed_wheel_finds_the_shipped_rulesets_and_the_example(tmp_path: Path) -> None:
    wheel = _build_wheel(tmp_path)
    with zipfile.ZipFile(wheel) as archive:
        shipped = set(archive.namelist())
    missing = [
        f"dualrel/{top}/{path.relative_to(ROOT / top).as_posix()}"
        for top, pattern in (("rulesets", "*.yaml"), ("examples", "*"))
        for path in sorted((ROOT / top).rglob(pattern))
        if path.is_file() and "__pycache__" not in path.parts
    ]
    missing = [name for name in missing if name not in shipped]
    assert not missing, f"the wheel lacks {missing}"

    python, site = _fresh_env_with(wheel, tmp_path / "env")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    bindir = python.parent
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "DUALREL_PSEUDONYM_KEY")
    }
    env["PATH"] = os.pathsep.join([str(bindir), env.get("PATH", "")])
    env["NO_COLOR"] = "1"

    def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*map(str, args)],
            cwd=elsewhere,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    probe = run(
        python,
        "-c",
        "import dualrel, json; print(json.dumps({"
        "'module': dualrel.__file__, 'example': str(dualrel.example_registry()), "
        "'rulesets': {k: str(v) for k, v in dualrel.shipped_rulesets().items()}}))",
    )
    assert probe.returncode == 0, probe.stderr
    found = json.loads(probe.stdout)
    assert Path(found["module"]).resolve().is_relative_to(site), found["module"]
    example = Path(found["example"])
    assert example.resolve().is_relative_to(site) and example.is_file(), example
    expected = {path.stem for path in (ROOT / "rulesets").glob("*.yaml")}
    assert set(found["rulesets"]) == expected
    for path in found["rulesets"].values():
        assert Path(path).resolve().is_relative_to(site) and Path(path).is_file(), path

    dualrel_cmd = bindir / ("dualrel.exe" if os.name == "nt" else "dualrel")
    check = run(dualrel_cmd, "check", example)
    assert check.returncode == 1, (check.stdout, check.stderr)  # the example's planted findings
    assert "coaching-core/" in check.stdout and "open finding(s)" in check.stdout

    listing = run(dualrel_cmd, "rulesets")
    assert listing.returncode == 0, listing.stderr
    assert all(name in listing.stdout for name in expected)

    cases = run(dualrel_cmd, "test")
    assert cases.returncode == 0, (cases.stdout[-2000:], cases.stderr)
    assert " 0 failed" in cases.stdout and f"{len(expected)} ruleset(s)" in cases.stdout

    version = run(python, "-m", "dualrel", "--version")
    assert version.returncode == 0, version.stderr
    assert version.stdout.strip() == f"dualrel {dualrel.__version__}"
