"""A plain, non-editable install from the wheel finds everything dualrel ships.

The editable install the tests run on reads rulesets and the example registry from the
source tree, so it cannot tell whether the wheel carries them.  This test builds the sdist
from a copy of the sources, then the wheel from the sdist alone (so the sdist holds
everything a build needs, the engine's C sources included), installs the wheel into a
fresh virtual environment with no C compiler reachable and runs the commands from a folder
outside the repository.  It never reaches the network: the builds use the setuptools of the
test environment (no build isolation), the wheel is installed with ``--no-deps
--no-index``, and the fresh environment borrows the already installed dependencies through
a ``.pth`` file that lists the test environment's ``sys.path`` (the dualrel found there is
left out, so only the wheel's can be imported).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import venv
import zipfile
from pathlib import Path

import pytest

import dualrel

ROOT = Path(__file__).resolve().parents[1]

#: What the build needs from the source tree (src/dualrel/rulesets links to rulesets/).
BUILD_INPUTS = (
    "pyproject.toml",
    "setup.py",
    "MANIFEST.in",
    "README.md",
    "CHANGELOG.md",
    "LICENSE",
    "src",
    "csrc",
    "rulesets",
    "examples",
)


def _copy_sources(dest: Path) -> Path:
    dest.mkdir()
    # an engine built in place for the editable install must not reach the build
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "*.so", "*.pyd")
    for name in BUILD_INPUTS:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, symlinks=True, ignore=ignore)
        else:
            shutil.copy2(src, dest / name)
    return dest


def _run_quietly(args: list[str], cwd: Path | None = None) -> None:
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, (args, done.stdout[-3000:], done.stderr[-3000:])


def _build_sdist(tmp_path: Path) -> Path:
    """The sdist, made by the build backend pyproject.toml names, as ``python -m build``
    would call it without isolation."""
    sources = _copy_sources(tmp_path / "sources")
    out = tmp_path / "sdist"
    out.mkdir()
    _run_quietly(
        [
            sys.executable,
            "-c",
            "import sys; from setuptools import build_meta; build_meta.build_sdist(sys.argv[1])",
            str(out),
        ],
        cwd=sources,
    )
    (sdist,) = out.glob("dualrel-*.tar.gz")
    return sdist


def _build_wheel_from(sdist: Path, tmp_path: Path) -> Path:
    out = tmp_path / "wheels"
    _run_quietly(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(sdist),
            "--no-deps",
            "--no-index",
            "--no-build-isolation",
            "--quiet",
            "-w",
            str(out),
        ]
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


def _fresh_env_with(wheel: Path, where: Path, env: dict[str, str]) -> tuple[Path, Path]:
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
        env=env,
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


def _without_a_compiler(bindir: Path) -> dict[str, str]:
    """The environment of a machine with no C compiler: ``CC`` fails and ``PATH`` holds
    only the fresh environment's scripts."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "DUALREL_PSEUDONYM_KEY")
    }
    env.update(PATH=str(bindir), CC="false", CXX="false", NO_COLOR="1")
    reachable = [cc for cc in ("cc", "gcc", "clang", "cl") if shutil.which(cc, path=env["PATH"])]
    assert not reachable, reachable
    return env


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The sdist, and the wheel built from it alone."""
    where = tmp_path_factory.mktemp("build")
    sdist = _build_sdist(where)
    return sdist, _build_wheel_from(sdist, where)


@pytest.mark.large
def test_the_sdist_holds_the_engine_sources_and_the_licences(built: tuple[Path, Path]) -> None:
    sdist, _ = built
    top = sdist.name.removesuffix(".tar.gz")
    with tarfile.open(sdist) as archive:
        members = {name.removeprefix(f"{top}/") for name in archive.getnames()}
    wanted = {
        path.relative_to(ROOT).as_posix() for path in (ROOT / "csrc").rglob("*") if path.is_file()
    }
    wanted |= {"setup.py", "pyproject.toml", "LICENSE", "CHANGELOG.md", "README.md"}
    assert wanted <= members, sorted(wanted - members)
    assert not [name for name in members if name.endswith((".so", ".pyd", ".o"))]


@pytest.mark.large
def test_the_wheel_carries_the_extensions_and_both_licences(built: tuple[Path, Path]) -> None:
    _, wheel = built
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        info = next(name.split("/")[0] for name in names if name.endswith(".dist-info/METADATA"))
        metadata = archive.read(f"{info}/METADATA").decode()
        licence = archive.read(f"{info}/licenses/LICENSE").decode()
        engine_licence = archive.read(f"{info}/licenses/csrc/durable/LICENSE").decode()
    assert [name for name in names if name.startswith("dualrel/_rete.")], names
    for extension in ("dualrel/_findtext", "dualrel/graph/_jscan", "dualrel/scale/_members"):
        assert [n for n in names if n.startswith(f"{extension}.") and n.endswith((".so", ".pyd"))]
        assert f"{extension}.pyi" in names
    assert "License-Expression: MIT" in metadata
    assert "License-File: LICENSE" in metadata
    assert "dualrel contributors" in licence
    assert "Copyright (c) 2013 Jesus Ruiz" in licence
    assert "Copyright (c) 2013 Jesus Ruiz" in engine_licence


@pytest.mark.large
def test_the_wheel_carries_the_register_s_migrations_and_template(built: tuple[Path, Path]) -> None:
    _, wheel = built
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = next(
            archive.read(n).decode() for n in names if n.endswith(".dist-info/METADATA")
        )
    revisions = sorted((ROOT / "src/dualrel/register/_migrations/versions").glob("r*.py"))
    assert revisions
    wanted = {f"dualrel/register/_migrations/versions/{path.name}" for path in revisions} | {
        "dualrel/report/templates/register.html.j2"
    }
    assert wanted <= names, sorted(wanted - names)
    assert "Requires-Dist: SQLAlchemy>=2.0" in metadata
    assert "Provides-Extra: postgresql" in metadata


@pytest.mark.large
def test_an_installed_wheel_finds_the_shipped_rulesets_and_the_example(
    built: tuple[Path, Path], tmp_path: Path
) -> None:
    _, wheel = built
    with zipfile.ZipFile(wheel) as archive:
        shipped = set(archive.namelist())
    missing = [
        f"dualrel/{top}/{path.relative_to(ROOT / top).as_posix()}"
        for top, pattern in (("rulesets", "*.yaml"), ("examples", "*"))
        for path in sorted((ROOT / top).rglob(pattern))
        if path.is_file() and "__pycache__" not in path.parts
    ]
    templates = ROOT / "src" / "dualrel" / "report" / "templates"
    missing += [f"dualrel/report/templates/{path.name}" for path in sorted(templates.iterdir())]
    missing = [name for name in missing if name not in shipped]
    assert not missing, f"the wheel lacks {missing}"

    where = tmp_path / "env"
    bindir = where / ("Scripts" if os.name == "nt" else "bin")
    env = _without_a_compiler(bindir)
    python, site = _fresh_env_with(wheel, where, env)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

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
