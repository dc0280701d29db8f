"""One stopwatch for the stages of a check (private).

``--timings`` prints the seconds each stage took; :class:`Stopwatch` adds them up into a
``stage -> seconds`` mapping that the caller owns, so several stopwatches (the check's,
the engine's) can fill the same one.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, MutableMapping

__all__ = ["Stopwatch", "timings_line"]


class Stopwatch:
    """Adds the seconds since the last lap to a stage; started when made.

    >>> stages: dict[str, float] = {}
    >>> watch = Stopwatch(stages)
    >>> watch.lap("load"); watch.lap("load"); watch.lap("evaluate")
    >>> sorted(stages), all(s >= 0 for s in stages.values())
    (['evaluate', 'load'], True)
    """

    __slots__ = ("_since", "stages")

    def __init__(self, stages: MutableMapping[str, float] | None = None) -> None:
        #: stage -> seconds; a stage timed twice adds up
        self.stages: MutableMapping[str, float] = stages if stages is not None else {}
        self._since = time.perf_counter()

    def lap(self, stage: str) -> None:
        """Add the seconds since the last lap (or the start) to ``stage``."""
        now = time.perf_counter()
        self.stages[stage] = self.stages.get(stage, 0.0) + now - self._since
        self._since = now

    def restart(self) -> None:
        """Start the next lap now: the time since was timed elsewhere (into the same
        mapping, by whoever was called)."""
        self._since = time.perf_counter()


def timings_line(stages: Mapping[str, float]) -> str:
    """The ``--timings`` line: one JSON object of stage -> seconds, to 4 decimals.

    >>> timings_line({"compile": 0.123456, "evaluate": 2.0})
    '{"compile": 0.1235, "evaluate": 2.0}\\n'
    """
    return json.dumps({k: round(v, 4) for k, v in stages.items()}) + "\n"
