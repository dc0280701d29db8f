"""Process start-up: ``dualrel --version`` and a check of the bundled example, beside
``python -c pass``, for one or more source trees.

    python benchmarks/startup.py --tree before=/work/main/src --tree after=src [--runs 15]

Each round runs every command of every tree once, in turn (``PYTHONPATH`` set to the
tree), so that a busy machine slows them alike; the median of the rounds is reported,
with each command's ratio to ``python -c pass`` and each tree's to the first.  The
check is ``python -m dualrel check EXAMPLE --format json -o /dev/null`` (exit 1: the
example has findings).  ``--importtime`` prints, per tree, the modules a command imports
that cost most (``python -X importtime``, self time).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path


def commands(example: str) -> dict[str, list[str]]:
    py = sys.executable
    return {
        "python -c pass": [py, "-c", "pass"],
        "dualrel --version": [py, "-m", "dualrel", "--version"],
        "dualrel check example": [
            *(py, "-m", "dualrel", "check", example),
            *("--format", "json", "-o", os.devnull),
        ],
    }


def timed(argv: list[str], tree: str) -> float:
    env = {**os.environ, "PYTHONPATH": tree}
    t0 = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, check=False)
    wall = time.perf_counter() - t0
    if done.returncode not in (0, 1):
        raise SystemExit(f"{argv} failed ({done.returncode}): {done.stderr.decode()[-2000:]}")
    return wall


def importtime(argv: list[str], tree: str, top: int = 12) -> list[tuple[int, str]]:
    env = {**os.environ, "PYTHONPATH": tree}
    err = subprocess.run(
        [argv[0], "-X", "importtime", *argv[1:]], env=env, capture_output=True, check=False
    ).stderr.decode()
    costs = []
    for line in err.splitlines():
        if line.startswith("import time:") and "self [us]" not in line:
            self_us, _, name = line[len("import time:") :].split("|")
            costs.append((int(self_us), name.strip()))
    return sorted(costs, reverse=True)[:top]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tree", action="append", required=True, metavar="NAME=PATH")
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--importtime", action="store_true")
    args = ap.parse_args()
    trees = {n: str(Path(p).resolve()) for n, p in (t.split("=", 1) for t in args.tree)}
    example = str(next(iter(trees.values())) + "/dualrel/examples/practice.json")
    cmds = commands(example)
    walls: dict[tuple[str, str], list[float]] = {(t, c): [] for t in trees for c in cmds}
    for _ in range(args.runs):
        for tree, path in trees.items():
            for name, argv in cmds.items():
                walls[tree, name].append(timed(argv, path))
    medians = {key: statistics.median(v) for key, v in walls.items()}
    first = next(iter(trees))
    print(f"median of {args.runs} rounds, trees and commands alternating")
    print(f"{'command':<24}{'tree':<10}{'median s':>10}{'/ pass':>9}{'/ ' + first:>12}")
    for name in cmds:
        for tree in trees:
            m = medians[tree, name]
            base = medians[tree, "python -c pass"]
            print(
                f"{name:<24}{tree:<10}{m:>10.3f}{m / base:>9.2f}{m / medians[first, name]:>12.2f}"
            )
    if args.importtime:
        for tree, path in trees.items():
            for name, argv in list(cmds.items())[1:]:
                print(f"\n{tree}: {name}: costliest imports (self ms)")
                for us, module in importtime(argv, path):
                    print(f"  {us / 1000:8.1f}  {module}")


if __name__ == "__main__":
    main()
