"""The partitioned check on a Dask LocalCluster beside the one-machine check.

    python benchmarks/dask_run.py benchmarks/data/n1000000-s1-planted/csv \
        --parts 16 --workers 2 --work /tmp/h20dask

Splits the CSV folder into ``--parts`` files per section (``dualrel.graph.parts``, once,
under ``--work``), then runs, alternating, ``--repeat`` times each:

- ``one``: ``dualrel check SPLIT --timings`` in a child process (wall, peak RSS, stages);
- ``dask``: a child process that starts a LocalCluster of ``--workers`` worker processes
  (one thread each), imports dualrel in each, and runs :func:`dualrel.scale.check_on_dask`
  on the same folder: wall, stages (``evaluate.workers``: the seconds the workers spent
  in the tasks), the client's peak RSS, each worker's peak RSS (read in the worker after
  the run), and the bytes each stage sends across the network (pickled), and each process's resident
  memory sampled every ``SAMPLE_S`` seconds (the largest in each stage, and the series),
  each worker's largest resident, anonymous and Arrow-allocated memory while each task
  function ran (``sampled_peak_mb_by_task``, sampled in the worker every
  ``TASK_SAMPLE_S`` seconds),
  and for each task function the tasks run and the seconds they computed and fetched
  their inputs (``task_seconds``, from Dask's task stream: the per-stage costs a
  projection to a larger registry starts from; ``size`` is the measuring of the bytes
  itself).

- ``base`` (with ``--baseline SRC``): the ``dask`` child again with dualrel imported from
  ``SRC`` (another tree, such as main before the blocks were read on the workers).

Each child's CPU seconds (user + sys, its worker processes included) are reported beside
its wall.  The bytes of the stages on the workers are ``shuffle.people``, ``shuffle.ends``
(the bucket join's inputs), ``join.people`` (the people each ties part's ends name),
``shuffle.tie_ids``, ``prune.bitmaps`` (each round's sets of people, every block),
``prune.masks`` (the masks, once to each worker), ``gather.survivors`` (the surviving ties
and their people, to the client).

The JSON reports must be byte-identical (the run stops otherwise).  Results go to
``benchmarks/results/dask-run-<people>-<timestamp>.json``; on a shared machine quote the
ratios of the same run, never the seconds alone.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

AS_OF = "2026-11-26"
#: seconds between two samples of each process's resident memory
SAMPLE_S = 0.5
#: seconds between two samples of a worker's memory by the task it runs (in the worker)
TASK_SAMPLE_S = 0.02
RESULTS = Path(__file__).parent / "results"


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _rss_mb() -> float:
    with open("/proc/self/statm", encoding="ascii") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _count_arrivals() -> None:
    """Count the bytes of each stored table (``_on_disk.Stored``) unpickled in this
    process: what crossed between processes of the tables on the workers' disks (a
    tree without them counts nothing)."""
    try:
        from dualrel.scale import _on_disk  # noqa: PLC0415
    except ImportError:
        return
    arrived = getattr(_on_disk, "_arrived", None)
    if arrived is None or getattr(arrived, "counted", False):
        return
    # kept on the module: a function of this script is sent to a worker by value, with
    # its own copy of this script's globals
    tally = _on_disk.arrived_tally = [0, 0]  # type: ignore[attr-defined]

    def counted(data: bytes, *args: Any) -> Any:
        tally[0] += len(data)
        tally[1] += 1
        return arrived(data, *args)

    counted.__qualname__ = counted.__name__ = "_arrived"
    counted.__module__ = arrived.__module__
    counted.counted = True  # type: ignore[attr-defined]
    _on_disk._arrived = counted


def _arrivals() -> list[int]:
    try:
        from dualrel.scale import _on_disk  # noqa: PLC0415
    except ImportError:
        return [0, 0]
    return list(getattr(_on_disk, "arrived_tally", [0, 0]))


def _memory_now() -> tuple[float, float, float]:
    """This process's resident memory, of it the anonymous (heap, not the pages of mapped
    files, which the kernel can drop), and the bytes Arrow's memory pool holds allocated
    (live tables and arrays), in MB."""
    import pyarrow as pa  # noqa: PLC0415

    rss = anon = 0.0
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) / 1024
            elif line.startswith("RssAnon:"):
                anon = int(line.split()[1]) / 1024
    return rss, anon, pa.total_allocated_bytes() / 2**20


def _task_memory() -> Any:
    """A :class:`_TaskMemory` plugin (distributed imported only in the child)."""
    from distributed import WorkerPlugin  # noqa: PLC0415

    return type("TaskMemory", (_TaskMemory, WorkerPlugin), {})()


class _TaskMemory:
    """A worker plugin: a thread in the worker samples its memory every ``TASK_SAMPLE_S``
    seconds and keeps, for each task function running (``validate_block``,
    ``block_round``, ...), the largest resident, anonymous and Arrow-allocated MB seen
    while it ran: what each kind of task costs a worker, short tasks included."""

    name = "dualrel-task-memory"

    def setup(self, worker: Any) -> None:
        self.peaks: dict[str, dict[str, float]] = {}
        self.stop = threading.Event()
        threading.Thread(target=self._run, args=(worker,), daemon=True).start()

    def teardown(self, worker: Any) -> None:
        self.stop.set()

    def _run(self, worker: Any) -> None:
        from dask.utils import key_split  # noqa: PLC0415

        while not self.stop.wait(TASK_SAMPLE_S):
            try:
                running = {key_split(t.key) for t in list(worker.state.executing)}
            except (AttributeError, RuntimeError):  # the set changed while read
                continue
            rss, anon, arrow = _memory_now()
            for task in running or {"(idle)"}:
                seen = self.peaks.setdefault(task, {"rss": 0.0, "anon": 0.0, "arrow": 0.0})
                seen["rss"] = max(seen["rss"], round(rss, 1))
                seen["anon"] = max(seen["anon"], round(anon, 1))
                seen["arrow"] = max(seen["arrow"], round(arrow, 1))


def _task_peaks(dask_worker: Any) -> dict[str, dict[str, float]]:
    return dict(dask_worker.plugins[_TaskMemory.name].peaks)


def _by_task(got: dict[str, dict[str, dict[str, float]]]) -> dict[str, dict[str, float]]:
    """Each task function's largest figures over the workers."""
    out: dict[str, dict[str, float]] = {}
    for peaks in got.values():
        for task, seen in peaks.items():
            best = out.setdefault(task, dict.fromkeys(seen, 0.0))
            for k, v in seen.items():
                best[k] = max(best[k], v)
    return dict(sorted(out.items()))


class _Sampler(threading.Thread):
    """Each worker's and the client's resident memory every ``SAMPLE_S`` seconds: the
    largest of each in each stage the check reports (``peak`` above is the whole run's)."""

    def __init__(self, client: Any, network: dict[str, int]) -> None:
        super().__init__(daemon=True)
        self.client = client
        self.network = network
        self.label = "starting"
        self.t0 = time.perf_counter()
        self.by_stage: dict[str, dict[str, float]] = {}
        self.series: list[tuple[float, str, float, list[float]]] = []
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(SAMPLE_S):
            try:
                got = self.client.run(_rss_mb)
            except Exception:  # a worker lost and replaced: skip a sample
                continue
            here = _rss_mb()
            workers = sorted(round(v, 1) for v in got.values())
            t = round(time.perf_counter() - self.t0, 2)
            # within the reading, the last of the network's keys measured so far tells the
            # step of stages 1-2 (``shuffle.people`` ... ``prune.sets`` ... ``gather.people``)
            label = self.label
            if self.network and label == "loading the registry":
                label += ": after " + list(self.network)[-1]
            self.series.append((t, label, round(here, 1), workers))
            peaks = self.by_stage.setdefault(label, {"client": 0.0, "worker": 0.0})
            peaks["client"] = max(peaks["client"], round(here, 1))
            peaks["worker"] = max(peaks["worker"], max(workers, default=0.0))


def _task_seconds(records: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """For each task function (a key's prefix: ``validate_block``, ``block_round``, ...):
    how many tasks ran, the seconds they computed and the seconds spent fetching their
    inputs from other workers, summed over the workers."""
    from dask.utils import key_split  # noqa: PLC0415

    out: dict[str, dict[str, float]] = {}
    for record in records:
        empty = {"tasks": 0.0, "compute": 0.0, "transfer": 0.0}
        got = out.setdefault(key_split(record["key"]), empty)
        got["tasks"] += 1
        for span in record.get("startstops", ()):
            action = span.get("action")
            if action in ("compute", "transfer"):
                got[action] += span["stop"] - span["start"]
    return {k: {n: round(v, 3) for n, v in got.items()} for k, got in sorted(out.items())}


def _child_dask(folder: str, out: str, workers: int, partitions: int | None) -> None:
    from datetime import date  # noqa: PLC0415

    import distributed  # noqa: PLC0415

    from dualrel import render  # noqa: PLC0415
    from dualrel.scale import check_on_dask, connect  # noqa: PLC0415

    timings: dict[str, float] = {}
    network: dict[str, int] = {}
    t0 = time.perf_counter()
    with connect(f"local:{workers}") as client:
        # a cluster's workers are long-lived: dualrel imported in each before the run
        # (the start-up is reported apart)
        client.run(importlib.import_module, "dualrel.rules.partitions")
        client.run(_count_arrivals)
        _count_arrivals()
        client.register_plugin(_task_memory())
        started = time.perf_counter() - t0
        t1 = time.perf_counter()
        # the client's peak so far as each stage begins: what reading and validating
        # cost it, apart from the evaluation's and the report's
        by_stage: dict[str, float] = {}

        sampler = _Sampler(client, network)
        sampler.start()

        def progress(step: int, total: int, label: str) -> None:
            by_stage[label] = round(_peak_mb(), 1)
            sampler.label = label

        with distributed.get_task_stream(client) as stream:
            result = check_on_dask(
                client,
                folder,
                as_of=date.fromisoformat(AS_OF),
                timings=timings,
                network=network,
                partitions=partitions,
                progress=progress,
            )
        by_stage["checked"] = round(_peak_mb(), 1)
        Path(out).write_text(render(result, "json"), encoding="utf-8")
        wall = time.perf_counter() - t1
        sampler.done.set()
        sampler.join()
        peaks = client.run(_peak_mb)
        arrivals = client.run(_arrivals)
        by_task = _by_task(client.run(_task_peaks))
    print(
        json.dumps(
            {
                "cluster_start_s": round(started, 3),
                "wall_s": round(wall, 3),
                "client_peak_mb": round(_peak_mb(), 1),
                "client_peak_mb_before": by_stage,
                "worker_peak_mb": sorted(round(v, 1) for v in peaks.values()),
                "stages": {
                    k: round(v, 3)
                    for k, v in timings.items()
                    if "." not in k or k == "evaluate.workers"
                },
                "network_bytes": network,
                "task_seconds": _task_seconds(stream.data),
                # the stored tables' bytes that arrived at each worker (sent by another
                # or by the client) and at the client, and how many tables
                "stored_arrived": {
                    "workers_bytes": sorted(v[0] for v in arrivals.values()),
                    "workers_tables": sorted(v[1] for v in arrivals.values()),
                    "client_bytes": _arrivals()[0],
                },
                "sampled_peak_mb_by_stage": sampler.by_stage,
                "sampled_peak_mb_by_task": by_task,
                "sampled_mb": sampler.series,
            }
        )
    )


def _run(
    argv: list[str], env: dict[str, str] | None = None
) -> tuple[float, float, str, str, float]:
    with tempfile.TemporaryFile("w+") as o, tempfile.TemporaryFile("w+") as e:
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=o, stderr=e, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        code = os.waitstatus_to_exitcode(status)
        o.seek(0)
        e.seek(0)
        stdout, stderr = o.read(), e.read()
    if code not in (0, 1):
        raise SystemExit(f"{argv[:6]} failed ({code}):\n{stderr[-3000:]}")
    # the rusage of the child's own children (the workers) is in the child's once reaped
    cpu = usage.ru_utime + usage.ru_stime
    return wall, usage.ru_maxrss / 1024, stdout, stderr, cpu


def _one(folder: Path, out: Path) -> dict[str, Any]:
    argv = [sys.executable, "-m", "dualrel", "check", str(folder), "--as-of", AS_OF]
    argv += ["--format", "json", "-o", str(out), "--timings", "-q"]
    wall, peak, _, stderr, cpu = _run(argv)
    stages = json.loads(stderr.strip().splitlines()[-1])
    return {
        "wall_s": round(wall, 3),
        "cpu_s": round(cpu, 3),
        "peak_mb": round(peak, 1),
        "stages": {k: v for k, v in stages.items() if "." not in k},
    }


def _dask(
    folder: Path, out: Path, workers: int, partitions: int, src: str | None = None
) -> dict[str, Any]:
    argv = [sys.executable, __file__, "--child", str(folder), str(out), str(workers)]
    argv.append(str(partitions))
    env = None if src is None else {**os.environ, "PYTHONPATH": src}
    wall, _, stdout, _, cpu = _run(argv, env)
    return {
        "process_wall_s": round(wall, 3),
        "process_cpu_s": round(cpu, 3),
        **json.loads(stdout.strip().splitlines()[-1]),
    }


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        _child_dask(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]) or None)
        return
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("folder", type=Path, help="a CSV registry folder (people.csv, ties.csv)")
    p.add_argument("--parts", type=int, default=16)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--repeat", type=int, default=1)
    p.add_argument(
        "--partitions", type=int, default=0, help="evaluation partitions (0: two per worker)"
    )
    p.add_argument("--work", type=Path, default=Path("/tmp/h20dask"))
    p.add_argument("--baseline", help="a dualrel source tree to run the dask child from too")
    args = p.parse_args()
    from dualrel.graph.parts import split_folder  # noqa: PLC0415

    people = sum(1 for _ in (args.folder / "people.csv").open("rb")) - 1
    split = args.work / f"n{people}-split{args.parts}"
    if not split.is_dir():
        split_folder(str(args.folder), str(split), args.parts)
    sizes = {f.name: f.stat().st_size for f in sorted(split.iterdir())}
    load_at_start = os.getloadavg()
    runs: dict[str, list[dict[str, Any]]] = {"one": [], "dask": [], "base": []}
    for i in range(args.repeat):
        one_out, dask_out = args.work / f"one-{i}.json", args.work / f"dask-{i}.json"
        runs["one"].append(_one(split, one_out))
        runs["dask"].append(_dask(split, dask_out, args.workers, args.partitions))
        if one_out.read_bytes() != dask_out.read_bytes():
            raise SystemExit(f"the reports differ: {one_out} {dask_out}")
        if args.baseline:
            base_out = args.work / f"base-{i}.json"
            runs["base"].append(
                _dask(split, base_out, args.workers, args.partitions, args.baseline)
            )
            if one_out.read_bytes() != base_out.read_bytes():
                raise SystemExit(f"the reports differ: {one_out} {base_out}")
        print(json.dumps({k: v[-1] for k, v in runs.items() if v}), flush=True)
    best_one = min(runs["one"], key=lambda r: r["wall_s"])
    best_dask = min(runs["dask"], key=lambda r: r["wall_s"])
    results = {
        "people": people,
        "parts": args.parts,
        "workers": args.workers,
        "partitions": args.partitions or "default",
        "files_bytes": sum(sizes.values()),
        "largest_file_bytes": max(sizes.values()),
        "reports_identical": True,
        "one": best_one,
        "dask": best_dask,
        "dask_wall_to_one": round(best_dask["wall_s"] / best_one["wall_s"], 3),
        "load_at_start": load_at_start,
        "load_at_end": os.getloadavg(),
        "runs": runs,
    }
    RESULTS.mkdir(exist_ok=True)
    if runs["base"]:
        best_base = min(runs["base"], key=lambda r: r["wall_s"])
        results["base"] = best_base
        results["dask_client_peak_to_base"] = round(
            best_dask["client_peak_mb"] / best_base["client_peak_mb"], 3
        )
        results["dask_client_peak_to_one"] = round(
            best_dask["client_peak_mb"] / best_one["peak_mb"], 3
        )
    stamp = time.strftime("%Y%m%dT%H%M%S")
    out = RESULTS / f"dask-blocks-{people}-p{args.parts}-{stamp}.json"
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
