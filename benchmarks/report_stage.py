"""The JSON report stage of two source trees on one check result, in one process.

    PYTHONPATH=src python benchmarks/report_stage.py REGISTRY --before OLD/src [--repeat 5]

Checks REGISTRY once (with the code on ``PYTHONPATH``), then writes its JSON report to a
file with the ``json_report`` module of ``OLD/src`` (rendered whole, then written, as the
command line did) and with this tree's (streamed into the file in parts), alternating,
best of ``--repeat``. The two files must be byte-identical. The stage alone, without the
load, evaluation and process start-up that spread more than it does on a shared machine.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import tempfile
import time
from pathlib import Path

from dualrel._internal.atomic import write_atomic, write_atomic_parts
from dualrel.check import run_check
from dualrel.report import People, render_parts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("registry")
    ap.add_argument("--before", required=True, type=Path, metavar="OLD/src")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    path = args.before / "dualrel" / "report" / "json_report.py"
    spec = importlib.util.spec_from_file_location("before_json_report", path)
    assert spec is not None and spec.loader is not None
    before = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(before)
    result = run_check(args.registry, timelines=True)  # as the json format asks
    gc.disable()  # as the command line renders
    with tempfile.TemporaryDirectory() as tmp:
        out = {"before": Path(tmp) / "before.json", "after": Path(tmp) / "after.json"}
        runs = {
            "before": lambda: write_atomic(out["before"], before.render(result, People())),
            "after": lambda: write_atomic_parts(out["after"], render_parts(result, "json")),
        }
        best = dict.fromkeys(runs, float("inf"))
        for i in range(args.repeat):
            for name in sorted(runs, reverse=i % 2 == 1):
                t = time.perf_counter()
                runs[name]()
                best[name] = min(best[name], time.perf_counter() - t)
        if out["before"].read_bytes() != out["after"].read_bytes():
            raise SystemExit("REPORTS DIFFER")
    print(
        f"{len(result.findings)} findings; best of {args.repeat}: before {best['before']:.3f} s, "
        f"after {best['after']:.3f} s, after/before {best['after'] / best['before']:.3f}"
    )


if __name__ == "__main__":
    main()
