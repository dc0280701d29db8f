"""Two source trees of dualrel, one registry: same report, and each stage's time side by side.

    python benchmarks/compare.py --tree before=/path/to/old/src --tree after=src \\
        REGISTRY [-r RULESET]... [--repeat 5] [--jobs 1] [--as-of DATE]

For a change that must not alter behaviour (a reorganisation, a refactoring) or must not slow
a stage down.  Every repeat runs ``python -m dualrel check REGISTRY --format json --timings``
once per tree, each in its own process with ``PYTHONPATH`` set to that tree, the order of the
trees alternating between repeats so that neither always runs on a warmer machine.  The JSON
reports of every run must be byte-identical (else it stops with REPORTS DIFFER).  It prints,
per stage, the fastest of the repeats for each tree and the ratio of each tree to the first:
a ratio within a run is what to quote, not the seconds.  A stage one tree does not time
(a dotted part such as ``compile.emit``, in a tree from before it was timed) shows ``-``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import run_child  # the benchmark's own process runner


def _one(tree: Path, registry: str, extra: list[str]) -> tuple[float, float, dict[str, float], str]:
    """One check with ``tree`` on the path: wall s, peak MB, stages, report digest."""
    with tempfile.TemporaryDirectory() as tmp:
        report = os.path.join(tmp, "report.json")
        argv = [sys.executable, "-m", "dualrel", "check", registry, "--format", "json"]
        argv += ["-o", report, "--timings", *extra]
        env = os.environ.get("PYTHONPATH")
        os.environ["PYTHONPATH"] = str(tree)
        try:
            wall, rss, _, err = run_child(argv, ok=(0, 1))  # 1: findings at the fail level
        finally:
            if env is None:
                del os.environ["PYTHONPATH"]
            else:
                os.environ["PYTHONPATH"] = env
        digest = hashlib.sha256(Path(report).read_bytes()).hexdigest()
    stages = next(json.loads(line) for line in reversed(err.splitlines()) if line.startswith("{"))
    return wall, rss, stages, digest


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("registry")
    ap.add_argument("--tree", action="append", required=True, metavar="NAME=SRC")
    ap.add_argument("-r", "--ruleset", action="append", default=[])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--as-of")
    args = ap.parse_args()
    trees = [(name, Path(src).resolve()) for name, src in (t.split("=", 1) for t in args.tree)]
    extra = [x for r in args.ruleset for x in ("-r", r)] + ["--jobs", str(args.jobs)]
    if args.as_of:
        extra += ["--as-of", args.as_of]
    best: dict[str, dict[str, float]] = {name: {} for name, _ in trees}
    digests: set[str] = set()
    for i in range(args.repeat):
        order = trees if i % 2 == 0 else trees[::-1]
        for name, tree in order:
            wall, rss, stages, digest = _one(tree, args.registry, extra)
            digests.add(digest)
            if len(digests) > 1:
                raise SystemExit(f"REPORTS DIFFER: {name} (repeat {i + 1}) wrote another report")
            for stage, seconds in {**stages, "wall": wall, "peak_mb": rss}.items():
                kept = best[name].get(stage)
                best[name][stage] = seconds if kept is None else min(kept, seconds)
    first = trees[0][0]
    names = [name for name, _ in trees]
    print(f"registry: {args.registry}  rulesets: {args.ruleset or ['(default)']}")
    print(f"best of {args.repeat}, report sha256 {digests.pop()[:16]} (identical in every run)")
    stages: list[str] = []  # every tree's stages, each after the one it follows in its tree
    for n in names:
        at = 0
        for stage in best[n]:
            if stage not in stages:
                stages.insert(at, stage)
            at = stages.index(stage) + 1
    width = max(14, *(len(s) + 1 for s in stages))
    print(
        f"{'stage':{width}}"
        + "".join(f"{n:>12}" for n in names)
        + "".join(f"{n + '/' + first:>18}" for n in names[1:])
    )
    for stage in stages:
        row = [best[n].get(stage) for n in names]
        base = row[0]
        print(
            f"{stage:{width}}"
            + "".join("           -" if v is None else f"{v:12.3f}" for v in row)
            + "".join(
                "                 -"
                if v is None or base is None
                else f"{v / base if base else float('nan'):18.3f}"
                for v in row[1:]
            )
        )


if __name__ == "__main__":
    main()
