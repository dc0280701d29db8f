"""The semi-join pass's rounds on blocks (stage 2 of the Dask check), in one process, per
source tree: the CPU of every block's round, without Dask.

    python benchmarks/pushdown_rounds.py SPLIT_FOLDER --blocks 4 \\
        --tree base=OLD/src --tree new=src --repeat 2

Reads the first ``--blocks`` ties parts of a folder split in parts (``dask_run.py`` makes
one), validates each against the people its ties name as a worker's block (a block holds
its own people, not the registry's), then runs the pass's rounds as ``read_on_blocks``
does (``block_round`` on every block, then the reduce: ``reduce_range`` for each range
of hashes, or ``reduce_round`` in a tree before the ranges, until the masks stop
shrinking) with coaching-core, and prints the CPU seconds of the ``block_round`` calls
and of the whole pass.  Each tree runs in its own process
(``PYTHONPATH``), the trees alternating, best of ``--repeat``; the masks of every tree
must be the same.  Quote the ratio of the same run.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

AS_OF = "2026-11-26"


def _child(folder: str, blocks: int) -> None:
    import glob  # noqa: PLC0415
    import hashlib  # noqa: PLC0415
    import time  # noqa: PLC0415
    import zlib  # noqa: PLC0415
    from datetime import date  # noqa: PLC0415

    import pyarrow as pa  # noqa: PLC0415
    import pyarrow.compute as pc  # noqa: PLC0415

    from dualrel.graph._csv_columns import _table, validated_columns  # noqa: PLC0415
    from dualrel.graph._csv_common import PEOPLE_COLUMNS, TIE_COLUMNS  # noqa: PLC0415
    from dualrel.graph.model import CORE_ROLES  # noqa: PLC0415
    from dualrel.rules import compile_ruleset, load_ruleset  # noqa: PLC0415
    from dualrel.scale import _pushdown  # noqa: PLC0415
    from dualrel.scale._on_disk import kept  # noqa: PLC0415

    parts = sorted(glob.glob(os.path.join(folder, "people-*.csv")))
    people = pa.concat_tables([_table(f, PEOPLE_COLUMNS) for f in parts])
    compiled = compile_ruleset(load_ruleset("coaching-core"))
    kinds = dict(compiled.ruleset.kinds)
    made = []
    for f in sorted(glob.glob(os.path.join(folder, "ties-*.csv")))[:blocks]:
        ties = _table(f, TIE_COLUMNS)
        ends = [ties.column(c).combine_chunks() for c in ("source", "target")]
        named = people.filter(pc.is_in(people.column("id"), value_set=pa.concat_arrays(ends)))
        read = validated_columns(named, ties, "p", f, kinds=kinds, roles=CORE_ROLES)
        assert read is not None
        codes = pa.array([zlib.crc32(p.encode()) for p in read.ties.people], pa.int64())
        if "places" in inspect.signature(kept).parameters:  # a tree that keeps them
            where = pa.array(range(len(codes)), pa.int64())  # not read by the rounds
            made.append(kept(f, read.ties, codes, where))
        else:
            made.append(kept(f, read.ties, codes))
    when = date.fromisoformat(AS_OF)
    bits = _pushdown.HASH_BITS
    ranged = hasattr(_pushdown, "survivors_of")  # the pass cut into ranges of hashes
    if ranged:
        from dualrel.scale import _ranges  # noqa: PLC0415
        from dualrel.scale._on_disk import loaded  # noqa: PLC0415

        n_people = sum(b.people.rows for b in made if b.people is not None)
        block_people = max(b.people.rows for b in made if b.people is not None)
        ranges = _ranges.ranges_for(n_people, block_people, bits)
        masks: Any = []
        args: tuple[Any, ...] = (bits, ranges)
    else:
        masks = _pushdown.Sets((), {})
        args = (bits,)
    rounds = 0.0
    start = time.process_time()
    before = -1
    for _ in range(_pushdown.ROUNDS + 1):
        t = time.process_time()
        got = [_pushdown.block_round(b, [compiled], when, masks, *args) for b in made]
        rounds += time.process_time() - t
        if ranged:
            masks = [_ranges.reduce_range(got, r, [compiled], *args) for r in range(ranges)]
            from dualrel.scale import _on_disk  # noqa: PLC0415

            if hasattr(_on_disk, "bundled"):  # a tree whose blocks read bundles of ranges
                by = _on_disk.MERGED
                masks = [_on_disk.bundled(masks[i : i + by]) for i in range(0, ranges, by)]
            kept_now = sum(m.rows for m in masks)
        else:
            masks = _pushdown.reduce_round(got, [compiled])
            kept_now = _pushdown.set_sizes(masks)
        if kept_now == before:
            break
        before = kept_now
    # the masks as (variable, hash) pairs: the same whichever way a tree keeps them
    pairs: list[tuple[str, int]] = []
    if ranged:
        numbered = _ranges.codes([compiled])
        vb = numbered.var_bits
        for m in masks:
            for value in loaded(m).column(0).to_pylist():
                pairs.append((repr(numbered.variables[value & ((1 << vb) - 1)]), value >> vb))
    else:
        for key, k in masks.at.items():
            pairs.extend((repr(key), h) for h in masks.sets[k].to_pylist())
    digest = hashlib.sha256(repr(sorted(pairs)).encode())
    print(
        json.dumps(
            {
                "block_round_cpu_s": round(rounds, 3),
                "pass_cpu_s": round(time.process_time() - start, 3),
                "masks": digest.hexdigest(),
            }
        )
    )


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        _child(sys.argv[2], int(sys.argv[3]))
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("folder")
    ap.add_argument("--blocks", type=int, default=4)
    ap.add_argument("--tree", action="append", required=True, metavar="NAME=SRC")
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    trees = [t.split("=", 1) for t in args.tree]
    best: dict[str, dict[str, float]] = {}
    masks = None
    for _ in range(args.repeat):
        for name, src in trees:
            env = {**os.environ, "PYTHONPATH": str(Path(src).resolve())}
            argv = [sys.executable, __file__, "--child", args.folder, str(args.blocks)]
            out = subprocess.run(argv, env=env, capture_output=True, text=True, check=True)
            got = json.loads(out.stdout.strip().splitlines()[-1])
            if masks is None:
                masks = got["masks"]
            if got.pop("masks") != masks:
                raise SystemExit(f"{name}: masks differ")
            print(name, got, flush=True)
            for k, v in got.items():
                best.setdefault(name, {})[k] = min(v, best.get(name, {}).get(k, v))
    first = trees[0][0]
    for name, _ in trees:
        ratios = {k: round(v / best[first][k], 2) for k, v in best[name].items()}
        print(name, "best", best[name], "ratio to", first, ratios, "load", os.getloadavg())


if __name__ == "__main__":
    main()
