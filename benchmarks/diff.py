"""What ``dualrel diff`` costs beside one ``dualrel check`` of the same registry.

    python benchmarks/diff.py REGISTRY [--old coaching-core] [--new icf-2020] [--repeat 3]

Issue 22's target: on the 100k benchmark registry a diff costs at most 2.2 times one check
(its two evaluations share one load).  Each repeat runs, in its own process and in turn,
``check --old``, ``diff --old --new --no-semantic`` (the impact alone) and ``diff`` with its
default semantic search, and the best of the repeats is compared with the check's.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import run_child  # the benchmark's own process runner


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("registry")
    ap.add_argument("--old", default="coaching-core")
    ap.add_argument("--new", default="icf-2020")
    ap.add_argument("--as-of", default="2026-11-26")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    dualrel = [sys.executable, "-m", "dualrel"]
    runs = {
        "check": [*dualrel, "check", args.registry, "-r", args.old, "--as-of", args.as_of,
                  "-f", "json", "-o", "/dev/null"],
        "diff --no-semantic": [*dualrel, "diff", args.old, args.new, args.registry,
                               "--as-of", args.as_of, "--no-semantic", "-f", "json"],
        "diff": [*dualrel, "diff", args.old, args.new, args.registry, "--as-of", args.as_of,
                 "-f", "json"],
    }  # fmt: skip
    best: dict[str, tuple[float, float]] = {}
    for _ in range(args.repeat):
        for name, argv in runs.items():
            wall, peak, _, _ = run_child(argv, ok=(0, 1))
            old = best.get(name)
            best[name] = (min(wall, old[0]), max(peak, old[1])) if old else (wall, peak)
    base = best["check"][0]
    print(f"registry: {args.registry}  old: {args.old}  new: {args.new}  best of {args.repeat}")
    print(f"{'run':<22}{'wall s':>9}{'peak MB':>10}{'/ check':>9}")
    for name, (wall, peak) in best.items():
        print(f"{name:<22}{wall:>9.2f}{peak:>10.0f}{wall / base:>9.2f}")


if __name__ == "__main__":
    main()
