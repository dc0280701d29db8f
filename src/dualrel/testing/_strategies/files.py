"""Printing a drawn registry as the JSON document ``dualrel check`` reads."""

from __future__ import annotations

import io

from dualrel.graph.dump import dump_registry
from dualrel.graph.model import Registry

__all__ = ["registry_json", "write_registry"]


def registry_json(registry: Registry) -> str:
    """The registry as the JSON document ``dualrel check`` reads.

    >>> from datetime import date
    >>> from dualrel.graph.model import Person, Tie
    >>> print(registry_json(Registry((Person("co1", ("coach",)), Person("cl1")),
    ...                              (Tie("t1", "romance", "co1", "cl1"),),
    ...                              as_of=date(2026, 1, 1))))
    {"format": "dualrel.registry/1",
     "as_of": "2026-01-01",
     "people": [
      {"id": "co1", "roles": ["coach"]},
      {"id": "cl1", "roles": []}
     ],
     "ties": [
      {"id": "t1", "kind": "romance", "source": "co1", "target": "cl1", "start": null, "end": null}
     ]}
    <BLANKLINE>
    """
    buf = io.StringIO()
    dump_registry(registry, buf)
    return buf.getvalue()


def write_registry(registry: Registry, path: str) -> str:
    """Write ``registry`` to ``path`` as JSON (atomically) and return the path."""
    dump_registry(registry, path)
    return path
