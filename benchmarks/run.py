"""The performance benchmark: dualrel against the baselines a user would otherwise pick.

    python benchmarks/run.py --people 10000 --people 100000 --people 1000000 [--jobs 2] [--repeat N]
        [--input-format csv --input-format jsonl --input-format json]

For each size it generates (once, cached under benchmarks/data/) a seeded synthetic registry
with planted coaching-core situations and decoys, then runs, each in its own process so that
wall time and peak RSS are its own:

* ``dualrel``: the command itself, ``python -m dualrel check FOLDER --format json -o FILE
  --timings --jobs N`` (the CLI code path end to end: parse arguments, load rulesets, read
  and validate, compile, index, evaluate, findings, waivers/evidence, render and write the
  report), once with ``--jobs 1`` and once with ``--jobs N``; ``--timings`` gives the
  per-stage breakdown (a dotted key, ``compile.emit`` say, is a part of the stage before
  its dot: kept in the results, left out of sums and of the printed table);
* ``networkx``: the hand-written NetworkX script (baselines/networkx_scan.py);
* ``duckdb``: DuckDB SQL straight from the CSV files (baselines/duckdb_sql.py);
* ``monitor``: ``Monitor.add_tie`` latency (p50, p99) over 1,000 random ties;
* with ``--input-format jsonl`` or ``json`` (repeatable; CSV is always run): the same check
  (``--jobs 1``) of the same registry written as JSON Lines or one JSON document by
  ``dualrel.graph.dump_registry`` (converted once, cached under benchmarks/data/ beside the
  CSV folder), as ``dualrel-jsonl`` / ``dualrel-json``, with its time and peak as ratios to
  the CSV check's.  With ``--repeat`` the dualrel runs alternate between the formats.

The findings of every run (rule, subjects, evidence; read back from dualrel's JSON report)
must be identical, or the run stops with FINDINGS DIFFER.  A table is printed and written
as JSON to benchmarks/results/.
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
from typing import Any

HERE = Path(__file__).resolve().parent
AS_OF = "2026-11-26"
sys.path.insert(0, str(HERE))


DATA = HERE / "data"
SKIPPABLE = ("networkx", "monitor")


def dataset(n: int, seed: int, root: Path = DATA) -> Path:
    folder = root / f"n{n}-s{seed}-planted" / "csv"
    if not (folder / "ties.csv").exists():
        from generate import write_all  # noqa: PLC0415 (only when data is missing)

        write_all(str(folder.parent), n, seed, csv_only=True, planted=True)
    return folder


def converted_path(folder: Path, fmt: str) -> Path:
    """Where the registry of the CSV ``folder`` written as ``fmt`` is cached."""
    return folder.parent.parent / f"{folder.parent.name}-{fmt}" / f"registry.{fmt}"


def converted(folder: Path, fmt: str) -> Path:
    """The registry of the CSV ``folder`` written as ``fmt`` (jsonl, json), once."""
    target = converted_path(folder, fmt)
    if not target.exists():
        run_child([sys.executable, __file__, "--child", f"convert-{fmt}", str(folder)])
    return target


def run_child(argv: list[str], ok: tuple[int, ...] = (0,)) -> tuple[float, float, str, str]:
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
    if proc.returncode not in ok:
        raise SystemExit(f"{argv[:5]} failed ({proc.returncode}):\n{stderr[-3000:]}")
    return wall, usage.ru_maxrss / 1024, stdout, stderr


def report_findings(path: str) -> str:
    """The findings of a ``dualrel.report/1`` JSON file, one sorted line each.

    The findings are decoded one at a time and only their rule, subjects and evidence
    kept: at 10M people the report is 1.7 GB of JSON, several times that as one decoded
    document."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    decoder = json.JSONDecoder()
    at = text.index("[", text.index('"findings"'))  # the key comes before any finding
    lines = []
    while True:
        at = _skip(text, at + 1)
        if text[at] == "]":
            break
        f, at = decoder.raw_decode(text, at)
        lines.append(
            json.dumps([f["rule"], dict(sorted(f["subjects"].items())), list(f["evidence"])])
        )
        at = _skip(text, at)
        if text[at] == "]":
            break
    return "\n".join(sorted(lines))


def _skip(text: str, at: int) -> int:
    """The position of the first character from ``at`` on that is not JSON whitespace."""
    while text[at] in " \t\r\n":
        at += 1
    return at


# -- children -------------------------------------------------------------------------------


def child_monitor(folder: str) -> None:
    # imported here: the parent process never loads dualrel, so children start alike
    from datetime import date  # noqa: PLC0415

    from dualrel.graph import load_registry  # noqa: PLC0415
    from dualrel.graph.model import Tie  # noqa: PLC0415
    from dualrel.rules import Monitor  # noqa: PLC0415

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
    print(
        json.dumps(
            {
                "build_s": build,
                "p50_ms": times[len(times) // 2],
                "p99_ms": times[int(len(times) * 0.99)],
                "max_ms": times[-1],
            }
        )
    )


def child_convert(fmt: str, folder: str) -> None:
    from dualrel.graph import load_registry  # noqa: PLC0415
    from dualrel.graph.dump import dump_registry  # noqa: PLC0415

    # the path only: ``converted`` would start this child again, which would start another
    target = converted_path(Path(folder), fmt)
    target.parent.mkdir(parents=True, exist_ok=True)
    dump_registry(load_registry(folder), str(target), fmt)


# -- parent ---------------------------------------------------------------------------------


def findings(stdout: str) -> set[str]:
    return {line for line in stdout.splitlines() if line.strip()}


def _best(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The fastest of ``runs`` of one tool (every tool gets the same number of runs)."""
    best = min(runs, key=lambda r: float(r["wall_s"]))
    return {**best, "runs_wall_s": [r["wall_s"] for r in runs]}


def bench(  # noqa: PLR0917 (the command's options, passed on as they are)
    n: int,
    seed: int,
    jobs: int,
    repeat: int = 1,
    formats: tuple[str, ...] = ("csv",),
    root: Path = DATA,
    skip: tuple[str, ...] = (),
    stage_memory: bool = False,
) -> dict[str, Any]:
    folder = str(dataset(n, seed, root))
    py = sys.executable
    results: dict[str, dict[str, Any]] = {}
    outputs: dict[str, set[str]] = {}
    for name, argv in (
        ("duckdb", [py, str(HERE / "baselines" / "duckdb_sql.py"), folder, AS_OF]),
        ("networkx", [py, str(HERE / "baselines" / "networkx_scan.py"), folder, AS_OF]),
    ):
        if name in skip:
            continue
        runs = []
        for _ in range(repeat):
            wall, rss, out, err = run_child(argv)
            outputs[name] = findings(out)
            runs.append(
                {
                    "wall_s": round(wall, 3),
                    "peak_mb": round(rss, 1),
                    "stages": json.loads(err.strip().splitlines()[-1]),
                }
            )
        results[name] = _best(runs)
    # (name, registry, jobs): the dualrel runs, alternating within each repeat
    runs_of: list[tuple[str, str, int]] = [
        ("dualrel" if j == 1 else f"dualrel-j{j}", folder, j) for j in sorted({1, jobs})
    ]
    runs_of += [
        (f"dualrel-{fmt}", str(converted(Path(folder), fmt)), 1) for fmt in formats if fmt != "csv"
    ]
    dualrel_runs: dict[str, list[dict[str, Any]]] = {name: [] for name, _, _ in runs_of}
    for _ in range(repeat):
        for name, registry, j in runs_of:
            with tempfile.TemporaryDirectory() as tmp:
                report = os.path.join(tmp, "report.json")
                argv = [
                    py,
                    *(["-m", "dualrel"] if not stage_memory else [str(HERE / "stage_memory.py")]),
                    "check",
                    registry,
                    "--as-of",
                    AS_OF,
                    "--format",
                    "json",
                    "-o",
                    report,
                    "--timings",
                    "--jobs",
                    str(j),
                ]
                wall, rss, _, err = run_child(argv, ok=(0, 1))  # 1: findings at the fail level
                outputs[name] = findings(report_findings(report))
            objects = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
            memory = objects.pop() if stage_memory else None
            dualrel_runs[name].append(
                {
                    "wall_s": round(wall, 3),
                    "peak_mb": round(rss, 1),
                    "jobs": j,
                    "command": " ".join(["python", *argv[1:]]).replace(report, "REPORT"),
                    "stages": objects[-1],
                    **({"stage_memory": memory} if memory is not None else {}),
                }
            )
    for name, runs in dualrel_runs.items():
        results[name] = _best(runs)
    for fmt in formats:
        if fmt != "csv":
            r, csv_run = results[f"dualrel-{fmt}"], results["dualrel"]
            r["wall_to_csv"] = round(float(r["wall_s"]) / float(csv_run["wall_s"]), 3)
            r["peak_to_csv"] = round(float(r["peak_mb"]) / float(csv_run["peak_mb"]), 3)
    reference = outputs["duckdb"]
    for name, got in outputs.items():
        if got != reference:
            raise SystemExit(
                f"FINDINGS DIFFER: {name} has {len(got - reference)} extra and "
                f"{len(reference - got)} missing against duckdb, e.g. "
                f"{sorted(got ^ reference)[:3]}"
            )
    if "monitor" not in skip:
        wall, rss, out, _ = run_child([py, __file__, "--child", "monitor", folder])
        results["monitor"] = {
            "wall_s": round(wall, 3),
            "peak_mb": round(rss, 1),
            **json.loads(out),
        }
    with open(Path(folder) / "ties.csv", encoding="utf-8") as f:
        ties = sum(1 for _ in f) - 1
    best = min(
        (r for k, r in results.items() if k == "dualrel" or k.startswith("dualrel-j")),
        key=lambda r: float(r["wall_s"]),
    )
    d = float(best["wall_s"])
    row: dict[str, Any] = {
        "people": n,
        "ties": ties,
        "registry": folder,
        "skipped": list(skip),
        "findings": len(reference),
        "results": results,
        "best_dualrel_jobs": best["jobs"],
        "dualrel_us_per_tie": round(d / ties * 1e6, 3),
        "dualrel_peak_bytes_per_tie": round(float(best["peak_mb"]) * 2**20 / ties, 1),
        # the work that grows with the registry, without process start-up and imports
        "dualrel_stages_us_per_tie": round(sum(_stages(best).values()) / ties * 1e6, 3),
        "ratio_to_duckdb": round(d / float(results["duckdb"]["wall_s"]), 3),
    }
    if "networkx" in results:
        row["ratio_to_networkx"] = round(d / float(results["networkx"]["wall_s"]), 3)
    return row


def _stages(run: dict[str, Any]) -> dict[str, float]:
    """A run's stages without their parts (dotted keys, timed within their stage already)."""
    return {k: float(v) for k, v in run["stages"].items() if "." not in k}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--people", type=int, action="append")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--jobs",
        type=int,
        default=2,
        help="worker processes for the second dualrel run (default 2; the first always uses 1)",
    )
    ap.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="runs of every tool per size; "
        "the fastest of each is kept (its stages and peak with it)",
    )
    ap.add_argument(
        "--input-format",
        action="append",
        choices=("csv", "jsonl", "json"),
        help="registry formats checked (repeatable; csv always): the CSV registry converted",
    )
    ap.add_argument(
        "--data",
        type=Path,
        default=DATA,
        help="folder holding (or to generate) the n{people}-s{seed}-planted registries "
        "(default benchmarks/data; e.g. /tmp for a 10M registry)",
    )
    ap.add_argument(
        "--skip",
        action="append",
        choices=SKIPPABLE,
        default=[],
        help="leave a tool out (repeatable): networkx or monitor hold every tie as a "
        "Python object, more than memory allows at 10M people; duckdb and dualrel always run",
    )
    ap.add_argument(
        "--stage-memory",
        action="store_true",
        help="run dualrel through stage_memory.py: each stage's peak and final resident MB "
        "are kept in the results (a sampling thread; the command is otherwise the same)",
    )
    ap.add_argument("--child", nargs=2, metavar=("MODE", "FOLDER"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        mode, folder = args.child
        if mode.startswith("convert-"):
            child_convert(mode.removeprefix("convert-"), folder)
        else:
            {"monitor": child_monitor}[mode](folder)
        return
    formats = tuple(dict.fromkeys(["csv", *(args.input_format or [])]))
    skip = tuple(dict.fromkeys(args.skip))
    rows = [
        bench(n, args.seed, args.jobs, args.repeat, formats, args.data, skip, args.stage_memory)
        for n in (args.people or [100_000])
    ]
    machine = (
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
        f", {platform.platform()}"
    )
    print(f"machine: {machine}")
    print(f"{'people':>9} {'ties':>9} {'tool':>11} {'wall s':>8} {'peak MB':>8}  notes")
    for row in rows:
        res = row["results"]
        for tool, r in res.items():
            note = ""
            if "wall_to_csv" in r:
                note = f"x{r['wall_to_csv']:.2f} time, x{r['peak_to_csv']:.2f} peak of csv; " + (
                    ", ".join(f"{k} {v:.2f}" for k, v in _stages(r).items())
                )
            elif tool.startswith("dualrel"):
                versus = "".join(
                    f"x{r['wall_s'] / res[b]['wall_s']:.3f} {b}, "
                    for b in ("networkx",)
                    if b in res
                )
                note = (
                    versus
                    + f"x{r['wall_s'] / res['duckdb']['wall_s']:.2f} duckdb; "
                    + ", ".join(f"{k} {v:.2f}" for k, v in _stages(r).items())
                )
            if tool == "monitor":
                note = f"add_tie p50 {r['p50_ms']:.3f} ms, p99 {r['p99_ms']:.3f} ms"
            print(
                f"{row['people']:>9} {row['ties']:>9} {tool:>11} {r['wall_s']:>8.2f} "
                f"{r['peak_mb']:>8.0f}  {note}"
            )
    if len(rows) > 1:
        per_tie = [float(r["dualrel_us_per_tie"]) for r in rows]
        print(
            "dualrel us per tie, end to end: "
            + ", ".join(f"{p:.2f}" for p in per_tie)
            + f" (max/min {max(per_tie) / min(per_tie):.2f})"
        )
        staged = [float(r["dualrel_stages_us_per_tie"]) for r in rows]
        print(
            "dualrel us per tie, stages (no start-up): "
            + ", ".join(f"{p:.2f}" for p in staged)
            + f" (max/min {max(staged) / min(staged):.2f})"
        )
    name = "-".join([*(str(r["people"]) for r in rows), *formats[1:]])
    out = HERE / "results" / f"run-{name}.json"
    if out.exists():  # a tracked file of an earlier run is never overwritten
        out = out.with_name(f"run-{name}-{time.strftime('%Y%m%dT%H%M%S')}.json")
    out.parent.mkdir(exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "machine": machine,
                "as_of": AS_OF,
                "command": " ".join(["python", *sys.argv]),
                "rows": rows,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"written: {out.relative_to(HERE.parent)}")


if __name__ == "__main__":
    main()
