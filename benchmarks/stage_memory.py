"""Where a check's memory goes: the resident set at the end of each stage and its peak
within each stage.

    python benchmarks/stage_memory.py check REGISTRY --as-of 2026-11-26 --format json \\
        -o REPORT --timings --jobs 1

Runs ``dualrel`` (the arguments are the command's own) in this process; a thread samples
the resident set every 20 ms, and each ``--timings`` lap closes a stage.  The last line
on stderr is one JSON object: per stage, its seconds, the CPU seconds the process spent in
it (``cpu_s``, every thread's user and system time: what a busy machine's other jobs
change least), the resident MB at its end and the largest resident MB seen during it
(``peak_mb``), plus ``max_rss_mb``, the process's peak as the kernel counts it.  What
grows faster than the registry shows as a stage whose peak per tie rises from one
registry size to the next.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import threading
import time
from typing import Any

_PAGE = os.sysconf("SC_PAGE_SIZE")


def resident_mb() -> float:
    with open("/proc/self/statm", encoding="ascii") as f:
        return int(f.read().split()[1]) * _PAGE / 2**20


class Sampler:
    """The largest resident set seen since the last :meth:`close`, by stage."""

    def __init__(self, every: float = 0.02) -> None:
        self.every = every
        self.peak = resident_mb()
        self.cpu = time.process_time()
        self.stages: dict[str, dict[str, float]] = {}
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._done.wait(self.every):
            now = resident_mb()
            with self._lock:
                self.peak = max(self.peak, now)

    def close(self, stage: str, seconds: float) -> None:
        now = resident_mb()
        cpu, self.cpu = self.cpu, time.process_time()
        with self._lock:
            peak, self.peak = max(self.peak, now), now
        row = self.stages.setdefault(
            stage, {"seconds": 0.0, "cpu_s": 0.0, "peak_mb": 0.0, "end_mb": 0.0}
        )
        row["seconds"] += seconds
        row["cpu_s"] = round(row["cpu_s"] + self.cpu - cpu, 3)
        row["peak_mb"] = max(row["peak_mb"], round(peak, 1))
        row["end_mb"] = round(now, 1)

    def stop(self) -> dict[str, Any]:
        self._done.set()
        self._thread.join()
        return {
            "stages": self.stages,
            "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        }


def main() -> None:
    from dualrel._internal import timing  # noqa: PLC0415 (after the sampler starts)
    from dualrel.cli import main as dualrel_main  # noqa: PLC0415

    sampler = Sampler()
    lap = timing.Stopwatch.lap

    def measured_lap(self: timing.Stopwatch, stage: str) -> None:
        since = self._since
        lap(self, stage)
        sampler.close(stage, time.perf_counter() - since)

    timing.Stopwatch.lap = measured_lap  # type: ignore[method-assign]
    code = dualrel_main(sys.argv[1:])
    sys.stderr.write(json.dumps(sampler.stop()) + "\n")
    sys.stderr.flush()
    os._exit(code)  # as ``dualrel`` does: the registry is not freed object by object


if __name__ == "__main__":
    main()
