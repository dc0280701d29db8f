"""The findings, result and report stages of two source trees, alternating, in two processes.

    python benchmarks/output_stages.py --tree before=OLD/src --tree after=src REGISTRY \\
        [--as-of DATE] [--repeat 5]

One worker process per tree (``PYTHONPATH`` set to it) checks REGISTRY once as ``dualrel
check --format json -o FILE --jobs 1`` does, keeping what the stages before ``findings``
made: the registry read and narrowed, each ruleset's store and the engine's matches. Then
the parent has the workers, one at a time and in alternating order, run the check again
with those kept (so only ``findings`` and ``result`` do their work; reading, indexing and
evaluating are looked up; the sort of the findings counts in ``findings`` in either
tree) and write the JSON report to a file as the command line does
(``report``: the failing count, then the report streamed into the file). Each stage's best
of ``--repeat`` per tree, the three stages' sum, and each tree's ratio to the first; every
report must be byte-identical. On a shared machine the load moves by the second: the stages
alone, alternated a few seconds apart on the same matches, spread far less than whole
checks minutes apart (``compare.py``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

STAGES = ("findings", "result", "report")

# the worker: run as `python -c WORKER REGISTRY AS_OF REPORT` with a tree on the path; one
# line of JSON per "go" read from stdin
WORKER = r"""
import json, sys, time
from datetime import date
import dualrel.check as check
import dualrel.rules.engine as engine
from dualrel._internal.atomic import write_atomic_parts
from dualrel._internal.gc import gc_paused
from dualrel.report import render_parts

registry, as_of, out = sys.argv[1], date.fromisoformat(sys.argv[2]), sys.argv[3]
if sys.argv[4] == "cpu":  # every stopwatch counts this process's CPU seconds
    time.perf_counter = time.process_time
kept = {}

def keep(name, fn, key=lambda *a, **k: None):
    def kept_fn(*args, **kwargs):
        k = (name, key(*args, **kwargs))
        if k not in kept:
            kept[k] = fn(*args, **kwargs)
        return kept[k]
    return kept_fn

check.load_for_rules = keep("load", check.load_for_rules)
check.registry_for = keep("narrow", check.registry_for)
check.registry_sha256 = keep("sha", check.registry_sha256)
engine.build_store = keep("store", engine.build_store, lambda c, *a, **k: c.ruleset.id)
engine._evaluate_here = keep("matches", engine._evaluate_here, lambda s, *a: s.compiled.ruleset.id)

# the sort of the findings: timed in the findings stage by the tree when a lap follows it,
# added to it here when none does (the code before this benchmark left it in no stage)
sort = engine.sorted_findings
stages = {}
after_sort = []

def timed_sort(*args):
    t = time.perf_counter()
    out = sort(*args)
    after_sort.append((time.perf_counter() - t, stages.get("findings")))
    return out

engine.sorted_findings = timed_sort

def once():
    stages.clear()
    after_sort.clear()
    options = check.CheckOptions(as_of=as_of, timings=stages, timelines=True)
    result = check.check_for_exit(registry, ["coaching-core"], options)
    t = time.perf_counter()
    len(result.failing())
    with gc_paused():
        write_atomic_parts(out, render_parts(result, "json"))
    stages["report"] = time.perf_counter() - t
    (seconds, findings), = after_sort
    if stages["findings"] == findings:  # no lap after the sort
        stages["findings"] += seconds
    return stages

once()  # everything made once
print("ready", flush=True)
for line in sys.stdin:
    print(json.dumps(once()), flush=True)
"""


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("registry")
    ap.add_argument("--tree", action="append", required=True, metavar="NAME=SRC")
    ap.add_argument("--as-of", required=True)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument(
        "--clock",
        choices=("cpu", "wall"),
        default="cpu",
        help="cpu (default): the seconds of CPU each worker used, which waiting for a core "
        "on a loaded machine leaves out (and so does waiting for the disk); wall: elapsed",
    )
    args = ap.parse_args()
    trees = [(name, Path(src).resolve()) for name, src in (t.split("=", 1) for t in args.tree)]
    with tempfile.TemporaryDirectory() as tmp:
        workers = {}
        for name, tree in trees:
            env = {**os.environ, "PYTHONPATH": str(tree)}
            report = os.path.join(tmp, f"{name}.json")
            argv = [sys.executable, "-c", WORKER, args.registry, args.as_of, report, args.clock]
            workers[name] = (
                subprocess.Popen(
                    argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env
                ),
                report,
            )
        for name, (proc, _) in workers.items():  # they make everything at once, side by side
            assert proc.stdout is not None
            if proc.stdout.readline().strip() != "ready":
                raise SystemExit(f"{name}: the worker failed")
        best: dict[str, dict[str, float]] = {name: {} for name, _ in trees}
        digests: set[str] = set()
        for i in range(args.repeat):
            for name, _ in trees if i % 2 == 0 else trees[::-1]:
                proc, report = workers[name]
                assert proc.stdin is not None and proc.stdout is not None
                proc.stdin.write("go\n")
                proc.stdin.flush()
                stages = json.loads(proc.stdout.readline())
                digests.add(hashlib.sha256(Path(report).read_bytes()).hexdigest())
                if len(digests) > 1:
                    raise SystemExit(f"REPORTS DIFFER: {name} (repeat {i + 1})")
                stages["the three"] = sum(stages[s] for s in STAGES)
                for stage in (*STAGES, "the three"):
                    best[name][stage] = min(best[name].get(stage, float("inf")), stages[stage])
        for proc, _ in workers.values():
            assert proc.stdin is not None
            proc.stdin.close()
            proc.wait()
    first = trees[0][0]
    names = [name for name, _ in trees]
    print(f"registry: {args.registry}  as of {args.as_of}  clock: {args.clock}")
    print(f"best of {args.repeat}, report sha256 {digests.pop()[:16]} (identical in every run)")
    print(
        f"{'stage':12}"
        + "".join(f"{n:>12}" for n in names)
        + "".join(f"{n + '/' + first:>18}" for n in names[1:])
    )
    for stage in (*STAGES, "the three"):
        row = [best[n][stage] for n in names]
        print(
            f"{stage:12}"
            + "".join(f"{v:12.3f}" for v in row)
            + "".join(f"{v / row[0]:18.3f}" for v in row[1:])
        )


if __name__ == "__main__":
    main()
