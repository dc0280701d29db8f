"""What crosses the network in a check on Dask, measured (private).

A stage's bytes are its results pickled, as Dask sends them from one process to another;
a result is sized on the worker that holds it, so measuring brings only a number to the
client.
"""

from __future__ import annotations

import pickle
from collections.abc import MutableMapping, Sequence
from typing import Any

__all__ = ["count", "measure", "size"]


def size(value: object) -> int:
    """``value``'s bytes as Dask sends it (pickled), counted as they are written: a
    table's handle pickles its file's bytes, and held whole, the pickle of a stage's
    largest files made the measure the largest task on a worker."""
    counted = _Counted()
    pickle.Pickler(counted, protocol=pickle.HIGHEST_PROTOCOL).dump(value)
    return counted.bytes


class _Counted:
    """A file that counts what is written to it."""

    def __init__(self) -> None:
        self.bytes = 0

    def write(self, data: bytes | memoryview) -> int:
        n = memoryview(data).nbytes
        self.bytes += n
        return n


def count(into: MutableMapping[str, int], key: str, n: int) -> None:
    """Add ``n`` bytes to stage ``key``."""
    into[key] = into.get(key, 0) + n


def measure(
    client: Any, network: MutableMapping[str, int] | None, key: str, futures: Sequence[Any]
) -> None:
    """Add the bytes of the results of ``futures`` to stage ``key`` (nothing when
    ``network`` is None)."""
    if network is not None and futures:
        sizes = client.gather([client.submit(size, f, pure=False) for f in futures])
        count(network, key, sum(sizes))
