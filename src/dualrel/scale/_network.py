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
    """``value``'s bytes as Dask sends it (pickled, buffers out of band), counted as they
    are written: held whole, the pickle of a stage's largest files made the measure the
    largest task on a worker.  A table's handle hands its mapped file out of band
    (``_on_disk.Stored``), counted without being read."""
    counted = _Counted()

    def out_of_band(buffer: pickle.PickleBuffer) -> None:
        counted.bytes += buffer.raw().nbytes

    pickle.Pickler(counted, protocol=pickle.HIGHEST_PROTOCOL, buffer_callback=out_of_band).dump(
        value
    )
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
