"""Path clauses at scale: the check with a path rule against the same check without it.

    PYTHONPATH=SRC python benchmarks/paths.py [REGISTRY ...] [--repeat N]

For each registry (default: the 1M benchmark registry, benchmarks/data/n1000000-s1-planted)
it loads the registry once, then evaluates, alternately and ``--repeat`` times each,
``coaching-core`` and ``benchmarks/paths-ruleset.yaml`` (coaching-core plus one rule whose
pattern holds a path over ``management`` ties), in this process.  It prints, per ruleset,
the best wall seconds and the stage seconds of that run, the number of findings, and the
ratio of the two: what the path rule costs, measured in one run on one machine state.
The derived ties are counted too (one per pair of people a path joins), which is what
keeps the cost linear in the registry when reporting lines are shallow trees.

The benchmark registries' reporting lines are one level deep (managers over coaches).
``--forest N`` (repeatable) instead builds a reporting forest of N people, eight reports
per manager (six levels below the top at a million), every manager a coach who coaches
one person in their line and one outside it, and times deriving the chains and the whole
evaluation of the coach-in-own-line rule: seconds per person should stay flat as N grows.
"""

from __future__ import annotations

import argparse
import gc
import json
import time
from datetime import date
from pathlib import Path

from dualrel._internal.gc import gc_paused
from dualrel.graph import load_registry
from dualrel.graph.model import Person, Registry, Tie
from dualrel.rules import evaluate, load_ruleset, prepare
from dualrel.rules._paths import derive

HERE = Path(__file__).resolve().parent
DEFAULT = HERE / "data" / "n1000000-s1-planted" / "csv"
AS_OF = "2026-11-26"


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("registry", nargs="*", default=[str(DEFAULT)])
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--forest", type=int, action="append", default=[])
    args = ap.parse_args()
    if args.forest:
        for n in args.forest:
            forest(n)
        return
    as_of = date.fromisoformat(AS_OF)
    plain = prepare("coaching-core")[0]
    with_paths = prepare(load_ruleset(HERE / "paths-ruleset.yaml"))[0]
    for path in args.registry:
        t0 = time.perf_counter()
        reg = load_registry(path, as_of=as_of)
        print(
            f"{path}: {len(reg.people)} people, {len(reg.ties)} ties "
            f"(loaded in {time.perf_counter() - t0:.1f}s)"
        )
        by_id = {p.id: p.roles for p in reg.people}
        t0 = time.perf_counter()
        with gc_paused():  # as evaluate() derives them
            derived, _ = derive(with_paths.paths, reg.ties, by_id.__getitem__, as_of)
        print(f"  derived ties: {len(derived)} in {time.perf_counter() - t0:.2f}s")
        best: dict[str, tuple[float, dict[str, float], int]] = {}
        for _ in range(args.repeat):
            for name, compiled in (("without path", plain), ("with path", with_paths)):
                gc.collect()
                timings: dict[str, float] = {}
                t0 = time.perf_counter()
                report = evaluate(reg, compiled, as_of=as_of, timings=timings)
                wall = time.perf_counter() - t0
                if name not in best or wall < best[name][0]:
                    best[name] = (wall, timings, len(report.findings))
        for name, (wall, timings, n) in best.items():
            stages = json.dumps({k: round(v, 2) for k, v in timings.items()})
            print(f"  {name:13} {wall:7.2f}s  {n} findings  {stages}")
        ratio = best["with path"][0] / best["without path"][0]
        print(f"  ratio with/without path rule: {ratio:.3f}")


def forest_registry(n: int, fan: int = 8) -> Registry:
    people = [Person("p0", ("coach", "manager"))]
    ties: list[Tie] = []
    for i in range(1, n):
        boss = (i - 1) // fan
        people.append(Person(f"p{i}", ("coach", "manager") if i * fan + 1 < n else ()))
        ties.append(Tie(f"m{i}", "management", f"p{boss}", f"p{i}"))
    for i in range(n):
        first = i * fan + 1
        if first < n:
            ties.append(Tie(f"c{i}", "coaching", f"p{i}", f"p{min(first * fan + 1, n - 1)}"))
            ties.append(Tie(f"x{i}", "coaching", f"p{i}", f"p{(i * 7919 + 1) % n}"))
    return Registry(tuple(people), tuple(ties), as_of=date.fromisoformat(AS_OF))


def forest(n: int) -> None:
    reg = forest_registry(n)
    rs = prepare(load_ruleset(HERE / "paths-forest.yaml"))[0]
    roles = {p.id: p.roles for p in reg.people}
    with gc_paused():
        t0 = time.perf_counter()
        derived, _ = derive(rs.paths, reg.ties, roles.__getitem__, reg.as_of or date.today())
        seconds = time.perf_counter() - t0
    t0 = time.perf_counter()
    report = evaluate(reg, rs)
    wall = time.perf_counter() - t0
    print(
        f"forest {n} people, {len(reg.ties)} ties: {len(derived)} derived ties in "
        f"{seconds:.2f}s ({seconds / n * 1e6:.1f} us/person); check {wall:.2f}s "
        f"({wall / n * 1e6:.1f} us/person), {len(report.findings)} findings"
    )


if __name__ == "__main__":
    main()
