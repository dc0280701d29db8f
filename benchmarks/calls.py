"""Python function calls made by evaluation: a measure of work that timing noise cannot blur.

    PYTHONPATH=SRC python benchmarks/calls.py REGISTRY [-r RULESET]... [--as-of DATE] [--top N]

Loads the registry (not counted), then runs :func:`dualrel.evaluate` under ``cProfile`` and
prints the number of function calls (all, and primitive), the stage seconds and the ``N``
functions of most own time.  The count is the same on every run of the same code, so two
source trees (``PYTHONPATH`` set to each) show whether a change added work on the hot path
even where wall times on a shared machine spread by more than the change could cost.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
from datetime import date

from dualrel.graph import load_registry
from dualrel.rules import evaluate


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("registry")
    ap.add_argument("-r", "--ruleset", action="append")
    ap.add_argument("--as-of", type=date.fromisoformat)
    ap.add_argument("--top", type=int, default=10)
    args = ap.parse_args()
    registry = load_registry(args.registry, as_of=args.as_of)
    timings: dict[str, float] = {}
    profile = cProfile.Profile()
    profile.enable()
    evaluate(registry, args.ruleset or "coaching-core", as_of=args.as_of, timings=timings)
    profile.disable()
    stats = pstats.Stats(profile)
    print(f"calls {stats.total_calls} (primitive {stats.prim_calls})")  # type: ignore[attr-defined]
    print("stages (profiled) " + json.dumps({k: round(v, 3) for k, v in timings.items()}))
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(args.top)
    print(out.getvalue().split("\n\n", 2)[-1].rstrip())


if __name__ == "__main__":
    main()
