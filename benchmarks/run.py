"""The performance benchmark: dualrel against the baselines a user would otherwise pick.

    python benchmarks/run.py --people 100000 [--people 1000000] [--seed 1]

For each size it generates (once, cached under benchmarks/data/) a seeded synthetic registry
with planted coaching-core situations and decoys, then runs, each in its own process so that
wall time and peak RSS are its own:

* ``dualrel``: the library path of ``dualrel check`` with a per-stage breakdown (read and
  validate, compile, evaluate, report);
* ``networkx``: the hand-written NetworkX script (baselines/networkx_scan.py);
* ``duckdb``: DuckDB SQL straight from the CSV files (baselines/duckdb_sql.py);
* ``monitor``: ``Monitor.add_tie`` latency (p50, p99) over 1,000 random ties.

All three must report identical findings (rule, subjects, evidence), or the run fails.  A
table is printed and written as JSON to benchmarks/results/.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
AS_OF = "2026-11-26"
sys.path.insert(0, str(HERE))


def dataset(n: int, seed: int) -> Path:
    folder = HERE / "data" / f"n{n}-s{seed}-planted" / "csv"
    if not (folder / "ties.csv").exists():
        from generate import generate, write_csv
        from planting import plant

        people, ties = generate(n, seed)
        write_csv(str(folder), people, ties + plant(people, ties, seed))
    return folder


def run_child(argv: list[str]) -> tuple[float, float, str, str]:
    """Run ``argv``; its wall seconds, peak RSS in MB, stdout and stderr."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if proc.returncode != 0:
        raise SystemExit(f"{argv[:3]} failed ({proc.returncode}):\n{stderr[-3000:]}")
    return wall, usage.ru_maxrss / 1024, stdout, stderr


# -- children -------------------------------------------------------------------------------


def child_dualrel(folder: str) -> None:
    from datetime import date

    t0 = time.perf_counter()
    from dualrel.graph import load_registry
    from dualrel.rules import compile_ruleset, evaluate, load_ruleset

    t1 = time.perf_counter()
    registry = load_registry(folder)
    t2 = time.perf_counter()
    compiled = compile_ruleset(load_ruleset("coaching-core"))
    t3 = time.perf_counter()
    report = evaluate(registry, compiled, as_of=date.fromisoformat(AS_OF))
    t4 = time.perf_counter()
    lines = sorted(json.dumps([f.rule, dict(sorted(f.subjects.items())), list(f.evidence)])
                   for f in report.findings)
    print("\n".join(lines))
    t5 = time.perf_counter()
    stages = {"import": t1 - t0, "read_validate": t2 - t1, "compile": t3 - t2,
              "evaluate": t4 - t3, "report": t5 - t4}
    print(json.dumps(stages), file=sys.stderr)


def child_monitor(folder: str) -> None:
    from datetime import date

    from dualrel.graph import load_registry
    from dualrel.graph.model import Tie
    from dualrel.rules import Monitor

    registry = load_registry(folder)
    t0 = time.perf_counter()
    monitor = Monitor("coaching-core", registry, as_of=date.fromisoformat(AS_OF))
    build = time.perf_counter() - t0
    rng = random.Random(0)
    coaches = [p.id for p in registry.people if "coach" in p.roles]
    clients = [p.id for p in registry.people if "client" in p.roles]
    times = []
    for i in range(1_000):
        kind = rng.choice(["coaching", "romance", "business", "family", "friendship"])
        tie = Tie(f"bench{i}", kind, rng.choice(coaches), rng.choice(clients))
        t = time.perf_counter_ns()
        monitor.add_tie(tie)
        times.append((time.perf_counter_ns() - t) / 1e6)
    times.sort()
    print(json.dumps({"build_s": build, "p50_ms": times[len(times) // 2],
                      "p99_ms": times[int(len(times) * 0.99)], "max_ms": times[-1]}))


# -- parent ---------------------------------------------------------------------------------


def findings(stdout: str) -> set[str]:
    return {line for line in stdout.splitlines() if line.strip()}


def bench(n: int, seed: int) -> dict[str, object]:
    folder = str(dataset(n, seed))
    py = sys.executable
    results: dict[str, dict[str, object]] = {}
    outputs: dict[str, set[str]] = {}
    for name, argv in (
        ("duckdb", [py, str(HERE / "baselines" / "duckdb_sql.py"), folder, AS_OF]),
        ("networkx", [py, str(HERE / "baselines" / "networkx_scan.py"), folder, AS_OF]),
        ("dualrel", [py, __file__, "--child", "dualrel", folder]),
    ):
        wall, rss, out, err = run_child(argv)
        outputs[name] = findings(out)
        results[name] = {"wall_s": round(wall, 3), "peak_mb": round(rss, 1),
                         "stages": json.loads(err.strip().splitlines()[-1])}
    reference = outputs["duckdb"]
    for name, got in outputs.items():
        if got != reference:
            raise SystemExit(
                f"FINDINGS DIFFER: {name} has {len(got - reference)} extra and "
                f"{len(reference - got)} missing against duckdb, e.g. "
                f"{sorted(got ^ reference)[:3]}"
            )
    wall, rss, out, _ = run_child([py, __file__, "--child", "monitor", folder])
    results["monitor"] = {"wall_s": round(wall, 3), "peak_mb": round(rss, 1), **json.loads(out)}
    d = results["dualrel"]["wall_s"]
    return {
        "people": n,
        "ties": sum(1 for _ in open(Path(folder) / "ties.csv")) - 1,
        "findings": len(reference),
        "results": results,
        "ratio_to_networkx": round(float(d) / float(results["networkx"]["wall_s"]), 3),
        "ratio_to_duckdb": round(float(d) / float(results["duckdb"]["wall_s"]), 3),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--people", type=int, action="append")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--child", nargs=2, metavar=("MODE", "FOLDER"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        {"dualrel": child_dualrel, "monitor": child_monitor}[args.child[0]](args.child[1])
        return
    rows = [bench(n, args.seed) for n in (args.people or [100_000])]
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    print(f"machine: {machine}")
    print(f"{'people':>9} {'ties':>9} {'tool':>9} {'wall s':>8} {'peak MB':>8}  notes")
    for row in rows:
        for tool, r in row["results"].items():  # type: ignore[union-attr]
            note = ""
            if tool == "dualrel":
                note = (f"x{row['ratio_to_networkx']} networkx, x{row['ratio_to_duckdb']} duckdb; "
                        + ", ".join(f"{k} {v:.2f}" for k, v in r["stages"].items()))
            if tool == "monitor":
                note = f"add_tie p50 {r['p50_ms']:.3f} ms, p99 {r['p99_ms']:.3f} ms"
            print(f"{row['people']:>9} {row['ties']:>9} {tool:>9} {r['wall_s']:>8.2f} "
                  f"{r['peak_mb']:>8.0f}  {note}")
    out = HERE / "results" / f"run-{'-'.join(str(r['people']) for r in rows)}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"machine": machine, "as_of": AS_OF, "rows": rows}, indent=2) + "\n")
    print(f"written: {out.relative_to(HERE.parent)}")


if __name__ == "__main__":
    main()
