"""``Monitor`` at scale: start-up and ``add_tie`` latency, two source trees side by side.

    python benchmarks/monitor.py REGISTRY --tree before=/work/main/src --tree after=src [--repeat 3]

Each repeat runs every tree in turn, each in its own process (``PYTHONPATH`` set to the
tree): load the registry, build ``Monitor("coaching-core", registry)``, then add the 1,000
random ties of ``benchmarks/run.py``'s monitor child (the same seed, so the same ties),
timing each call by the clock on the wall and by the thread's CPU time (which a busy
machine's other processes do not inflate).  The machine may be shared, so the trees
alternate and what is compared is, per figure, the best of the repeats, as ratios to the
first tree.  For where the slow calls come from, every call also records whether the
cyclic garbage collector ran during it (``gc.callbacks``) and for how long.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

AS_OF = "2026-11-26"
TIES = 1_000


def child(folder: str) -> None:
    # imported here: the parent never loads dualrel, so each child imports its own tree
    import gc  # noqa: PLC0415
    import random  # noqa: PLC0415
    from datetime import date  # noqa: PLC0415

    from dualrel.graph import load_registry  # noqa: PLC0415
    from dualrel.graph.model import Tie  # noqa: PLC0415
    from dualrel.rules import Monitor  # noqa: PLC0415

    t0 = time.perf_counter()
    registry = load_registry(folder)
    load = time.perf_counter() - t0
    t0 = time.perf_counter()
    monitor = Monitor("coaching-core", registry, as_of=date.fromisoformat(AS_OF))
    build = time.perf_counter() - t0
    rng = random.Random(0)  # benchmarks/run.py's ties
    coaches = [p.id for p in registry.people if "coach" in p.roles]
    clients = [p.id for p in registry.people if "client" in p.roles]
    in_gc = [0.0, 0]  # seconds and collections inside the call being timed
    started = [0.0]

    def watch(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            in_gc[0] += time.perf_counter() - started[0]
            in_gc[1] += 1

    gc.callbacks.append(watch)
    calls: list[tuple[float, float, int, float]] = []  # (ms, ms in gc, collections, cpu ms)
    for i in range(TIES):
        kind = rng.choice(["coaching", "romance", "business", "family", "friendship"])
        tie = Tie(f"bench{i}", kind, rng.choice(coaches), rng.choice(clients))
        in_gc[0], in_gc[1] = 0.0, 0
        c, t = time.thread_time_ns(), time.perf_counter_ns()
        monitor.add_tie(tie)
        wall, cpu = time.perf_counter_ns() - t, time.thread_time_ns() - c
        calls.append((wall / 1e6, in_gc[0] * 1e3, in_gc[1], cpu / 1e6))
    gc.callbacks.remove(watch)
    times = sorted(c[0] for c in calls)
    cpu = sorted(c[3] for c in calls)
    slow = sorted(calls, reverse=True)[: TIES // 50]  # the slowest 2%
    print(
        json.dumps(
            {
                "load_s": load,
                "build_s": build,
                "p50_ms": times[len(times) // 2],
                "p90_ms": times[int(len(times) * 0.9)],
                "p99_ms": times[int(len(times) * 0.99)],
                "max_ms": times[-1],
                "cpu_p50_ms": cpu[len(cpu) // 2],
                "cpu_p99_ms": cpu[int(len(cpu) * 0.99)],
                "gc_calls": sum(1 for c in calls if c[2]),
                "gc_ms": sum(c[1] for c in calls),
                "slow_with_gc": sum(1 for c in slow if c[2]),
                "slow_gc_ms": sum(c[1] for c in slow),
                "slow_ms": sum(c[0] for c in slow),
            }
        )
    )


def run(tree: str, folder: str) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(Path(tree).resolve())}
    argv = [sys.executable, __file__, "--child", folder]
    out = subprocess.run(argv, env=env, check=True, capture_output=True, text=True).stdout
    return dict(json.loads(out))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("registry", nargs="?")
    ap.add_argument("--tree", action="append", default=[], metavar="NAME=PATH")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--child", metavar="REGISTRY")
    args = ap.parse_args()
    if args.child:
        child(args.child)
        return
    if not args.registry or not args.tree:
        ap.error("give a REGISTRY and at least one --tree NAME=PATH")
    trees = dict(t.split("=", 1) for t in args.tree)
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in trees}
    for _ in range(args.repeat):
        for name, path in trees.items():
            runs[name].append(run(path, args.registry))
    keys = ("load_s", "build_s", "p50_ms", "p90_ms", "p99_ms", "max_ms", "cpu_p50_ms", "cpu_p99_ms")
    best = {name: {k: min(r[k] for r in rs) for k in keys} for name, rs in runs.items()}
    first = next(iter(trees))
    print(f"registry: {args.registry}  best of {args.repeat}, trees alternating")
    print(f"{'tree':<10}" + "".join(f"{k.removesuffix('_ms'):>12}" for k in keys))
    for name, b in best.items():
        print(f"{name:<10}" + "".join(f"{b[k]:>12.3f}" for k in keys))
        if name != first:
            ratios = "".join(f"{b[k] / best[first][k]:>12.2f}" for k in keys)
            print(f"{'/ ' + first:<10}" + ratios)
    print(json.dumps(runs))


if __name__ == "__main__":
    main()
