"""Build the engine's C sources outside setup.py: with sanitizers, or from other sources.

``build_engine`` compiles ``csrc/durable`` (or another copy of it, e.g. the unpatched
upstream sources) into ``<out>/dualrel/_rete<suffix>`` beside a copy of ``src/dualrel``, so
that ``PYTHONPATH=<out>`` imports dualrel with that engine.  ``python
tests/rules/engine_build.py`` is ``./dev sanitize``: it builds with AddressSanitizer and
UndefinedBehaviorSanitizer and runs the engine's tests against that build.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CSRC = ROOT / "csrc" / "durable"
CORE = ("json", "rete", "state", "events", "regex")
#: the engine's tests, run by ``./dev sanitize``
ENGINE_TESTS = (
    "tests/rules/test_engine_core.py",
    "tests/rules/test_durable_guards.py",
    "tests/rules/test_oracle_differential.py",
)
SANITIZERS = ("-fsanitize=address,undefined", "-fno-sanitize-recover=undefined")
#: set in the environment of a sanitized run
SANITIZED = "DUALREL_SANITIZED"


def build_engine(out: Path, *, csrc: Path = CSRC, sanitize: bool = False) -> Path:
    """Compile ``csrc`` into ``out/dualrel/_rete<suffix>`` beside a copy of the package."""
    shutil.copytree(
        ROOT / "src" / "dualrel",
        out / "dualrel",
        ignore=shutil.ignore_patterns("*.so", "__pycache__"),
    )
    sources = [csrc / "rulespy" / "rules.c"] + [csrc / "rules" / f"{n}.c" for n in CORE]
    target = out / "dualrel" / f"_rete{sysconfig.get_config_var('EXT_SUFFIX')}"
    flags = ["-O1", "-g", "-fno-omit-frame-pointer", *(SANITIZERS if sanitize else ())]
    subprocess.run(
        [
            os.environ.get("CC", "gcc"),
            "-shared",
            "-fPIC",
            "-std=c99",
            "-D_GNU_SOURCE",
            "-Werror=implicit-function-declaration",
            "-w",
            *flags,
            f"-I{sysconfig.get_paths()['include']}",
            f"-I{csrc / 'rules'}",
            *map(str, sources),
            "-o",
            str(target),
        ],
        check=True,
        capture_output=True,
        timeout=600,
    )
    return out


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
