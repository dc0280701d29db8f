"""An invalid split registry checked on a Dask LocalCluster, beside one machine: where
the problems are found, and what the client spends.

    python benchmarks/invalid_on_dask.py benchmarks/data/n100000-s1-planted/csv \
        --parts 16 --work /work/data/h20prob --tree new=src --tree base=/work/base/src

Splits the CSV folder into ``--parts`` files per section under ``--work`` (once), plants
bad rows in some parts (a person id given again in another part, ties naming no person,
an invalid date, a tie id given twice), then runs, alternating, ``--repeat`` times each:
``one`` (``run_check`` in a child process) and, for each ``--tree NAME=SRC``,
``check_on_dask`` on a LocalCluster of ``--workers`` processes in a child process with
dualrel imported from SRC.  Each child gives its wall, its own CPU seconds (user + sys:
the client's, not the workers') and its peak RSS.  The problems of every run must be the
same (the run stops otherwise).  Results go to
``benchmarks/results/invalid-on-dask-<people>-<timestamp>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results"


def _child(kind: str, folder: str, workers: int, measure: bool = False) -> None:
    from dualrel import run_check  # noqa: PLC0415
    from dualrel.errors import RegistryError  # noqa: PLC0415

    started = time.perf_counter()
    problems: list[Any] = []
    network: dict[str, int] | None = {} if measure and kind != "one" else None
    try:
        if kind == "one":
            run_check(folder)
        else:
            from dualrel.scale import check_on_dask, connect  # noqa: PLC0415

            with connect(f"local:{workers}") as client:
                started = time.perf_counter()  # the cluster's start is not the check's
                check_on_dask(client, folder, network=network)
    except RegistryError as e:
        problems = [[p.file, p.line, p.code, p.message, p.severity] for p in e.problems]
    wall = time.perf_counter() - started
    use = resource.getrusage(resource.RUSAGE_SELF)
    print(
        json.dumps(
            {
                "wall": wall,
                "cpu": use.ru_utime + use.ru_stime,
                "peak_mb": use.ru_maxrss / 1024,
                "problems": problems,
                **({} if network is None else {"network": network}),
            }
        )
    )


def _plant(folder: Path) -> None:
    """Bad rows in three parts: what one machine's reader and the blocks both find."""
    people = sorted(folder.glob("people-*.csv"))
    ties = sorted(folder.glob("ties-*.csv"))
    first_person = people[0].read_text(encoding="utf-8").splitlines()[1]
    with people[-1].open("a", encoding="utf-8") as f:
        f.write(first_person + "\n")  # duplicate-person across parts
    header = ties[3].read_text(encoding="utf-8").splitlines()[0].split(",")
    tie = ties[0].read_text(encoding="utf-8").splitlines()[1].split(",")
    cells = dict(zip(header, tie, strict=True))
    rows = []
    for change in ({"target": "nobody"}, {"start": "2025-02-30"}, {"source": cells["target"]}):
        rows.append(",".join({**cells, "id": f"planted-{len(rows)}", **change}[h] for h in header))
    rows.append(",".join(cells[h] for h in header))  # duplicate-tie (of ties-0001's first)
    with ties[3].open("a", encoding="utf-8") as f:
        f.write("".join(r + "\n" for r in rows))


def _run(kind: str, src: str, folder: Path, workers: int, measure: bool) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(Path(src).resolve())}
    code = (
        f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); "
        f"import invalid_on_dask as b; b._child({kind!r}, {str(folder)!r}, {workers}, {measure})"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("folder")
    p.add_argument("--parts", type=int, default=16)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--repeat", type=int, default=2)
    p.add_argument("--work", required=True)
    p.add_argument("--tree", action="append", default=[], help="NAME=SRC")
    p.add_argument("--network", action="store_true", help="measure the bytes of each stage")
    args = p.parse_args()
    sys.path.insert(0, str(Path(__file__).parents[1] / "src"))
    from dualrel.graph.parts import split_folder  # noqa: PLC0415

    folder = Path(args.work) / f"split{args.parts}-bad"
    if not folder.exists():
        tmp = folder.with_name(folder.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        split_folder(args.folder, str(tmp), args.parts)
        _plant(tmp)
        tmp.rename(folder)
    trees = [("one", "one", "src"), *(("dask", *t.split("=", 1)) for t in args.tree)]
    runs: dict[str, list[dict[str, Any]]] = {}
    problems = None
    for _ in range(args.repeat):
        for kind, name, src in trees:
            got = _run(kind, src, folder, args.workers, args.network)
            found = got.pop("problems")
            if problems is None:
                problems = found
            if not found or found != problems:
                raise SystemExit(f"{name}: not the problems of one machine")
            runs.setdefault(name, []).append(got)
            print(name, got, flush=True)
    people = Path(args.folder).parent.name
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"invalid-on-dask-{people}-{time.strftime('%Y%m%dT%H%M%S')}.json"
    load = os.getloadavg()
    summary = {
        name: {k: min(r[k] for r in rs) for k in ("wall", "cpu", "peak_mb")}
        for name, rs in runs.items()
    }
    out.write_text(
        json.dumps(
            {
                "folder": str(folder),
                "problems": len(problems or []),
                "runs": runs,
                "best": summary,
                "load": load,
            },
            indent=1,
        )
    )
    print(out, json.dumps(summary), "load", load)


if __name__ == "__main__":
    main()
