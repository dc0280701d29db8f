"""A progress bar on stderr, drawn only when stderr is a terminal."""

from __future__ import annotations

import sys
from typing import TextIO

from dualrel._internal.terminal import printable

__all__ = ["Progress"]


class Progress:
    """``Progress()(step, total, label)`` redraws one line; :meth:`close` clears it.

    Nothing at all is written when the stream is not a terminal.
    """

    def __init__(self, stream: TextIO | None = None, *, width: int = 24) -> None:
        self.stream = sys.stderr if stream is None else stream
        isatty = getattr(self.stream, "isatty", None)
        self.enabled = bool(isatty and isatty())
        self.width = width
        self._drawn = False

    def __call__(self, step: int, total: int, label: str) -> None:
        if not self.enabled:
            return
        done = round(self.width * step / total) if total else self.width
        bar = "#" * done + "-" * (self.width - done)
        self.stream.write(f"\r\033[K[{bar}] {step}/{total} {printable(label)}")
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        if self.enabled and self._drawn:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self._drawn = False
