"""The progress bar."""

from __future__ import annotations

import io

from dualrel.cli.progress import Progress


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_only_on_a_terminal() -> None:
    quiet = io.StringIO()
    p = Progress(quiet)
    p(1, 4, "loading")
    p.close()
    assert quiet.getvalue() == ""
    tty = _Tty()
    p = Progress(tty, width=8)
    p(2, 4, "evaluating")
    assert "[####----] 2/4 evaluating" in tty.getvalue()
    p.close()
    assert tty.getvalue().endswith("\r\033[K")
