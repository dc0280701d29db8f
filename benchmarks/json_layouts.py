"""The check of one registry as a CSV folder and as JSON documents in several layouts.

    python benchmarks/json_layouts.py DUMP.json CSV_FOLDER [--out-dir DIR] [--repeat 2]
        [--tree NAME=SRC ...] [--layout NAME ...] [--as-of 2026-11-26]

``DUMP.json`` is the registry of ``CSV_FOLDER`` as ``dump_registry`` writes it (one record
a line).  The other layouts are written from it once, streamed, into ``--out-dir``:
``indent2`` (``json.dump(doc, f, indent=2)``: every field on a line of its own),
``oneline`` (the whole document on one line), ``crlf`` (the dump with CRLF line ends and
a byte order mark).  Then each tree (``--tree``, the first given the one the ratios are
of; default ``src``) runs ``python -m dualrel check REGISTRY --as-of DATE --format json -o
FILE --jobs 1 -q`` under ``/usr/bin/time -v`` on the CSV folder and on each layout,
alternating, ``--repeat`` times. Each run's wall and CPU seconds (user + system) and peak
resident memory; per format the best of the repeats and its ratios to the CSV check of the
same tree in the same run.  The findings of every run must be the same (rule, subjects,
evidence: ``run.report_findings``), and the reports of one layout the same byte for byte
in every tree (a tree reading it by records locates every finding as the columns do).
Results are written to ``benchmarks/results/json-layouts-<time>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import report_findings  # noqa: E402

LAYOUTS = ("dump", "indent2", "oneline", "crlf")


def _dump_records(dump: Path) -> Iterator[tuple[str, Any]]:
    """The dump's top-level values in order: ``(key, value)`` for a value, ``(section,
    record)`` for each record of an array (``(section, None)`` opens it).  The dump has
    a line for each top-level value, each record and each array's closing bracket."""
    with dump.open(encoding="utf-8") as f:
        section = None
        for n, line in enumerate(f):
            text = line.strip()[1 if n == 0 else 0 :]  # the document's "{"
            if section and text.startswith("{"):
                yield section, json.loads(text.rstrip(","))
                continue
            if text.startswith("]"):
                section = None
                continue
            key, rest = re.fullmatch(r'"(\w+)": (.*?),?', text).groups()  # type: ignore[union-attr]
            if rest.startswith("["):
                section = None if rest.startswith("[]") else key
                yield key, None
                continue
            try:
                yield key, json.loads(rest)
            except ValueError:  # the last value, and the document's "}"
                yield key, json.loads(rest[:-1])


def _write_crlf(dump: Path, out: TextIO) -> None:
    """The dump with a byte order mark and CRLF line ends."""
    out.write("\ufeff")
    with dump.open(encoding="utf-8", newline="") as f:
        for line in f:
            out.write(line.replace("\n", "\r\n"))


def write_layout(layout: str, dump: Path, target: Path) -> None:
    """``target`` written in ``layout`` from ``dump``, unless it is there."""
    if target.exists():
        return
    tmp = target.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8", newline="") as out:
        if layout == "crlf":
            _write_crlf(dump, out)
        else:
            _write_arrays(layout, dump, out)
    tmp.rename(target)


def _write_arrays(layout: str, dump: Path, out: TextIO) -> None:
    """``indent2``: as ``json.dump(doc, f, indent=2)`` writes it; ``oneline``: as
    ``json.dump(doc, f)``."""
    indent = layout == "indent2"
    nl = "\n" if indent else ""
    out.write("{")
    open_section: str | None = None
    count = 0
    wrote_key = False

    def close() -> None:
        if open_section is not None:
            out.write(f"{nl}  ]" if count and indent else "]")

    def key_of(key: str) -> None:
        nonlocal wrote_key
        out.write(("," if wrote_key else "") + ("\n  " if indent else " " if wrote_key else ""))
        out.write(f"{json.dumps(key)}: ")
        wrote_key = True

    for key, value in _dump_records(dump):
        if value is None:  # an array opens
            close()
            key_of(key)
            out.write("[")
            open_section, count = key, 0
        elif key == open_section:
            sep = "," if count else ""
            if indent:
                out.write(sep + "\n    " + json.dumps(value, indent=2).replace("\n", "\n    "))
            else:
                out.write(sep + (" " if count else "") + json.dumps(value))
            count += 1
        else:
            close()
            open_section = None
            key_of(key)
            out.write(json.dumps(value))
    close()
    out.write(f"{nl}}}")


_TIME = {
    "user": re.compile(r"User time \(seconds\): ([\d.]+)"),
    "sys": re.compile(r"System time \(seconds\): ([\d.]+)"),
    "peak_kb": re.compile(r"Maximum resident set size \(kbytes\): (\d+)"),
    "wall": re.compile(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)"),
}


def _seconds(clock: str) -> float:
    parts = [float(p) for p in clock.split(":")]
    return sum(p * 60**i for i, p in enumerate(reversed(parts)))


def run_check(src: str, registry: str, as_of: str, report: str) -> dict[str, float]:
    argv = ["/usr/bin/time", "-v", sys.executable, "-m", "dualrel", "check", registry,
            "--as-of", as_of, "--format", "json", "-o", report, "--jobs", "1", "-q"]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(Path(src).resolve())}
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    if proc.returncode not in (0, 1):  # 1: open findings
        raise SystemExit(f"{registry} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    got = {k: p.search(proc.stderr) for k, p in _TIME.items()}
    wall = got["wall"]
    assert wall is not None
    values = {k: float(m.group(1)) for k, m in got.items() if m is not None and k != "wall"}
    return {
        "wall_s": _seconds(wall.group(1)),
        "cpu_s": round(values["user"] + values["sys"], 2),
        "peak_mib": round(values["peak_kb"] / 1024, 1),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("dump", type=Path)
    p.add_argument("csv", type=Path)
    p.add_argument("--out-dir", type=Path, default=None)
    p.add_argument("--repeat", type=int, default=2)
    p.add_argument("--tree", action="append", default=None, help="NAME=SRC")
    p.add_argument("--layout", action="append", choices=LAYOUTS, default=None)
    p.add_argument("--as-of", default="2026-11-26")
    args = p.parse_args()
    out_dir = args.out_dir or args.dump.parent
    layouts = tuple(args.layout or LAYOUTS)
    registries = {"csv": str(args.csv)}
    for layout in layouts:
        target = args.dump if layout == "dump" else out_dir / f"{layout}.json"
        if layout != "dump":
            write_layout(layout, args.dump, target)
        registries[layout] = str(target)
    trees = dict(t.split("=", 1) for t in (args.tree or ["src=" + str(HERE.parent / "src")]))
    runs: dict[str, dict[str, list[dict[str, float]]]] = {
        t: {f: [] for f in registries} for t in trees
    }
    findings: dict[str, str] = {}
    reports: dict[str, bytes] = {}
    load = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeat):
            for tree, src in trees.items():
                order = list(registries) if i % 2 == 0 else list(reversed(registries))
                for fmt in order:
                    report = os.path.join(tmp, f"{tree}-{fmt}.json")
                    run = run_check(src, registries[fmt], args.as_of, report)
                    runs[tree][fmt].append(run)
                    print(tree, fmt, run, flush=True)
                    found = report_findings(report)
                    if findings.setdefault("any", found) != found:
                        raise SystemExit(f"{tree} {fmt}: findings differ from the first run's")
                    text = Path(report).read_bytes()
                    if fmt != "csv" and reports.setdefault(fmt, text) != text:
                        raise SystemExit(f"{tree} {fmt}: the report differs from the first tree's")
    summary: dict[str, Any] = {}
    for tree, by_fmt in runs.items():
        best = {f: min(r, key=lambda x: x["cpu_s"]) for f, r in by_fmt.items()}
        peak = {f: min(x["peak_mib"] for x in r) for f, r in by_fmt.items()}
        summary[tree] = {
            f: {
                "best_cpu_s": best[f]["cpu_s"],
                "best_wall_s": min(x["wall_s"] for x in by_fmt[f]),
                "peak_mib": peak[f],
                "cpu_ratio_to_csv": round(best[f]["cpu_s"] / best["csv"]["cpu_s"], 2),
                "wall_ratio_to_csv": round(
                    min(x["wall_s"] for x in by_fmt[f]) / min(x["wall_s"] for x in by_fmt["csv"]), 2
                ),
                "peak_ratio_to_csv": round(peak[f] / peak["csv"], 2),
            }
            for f in by_fmt
        }
    sizes = {f: os.path.getsize(r) for f, r in registries.items() if f != "csv"}
    result = {
        "command": " ".join(sys.argv),
        "check": "python -m dualrel check REGISTRY --as-of DATE --format json -o FILE --jobs 1 -q",
        "trees": trees,
        "registries": registries,
        "sizes_bytes": sizes,
        "load_before": load,
        "load_after": os.getloadavg(),
        "runs": runs,
        "summary": summary,
        "findings_identical": True,
        "reports_identical_across_trees": True,
    }
    out = HERE / "results" / f"json-layouts-{time.strftime('%Y%m%dT%H%M%S')}.json"
    out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(summary, indent=1))
    print(out)


if __name__ == "__main__":
    main()
