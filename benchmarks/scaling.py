"""Per-tie time and memory of ``run.py`` results at several registry sizes, and where one
machine's memory runs out.

    python benchmarks/scaling.py benchmarks/results/run-1000000-*.json \\
        benchmarks/results/run-3000000-*.json benchmarks/results/run-10000000-*.json

For each results file (one registry size each) it prints dualrel's (``--jobs 1``) wall
seconds and peak MB, per tie and as a ratio to the smallest registry given, stage by stage;
then a straight line fitted (least squares) to peak MB against ties, and the number of
ties (and people, at the files' ties per person) at which that line reaches a memory size
(``--memory-gib``, default 24).  Where the results carry each stage's CPU seconds
(``--stage-memory`` runs), CPU per tie is compared too.  With ``--json`` the same as one
JSON object.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

STAGES = ("read_validate", "index", "evaluate", "findings", "result", "report")


def _row(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text(encoding="utf-8"))
    (row,) = data["rows"]
    run = row["results"]["dualrel"]
    memory = run.get("stage_memory", {}).get("stages", {})
    return {
        "file": path.name,
        "people": row["people"],
        "ties": row["ties"],
        "findings": row["findings"],
        "wall_s": run["wall_s"],
        "peak_mb": run["peak_mb"],
        "duckdb_s": row["results"]["duckdb"]["wall_s"],
        "stages_s": {s: run["stages"].get(s, 0.0) for s in STAGES},
        "stage_peak_mb": {s: memory[s]["peak_mb"] for s in STAGES if s in memory},
        # CPU seconds by stage (stage_memory.py's results since it records them)
        "stage_cpu_s": {s: memory[s]["cpu_s"] for s in STAGES if "cpu_s" in memory.get(s, {})},
    }


def fit(xs: list[float], ys: list[float]) -> tuple[float, float]:
    """Intercept and slope of the least-squares line through the points."""
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx
    return my - slope * mx, slope


def summary(paths: list[Path], memory_gib: float) -> dict[str, Any]:
    rows = sorted((_row(p) for p in paths), key=lambda r: r["ties"])
    base = rows[0]
    for r in rows:
        r["us_per_tie"] = round(r["wall_s"] / r["ties"] * 1e6, 3)
        r["us_per_tie_to_smallest"] = round(r["us_per_tie"] / base["us_per_tie"], 3)
        r["to_duckdb"] = round(r["wall_s"] / r["duckdb_s"], 3)
        r["peak_bytes_per_tie"] = round(r["peak_mb"] * 2**20 / r["ties"], 1)
        r["stage_us_per_tie"] = {s: round(v / r["ties"] * 1e6, 3) for s, v in r["stages_s"].items()}
        r["stage_per_tie_to_smallest"] = {
            s: round(v / max(base["stage_us_per_tie"][s], 1e-9), 3)
            for s, v in r["stage_us_per_tie"].items()
        }
        if r["stage_cpu_s"] and base["stage_cpu_s"]:
            r["stage_cpu_per_tie_to_smallest"] = {
                s: round(v / r["ties"] / max(base["stage_cpu_s"][s] / base["ties"], 1e-12), 3)
                for s, v in r["stage_cpu_s"].items()
                if s in base["stage_cpu_s"]
            }
            cpu, cpu0 = sum(r["stage_cpu_s"].values()), sum(base["stage_cpu_s"].values())
            r["cpu_per_tie_to_smallest"] = round(cpu / r["ties"] / (cpu0 / base["ties"]), 3)
    out: dict[str, Any] = {"rows": rows}
    if len(rows) > 1:
        a, b = fit([r["ties"] for r in rows], [r["peak_mb"] for r in rows])
        limit = memory_gib * 1024
        ties = (limit - a) / b
        per_person = rows[-1]["ties"] / rows[-1]["people"]
        out["peak_fit"] = {
            "intercept_mb": round(a, 1),
            "mb_per_million_ties": round(b * 1e6, 1),
            "memory_gib": memory_gib,
            "ties_at_memory": round(ties),
            "people_at_memory": round(ties / per_person),
        }
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("results", nargs="+", type=Path)
    ap.add_argument("--memory-gib", type=float, default=24.0)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    out = summary(args.results, args.memory_gib)
    if args.json:
        print(json.dumps(out, indent=2))
        return
    for r in out["rows"]:
        print(
            f"{r['people']:>9} people {r['ties']:>9} ties: {r['wall_s']:8.1f} s "
            f"({r['us_per_tie']:.2f} us/tie, x{r['us_per_tie_to_smallest']:.2f}; "
            f"x{r['to_duckdb']:.2f} duckdb), peak {r['peak_mb']:.0f} MB "
            f"({r['peak_bytes_per_tie']:.0f} B/tie)"
        )
        print(
            "    per tie vs smallest: "
            + ", ".join(f"{s} x{v:.2f}" for s, v in r["stage_per_tie_to_smallest"].items())
        )
        if "stage_cpu_per_tie_to_smallest" in r:
            print(
                f"    CPU per tie vs smallest x{r['cpu_per_tie_to_smallest']:.2f}: "
                + ", ".join(f"{s} x{v:.2f}" for s, v in r["stage_cpu_per_tie_to_smallest"].items())
            )
        if r["stage_peak_mb"]:
            print(
                "    stage peaks MB: "
                + ", ".join(f"{s} {v:.0f}" for s, v in r["stage_peak_mb"].items())
            )
    if "peak_fit" in out:
        f = out["peak_fit"]
        print(
            f"peak = {f['intercept_mb']:.0f} MB + {f['mb_per_million_ties']:.0f} MB per million "
            f"ties: {f['memory_gib']:g} GiB at {f['ties_at_memory']:,} ties "
            f"(~{f['people_at_memory']:,} people)"
        )


if __name__ == "__main__":
    main()
