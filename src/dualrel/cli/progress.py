"""How a long ``check`` shows its progress on stderr: a live display on a terminal, one log
line per finished stage elsewhere (a CI log), nothing at all when quiet.

The check calls ``progress(step, total, label)`` as each stage begins, and ``on_read(n)``
with the bytes of the registry each read returned: loading is most of a large check, so
the terminal shows the bytes read of the registry's size, the rate and the time left, and
the log line of that stage its size and rate.  Only stage names and ruleset ids are shown,
never anything read from the registry.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from typing import Any, Literal, TextIO

from dualrel._internal.terminal import printable
from dualrel.graph.model import PRACTICE_SECTIONS

__all__ = ["Progress", "ProgressMode", "registry_bytes"]

#: ``auto``: live on a terminal, log lines elsewhere; ``quiet``: nothing.
ProgressMode = Literal["auto", "quiet"]

#: The stage whose bytes are counted (the check's own label for it).
_LOADING = "loading the registry"


def registry_bytes(path: str) -> int | None:
    """The size of a registry's files: the file, or a folder's CSV files; None when they
    cannot be told (the load then reports why)."""
    try:
        if not os.path.isdir(path):
            return os.path.getsize(path)
        names = ["people", "ties", *PRACTICE_SECTIONS]
        files = [os.path.join(path, name + ".csv") for name in names]
        from dualrel.graph.parts import part_files  # noqa: PLC0415 (folders only)

        files += part_files(path)  # a split folder's parts
        return sum(os.path.getsize(f) for f in files if os.path.isfile(f))
    except OSError:
        return None


def _size(n: float) -> str:
    """Bytes in decimal units, as file managers show them.

    >>> _size(999), _size(1_234_567), _size(2.5e9)
    ('999 bytes', '1.2 MB', '2.5 GB')
    """
    if n < 1000:
        return f"{n:.0f} bytes"
    for unit in ("kB", "MB", "GB"):
        n /= 1000
        if n < 1000 or unit == "GB":
            break
    return f"{n:.1f} {unit}"


class Progress:
    """``progress(step, total, label)`` as each stage begins, :meth:`on_read` as bytes are
    read, :meth:`close` at the end (the live display is cleared; a stage left open by an
    error is not logged).

    ``stream`` is stderr unless given; ``total_bytes`` the registry's size (None: unknown,
    then no bar and no time left); ``clock`` returns seconds (the tests give their own).
    """

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        mode: ProgressMode = "auto",
        total_bytes: int | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.stream = sys.stderr if stream is None else stream
        isatty = getattr(self.stream, "isatty", None)
        self.live = mode == "auto" and bool(isatty and isatty())
        self.log = mode == "auto" and not self.live
        self.total_bytes = total_bytes
        self.clock = clock
        self.read = 0
        self._stage: tuple[int, int, str] | None = None
        self._began = 0.0
        self._display: Any = None  # rich.progress.Progress, imported when drawn
        self._task: Any = None
        self._started = False

    def __call__(self, step: int, total: int, label: str) -> None:
        now = self.clock()
        if self._stage is not None:
            self._finish(now)
        self._stage = None if step >= total else (step, total, printable(label))
        self._began = now
        if self.live and self._stage is not None:
            self._draw(step, total, self._stage[2])

    def on_read(self, n: int) -> None:
        """``n`` more bytes of the registry were read."""
        self.read += n
        if self._loading:
            self._display.update(self._task, completed=self.read)

    def close(self) -> None:
        if self._display is not None:
            self._display.stop()
            self._display = None

    def _finish(self, now: float) -> None:
        assert self._stage is not None
        step, total, label = self._stage
        if self.log:
            seconds = now - self._began
            line = f"dualrel: [{step + 1}/{total}] {label}: {seconds:.2f} s"
            if label == _LOADING and self.read:
                rate = f", {_size(self.read / seconds)}/s" if seconds > 0 else ""
                line += f" ({_size(self.read)}{rate})"
            self.stream.write(line + "\n")
            self.stream.flush()
        elif self._loading:  # show the bytes read in full before the next stage
            self._display.update(self._task, completed=self.read)
            self._display.refresh()

    @property
    def _loading(self) -> bool:
        return self._display is not None and self._stage is not None and self._stage[2] == _LOADING

    def _draw(self, step: int, total: int, label: str) -> None:
        display = self._rich()
        loading = label == _LOADING
        display.reset(
            self._task,
            description=f"[{step + 1}/{total}] {label}",
            total=self.total_bytes if loading else None,
            completed=self.read if loading else 0,
            bytes=loading,
        )
        if self._started:
            display.refresh()
        else:  # started once the first stage is named: no blank first frame
            display.start()
            self._started = True

    def _rich(self) -> Any:
        if self._display is None:
            # imported only to draw on a terminal: a command in CI or a script starts faster
            from rich.console import Console  # noqa: PLC0415
            from rich.progress import (  # noqa: PLC0415
                BarColumn,
                DownloadColumn,
                ProgressColumn,
                SpinnerColumn,
                Task,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
                TransferSpeedColumn,
            )
            from rich.progress import Progress as Display  # noqa: PLC0415
            from rich.text import Text  # noqa: PLC0415

            class WhileLoading(ProgressColumn):
                """A column drawn while the registry is read, blank in the other stages."""

                def __init__(self, column: ProgressColumn) -> None:
                    super().__init__()
                    self.column = column

                def render(self, task: Task) -> Any:
                    return self.column.render(task) if task.fields.get("bytes") else Text("")

            console = Console(file=self.stream, highlight=False, markup=False, emoji=False)
            self._display = Display(
                SpinnerColumn(),
                TextColumn("{task.description}", markup=False),
                WhileLoading(BarColumn()),
                WhileLoading(DownloadColumn()),
                WhileLoading(TransferSpeedColumn()),
                WhileLoading(TimeRemainingColumn()),
                TimeElapsedColumn(),
                console=console,
                transient=True,
                redirect_stdout=False,
                redirect_stderr=False,
            )
            self._task = self._display.add_task("", total=None, bytes=False)
        return self._display
