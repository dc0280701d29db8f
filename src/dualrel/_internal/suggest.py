"""'Did you mean' suggestions for unknown names."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """A suffix for an error message naming the closest known names, or ``""``.

    >>> did_you_mean("romace", ["romance", "business"])
    " (did you mean 'romance'?)"
    >>> did_you_mean("zzz", ["romance"])
    ''
    """
    close = difflib.get_close_matches(name, sorted(set(known)), n=2, cutoff=0.6)
    if not close:
        return ""
    return " (did you mean " + " or ".join(repr(c) for c in close) + "?)"
