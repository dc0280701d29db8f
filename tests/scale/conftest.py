"""A Dask LocalCluster (two worker processes of one thread, no dashboard) per module:
starting one takes seconds."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

if not os.environ.get("CI"):  # CI installs the dask extra: there, its absence fails
    pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    from dualrel.scale import connect  # noqa: PLC0415

    with connect("local:2") as c:
        yield c
