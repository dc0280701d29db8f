"""Load benchmark: dualrel's loaders beside a bare standard-library parse of the same files.

For each size and format, each measurement runs in a fresh subprocess (so peak memory is
its own, read from ``resource.getrusage``):

* ``bare``: the standard library alone: ``csv.reader`` over both CSV files (rows
  discarded: the strictest baseline), ``json.load`` of the document, ``json.loads`` of
  every JSON line; for CSV also ``bare_keep``: ``list(csv.reader(f))``, rows kept;
* ``load``: ``dualrel.graph.load_registry`` (read and validate everything);
* ``graph``: ``load_registry`` then ``build_graph``; the graph build is timed on its own.

Prints a table and writes ``benchmarks/results/load-<timestamp>.json``.

    python benchmarks/bench_load.py --people 10000 100000 1000000 --formats csv json jsonl
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402

PATHS = {"csv": "csv", "json": "registry.json", "jsonl": "registry.jsonl"}

# Each child prints one JSON line: {"seconds": ..., "graph_seconds": ..., "maxrss_kib": ...}
CHILD = r"""
import json, resource, sys, time
mode, fmt, path = sys.argv[1:4]
if mode != "bare":
    from dualrel.graph import build_graph, load_registry  # import time is not load time
t0 = time.perf_counter()
extra = {}
if mode == "bare_keep":  # csv only: the rows kept, as a program would use them
    import csv
    kept = []
    for name in ("people.csv", "ties.csv"):
        with open(f"{path}/{name}", encoding="utf-8", newline="") as f:
            kept.append(list(csv.reader(f)))
    seconds = time.perf_counter() - t0
elif mode == "bare":
    if fmt == "csv":
        import collections, csv
        for name in ("people.csv", "ties.csv"):
            with open(f"{path}/{name}", encoding="utf-8", newline="") as f:
                collections.deque(csv.reader(f), maxlen=0)
    elif fmt == "json":
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    else:
        with open(path, encoding="utf-8") as f:
            for line in f:
                json.loads(line)
    seconds = time.perf_counter() - t0
else:
    reg = load_registry(path)
    seconds = time.perf_counter() - t0
    extra["people"], extra["ties"] = len(reg.people), len(reg.ties)
    if mode == "graph":
        t1 = time.perf_counter()
        G = build_graph(reg)
        extra["graph_seconds"] = time.perf_counter() - t1
        extra["edges"] = G.number_of_edges()
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": seconds, "maxrss_kib": rss, **extra}))
"""


def measure(mode: str, fmt: str, path: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, mode, fmt, str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def ensure_data(n: int, seed: int, data: Path) -> Path:
    folder = data / f"n{n}-s{seed}"
    marker = folder / ".complete"
    if not marker.exists():
        t0 = time.perf_counter()
        print(f"generating {n} people (seed {seed}) in {folder} ...", file=sys.stderr)
        generate.write_all(str(folder), n, seed)
        marker.touch()
        print(f"  done in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return folder


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--people", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--formats", nargs="+", default=["csv", "json", "jsonl"], choices=PATHS)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=1, help="runs per measurement (best kept)")
    ap.add_argument("--data", type=Path, default=HERE / "data")
    ap.add_argument("--out", type=Path, default=HERE / "results")
    args = ap.parse_args()

    rows = []
    header = (
        f"{'people':>9} {'ties':>9} {'format':6} {'bare s':>8} {'keep s':>7} "
        f"{'load s':>8} {'ratio':>6} "
        f"{'load MiB':>9} {'graph s':>8} {'load+graph MiB':>15}"
    )
    print(header)
    for n in args.people:
        folder = ensure_data(n, args.seed, args.data)
        for fmt in args.formats:
            path = folder / PATHS[fmt]
            best: dict[str, dict[str, float]] = {}
            modes = (
                ("bare", "bare_keep", "load", "graph")
                if fmt == "csv"
                else ("bare", "load", "graph")
            )
            for mode in modes:
                runs = [measure(mode, fmt, path) for _ in range(args.repeat)]
                best[mode] = min(runs, key=lambda r: r["seconds"])
            bare, load, graph = best["bare"], best["load"], best["graph"]
            row = {
                "people": int(load["people"]),
                "ties": int(load["ties"]),
                "format": fmt,
                "bare_seconds": round(bare["seconds"], 3),
                "load_seconds": round(load["seconds"], 3),
                "ratio": round(load["seconds"] / bare["seconds"], 2),
                "bare_keep_seconds": round(best["bare_keep"]["seconds"], 3)
                if "bare_keep" in best
                else None,
                "ratio_to_bare_keep": (
                    round(load["seconds"] / best["bare_keep"]["seconds"], 2)
                    if "bare_keep" in best
                    else None
                ),
                "bare_peak_mib": round(bare["maxrss_kib"] / 1024, 1),
                "load_peak_mib": round(load["maxrss_kib"] / 1024, 1),
                "graph_seconds": round(graph["graph_seconds"], 3),
                "load_graph_seconds": round(graph["seconds"] + graph["graph_seconds"], 3),
                "load_graph_peak_mib": round(graph["maxrss_kib"] / 1024, 1),
            }
            rows.append(row)
            keep = row["bare_keep_seconds"]
            print(
                f"{row['people']:>9} {row['ties']:>9} {fmt:6} {row['bare_seconds']:>8.2f} "
                + (f"{keep:>7.2f} " if keep is not None else f"{'-':>7} ")
                + f"{row['load_seconds']:>8.2f} {row['ratio']:>6.2f} {row['load_peak_mib']:>9.0f} "
                f"{row['graph_seconds']:>8.2f} {row['load_graph_peak_mib']:>15.0f}",
                flush=True,
            )
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    result = {
        "benchmark": "load",
        "command": " ".join([os.path.basename(sys.executable), *sys.argv]),
        "python": platform.python_version(),
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count()},
        "seed": args.seed,
        "rows": rows,
    }
    target = args.out / f"load-{stamp}.json"
    tmp = target.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(result, indent=2) + "\n")
    os.replace(tmp, target)
    print(f"wrote {target}", file=sys.stderr)


if __name__ == "__main__":
    main()
