"""Cost per partition: what one caseload session costs, the unit a distributed run ships.

    python benchmarks/partition_cost.py benchmarks/data/n1000000-s1-planted/csv

Loads the registry, runs the semi-join pass, then evaluates exactly as ``dualrel check``
does (one process), timing every durable-rules session: anchors (caseloads) per session,
ties and practice records per session, milliseconds per session, and the size of a
session's input as a worker would receive it (the pickled ties and records).  Prints one
JSON object; docs/scale.md quotes it.

It wraps the store's private ``Store._run`` (one session), so it follows that method's
signature.
"""

from __future__ import annotations

import argparse
import json
import pickle
import statistics
import time
from datetime import date
from typing import Any

from dualrel._internal.gc import gc_paused
from dualrel.graph import load_registry
from dualrel.rules import compile_ruleset, load_ruleset
from dualrel.rules._build import build_store
from dualrel.rules._durable import Engine
from dualrel.rules._sessions import Store


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("registry")
    ap.add_argument("--as-of", default="2026-11-26")
    ap.add_argument("--ruleset", default="coaching-core")
    args = ap.parse_args()
    as_of = date.fromisoformat(args.as_of)

    t0 = time.perf_counter()
    registry = load_registry(args.registry)
    t1 = time.perf_counter()
    compiled = compile_ruleset(load_ruleset(args.ruleset))
    with gc_paused():  # as dualrel check does
        store = build_store(compiled, registry, as_of, prune=True)
        keys = store.all_candidates()
    t2 = time.perf_counter()

    sessions: list[dict[str, Any]] = []
    run = Store._run

    def timed(  # noqa: PLR0917 (the signature of Store._run, which it wraps)
        self: Store,
        engine: Any,
        rules: Any,
        group: Any,
        tie_ids: Any,
        results: Any,
        *,
        record_ids: Any,
    ) -> None:
        payload = pickle.dumps(
            (
                [self.index.ties[t] for t in tie_ids],
                [self.record_index.records[r] for r in record_ids],
            ),
            protocol=5,
        )
        start = time.perf_counter()
        run(self, engine, rules, group, tie_ids, results, record_ids=record_ids)
        sessions.append(
            {
                "anchors": len({a for _, a in group}),
                "ties": len(tie_ids),
                "records": len(record_ids),
                "ms": (time.perf_counter() - start) * 1e3,
                "bytes": len(payload),
            }
        )

    Store._run = timed  # type: ignore[method-assign]
    engine = Engine(store.definition())  # as the engine does: without never-firing variants
    try:
        with gc_paused():
            results = store.evaluate(engine, keys)
    finally:
        engine.close()
        Store._run = run  # type: ignore[method-assign]
    t3 = time.perf_counter()

    def dist(field: str) -> dict[str, float]:
        values = sorted(s[field] for s in sessions)
        return {
            "p50": round(statistics.median(values), 3),
            "p99": round(values[int(len(values) * 0.99)], 3),
            "max": round(values[-1], 3),
            "mean": round(statistics.fmean(values), 3),
        }

    print(
        json.dumps(
            {
                "registry": args.registry,
                "people": len(registry.people),
                "ties": len(registry.ties),
                "ties_after_semi_join": len(store.index.ties),
                "anchors": len({a for _, a in keys}),
                "sessions": len(sessions),
                "matches": sum(len(m) for m in results.values()),
                "seconds": {
                    "read_validate": round(t1 - t0, 3),
                    "semi_join_and_index": round(t2 - t1, 3),
                    "evaluate": round(t3 - t2, 3),
                },
                "per_session": {k: dist(k) for k in ("anchors", "ties", "records", "ms", "bytes")},
                "us_per_tie_in_engine": round(
                    sum(s["ms"] for s in sessions) * 1e3 / max(1, sum(s["ties"] for s in sessions)),
                    2,
                ),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
