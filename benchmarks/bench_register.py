"""Register benchmark: recording a check's findings, as a share of that check's own time.

Runs the check once (``dualrel.run_check`` on a CSV registry folder, ``coaching-core``),
then records its result into a new register three times over: the first run (every
finding new: inserted with its steps and an event), a second run a day later (every
finding seen again: updated), and a third a day after that with a tenth of the findings
gone (resolved). Each on SQLite (a file in a temporary folder) and, with ``--postgres
URL``, on PostgreSQL (a new database per measurement, made and dropped through that URL,
whose user may create databases).

Prints a table and writes ``benchmarks/results/register-<timestamp>.json``.

    python benchmarks/bench_register.py benchmarks/data/n100000-s1-planted/csv \\
        [--postgres postgresql://postgres@/postgres?host=/tmp/sock]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import platform
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from dualrel.check import run_check
from dualrel.findings import CheckResult
from dualrel.register import open_register

HERE = Path(__file__).resolve().parent


def _sqlite() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as d:
        yield str(Path(d) / "register.sqlite")


def _postgres(admin: str) -> Callable[[], Iterator[str]]:
    def make() -> Iterator[str]:
        import psycopg  # noqa: PLC0415 (only with --postgres)

        name = f"dualrel_bench_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        base, _, query = admin.partition("?")
        try:
            yield base.rsplit("/", 1)[0] + f"/{name}" + (f"?{query}" if query else "")
        finally:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')

    return make


def _runs(result: CheckResult) -> list[tuple[str, CheckResult]]:
    day = timedelta(days=1)
    again = dataclasses.replace(result, as_of=result.as_of + day)
    kept = result.findings[: len(result.findings) * 9 // 10]
    fewer = dataclasses.replace(result, as_of=result.as_of + 2 * day, findings=kept)
    return [
        ("first (all new)", result),
        ("second (all seen)", again),
        ("third (10% resolved)", fewer),
    ]


def measure(
    name: str, where: Callable[[], Iterator[str]], result: CheckResult
) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    with contextmanager(where)() as url:
        t0 = time.perf_counter()
        reg = open_register(url)
        out.append(
            {"database": name, "step": "open (create tables)", "seconds": time.perf_counter() - t0}
        )
        with reg:
            for label, run in _runs(result):
                t0 = time.perf_counter()
                done = reg.record(run, by="bench")
                out.append(
                    {
                        "database": name,
                        "step": label,
                        "seconds": time.perf_counter() - t0,
                        "opened": len(done.opened),
                        "resolved": len(done.resolved),
                        "escalations": len(done.escalations),
                    }
                )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("registry", help="a CSV registry folder (or any registry path)")
    parser.add_argument("--ruleset", default="coaching-core")
    parser.add_argument("--postgres", metavar="URL", help="a server URL for PostgreSQL too")
    args = parser.parse_args()
    t0 = time.perf_counter()
    result = run_check(args.registry, [args.ruleset])
    check_seconds = time.perf_counter() - t0
    rows = measure("sqlite", _sqlite, result)
    if args.postgres:
        rows += measure("postgresql", _postgres(args.postgres), result)
    print(f"check of {args.registry}: {check_seconds:.1f} s, {len(result.findings)} findings")
    print(f"{'database':<11} {'step':<22} {'seconds':>8} {'share of check':>15}")
    for r in rows:
        share = float(r["seconds"]) / check_seconds  # type: ignore[arg-type]
        r["share_of_check"] = round(share, 4)
        print(f"{r['database']:<11} {r['step']:<22} {r['seconds']:>8.2f} {share:>14.1%}")
    (HERE / "results").mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    target = HERE / "results" / f"register-{stamp}.json"
    target.write_text(
        json.dumps(
            {
                "registry": args.registry,
                "ruleset": args.ruleset,
                "findings": len(result.findings),
                "check_seconds": round(check_seconds, 3),
                "rows": rows,
                "python": sys.version.split()[0],
                "machine": platform.machine(),
            },
            indent=2,
        )
        + "\n"
    )
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
