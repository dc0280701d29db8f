"""Build the C extensions outside setup.py: with sanitizers, or the engine from other sources.

``build_engine`` compiles every extension setup.py names (its list, read with
``run_setup``), the engine from ``csrc/durable`` or another copy of it (e.g. the
unpatched upstream sources), into ``<out>/dualrel/`` beside a copy of ``src/dualrel``,
so that ``PYTHONPATH=<out>`` imports dualrel with that build.  ``python
tests/rules/engine_build.py`` is ``./dev sanitize``: it builds with AddressSanitizer and
UndefinedBehaviorSanitizer and runs the C extensions' tests against that build.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CSRC = ROOT / "csrc" / "durable"
CORE = ("json", "rete", "state", "events", "regex")
#: the C extensions' tests, run by ``./dev sanitize``: the engine's, then our own
#: extensions' (the findings' text, a JSON document's scan: hostile text reaches it)
ENGINE_TESTS = (
    "tests/rules/test_engine_core.py",
    "tests/rules/test_durable_guards.py",
    "tests/rules/test_oracle_differential.py",
    "tests/test_findtext.py",
    "tests/graph/test_json_layouts.py",
)
SANITIZERS = ("-fsanitize=address,undefined", "-fno-sanitize-recover=undefined")
#: set in the environment of a sanitized run
SANITIZED = "DUALREL_SANITIZED"


def build_engine(out: Path, *, csrc: Path = CSRC, sanitize: bool = False) -> Path:
    """Compile setup.py's extensions into ``out/dualrel/`` beside a copy of the package,
    the engine from ``csrc``."""
    shutil.copytree(
        ROOT / "src" / "dualrel",
        out / "dualrel",
        ignore=shutil.ignore_patterns("*.so", "*.pyd", "__pycache__"),
    )
    flags = ["-O1", "-g", "-fno-omit-frame-pointer", *(SANITIZERS if sanitize else ())]
    suffix = sysconfig.get_config_var("EXT_SUFFIX")
    for ext in _extensions():
        if ext.name == "dualrel._rete":
            sources = [csrc / "rulespy" / "rules.c"] + [csrc / "rules" / f"{n}.c" for n in CORE]
            includes = [csrc / "rules"]
        else:
            sources = [ROOT / s for s in ext.sources]
            includes = [ROOT / d for d in ext.include_dirs]
        target = out.joinpath(*ext.name.split(".")).with_name(f"{ext.name.split('.')[-1]}{suffix}")
        subprocess.run(
            [
                os.environ.get("CC", "gcc"),
                "-shared",
                "-fPIC",
                *ext.extra_compile_args,
                "-w",
                *flags,
                f"-I{sysconfig.get_paths()['include']}",
                *(f"-I{d}" for d in includes),
                *map(str, sources),
                "-o",
                str(target),
            ],
            check=True,
            capture_output=True,
            timeout=600,
        )
    return out


def _extensions() -> list[Any]:
    """setup.py's ``ext_modules``: the one list of what is compiled, and how."""
    import setuptools  # noqa: F401, I001, PLC0415 (first: its distutils on every Python)
    from distutils.core import run_setup  # noqa: PLC0415

    cwd = os.getcwd()
    os.chdir(ROOT)  # setup.py names its sources from the repository's root
    try:
        return list(run_setup(str(ROOT / "setup.py"), stop_after="init").ext_modules)
    finally:
        os.chdir(cwd)


def sanitizer_env(pythonpath: Path) -> dict[str, str]:
    """The environment that runs Python with a sanitized engine: the ASan runtime must be
    loaded first, leaks are not reported (the interpreter's own are many), and any report
    ends the process with an error."""
    cc = os.environ.get("CC", "gcc")
    libasan = subprocess.run(
        [cc, "-print-file-name=libasan.so"], capture_output=True, text=True, check=True
    ).stdout.strip()
    return {
        **os.environ,
        "PYTHONPATH": str(pythonpath),
        SANITIZED: "1",
        "LD_PRELOAD": libasan,
        "ASAN_OPTIONS": "detect_leaks=0:abort_on_error=1",
        "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1",
    }


def sanitize(pytest_args: list[str]) -> int:
    """Build with ASan and UBSan into a temporary directory, run the engine's tests."""
    with tempfile.TemporaryDirectory(prefix="dualrel-sanitize-") as tmp:
        out = build_engine(Path(tmp), sanitize=True)
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
        command += ["-m", "not large", *ENGINE_TESTS, *pytest_args]
        return subprocess.run(command, cwd=ROOT, env=sanitizer_env(out), check=False).returncode


if __name__ == "__main__":
    sys.exit(sanitize(sys.argv[1:]))
