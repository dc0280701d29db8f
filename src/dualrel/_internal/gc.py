"""Pausing the cyclic garbage collector while building millions of objects (private)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["gc_paused"]


@contextmanager
def gc_paused() -> Iterator[None]:
    """Disable automatic collection inside the block; restore it after, even on error.

    Loading builds millions of small, long-lived containers and no reference cycles.  Left
    on, the collector would scan everything built so far again and again; re-enabled
    plainly, its next young collection would still walk all of it once just to promote it.
    So on success the objects are promoted straight to the oldest generation
    (``gc.freeze()`` then ``gc.unfreeze()``, two list splices), where they wait for the
    next full collection like any long-lived data.  This is skipped when the program has
    frozen objects of its own, so its ``gc.freeze()`` is never undone.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    ok = False
    try:
        yield
        ok = True
    finally:
        if ok and was_enabled and gc.get_freeze_count() == 0:
            gc.freeze()
            gc.unfreeze()
        if was_enabled:
            gc.enable()
