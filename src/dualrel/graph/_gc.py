"""Pausing the cyclic garbage collector while building millions of objects (private)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["gc_paused"]


@contextmanager
def gc_paused() -> Iterator[None]:
    """Disable automatic collection inside the block (restored after, even on error).

    Loading builds millions of small containers and no reference cycles; each automatic
    collection would scan everything built so far, which makes loading quadratic-ish.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
