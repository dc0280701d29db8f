"""A section's usual filter, one fact field of one record field (private).

The filter of a contact's window reads one datetime per record; a CSV folder's contacts
share one datetime object per distinct time (a tenth as many as contacts), so each is
worked out and tested once.  (Picking the records that pass in C loops, by the verdict
of each distinct value, measured no faster: the lookup per record is most of the cost.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dualrel.rules._fields import KIND

__all__ = ["OneFieldFilter"]

#: Values remembered per filter, at most.
_CACHED = 200_000
#: a record failing the filter's tests
_FAILS = object()


class OneFieldFilter:
    """The filling tester of one fact field read from one record field (a contact's
    window): worked out and tested once per distinct value object (a CSV folder's
    contacts share one datetime per distinct time, a tenth as many as contacts)."""

    __slots__ = ("_compute", "_field", "_get", "_key", "_kind", "_memo", "_tests")

    def __init__(
        self,
        field: str,
        kind: str,
        key: str,
        compute: Callable[[Any], float | int],
        tests: list[tuple[Callable[[Any, Any], bool], float]],
    ) -> None:
        self._field, self._kind, self._key = field, kind, key
        self._compute, self._tests = compute, tests
        #: by ``id`` of a value: (the value, its fact value or _FAILS); the entry holds
        #: the object, so its id is not reused while cached
        self._memo: dict[int, tuple[Any, Any]] = {}
        self._get = self._memo.get

    def _work_out(self, rec: Any, obj: Any) -> Any:
        """The fact value of ``rec`` (whose field holds ``obj``, not in the memo), or
        _FAILS; remembered."""
        computed = self._compute(rec)
        found = computed if all(op(computed, x) for op, x in self._tests) else _FAILS
        if obj is not None and len(self._memo) < _CACHED:
            self._memo[id(obj)] = (obj, found)
        return found

    def __call__(self, rec: Any) -> dict[str, Any] | None:
        obj = getattr(rec, self._field)
        # the memo's hit without a call (every record of the section comes here)
        hit = self._get(id(obj))
        found = hit[1] if hit is not None and hit[0] is obj else self._work_out(rec, obj)
        return None if found is _FAILS else {KIND: self._kind, self._key: found}
