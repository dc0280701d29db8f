"""A section's records kept as columns, made into objects only when asked for (private).

The columnar reader of ``contacts.csv`` validates the contacts as columns (each distinct
value once), and a check reads most of them only as columns too: admission picks the
few that can take part in a match from the reader's columns, the cross-record check tells
the ids apart and the people known from them.  :class:`LazyRecords` stands for the
section's tuple of records: it holds the ids and each field's distinct values and codes,
makes the records at given rows (:meth:`LazyRecords.objects`) in one fill, and the whole
tuple the first time something iterates over it, so that a reader of the records sees
the same records either way.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import repeat
from typing import TYPE_CHECKING, Any, TypeAlias, overload

if TYPE_CHECKING:
    from dualrel.graph.columns import DistinctCodes

__all__ = ["LazyRecords", "Slot"]

#: One field of every record: its distinct values and codes (``Encoded``), a list of each
#: record's value, or one value (a tuple ``(value,)``) every record shares.
Slot: TypeAlias = "DistinctCodes | list[Any] | tuple[Any]"

# (this module imports no pyarrow: the practice reader and the checks that ask whether
# records are lazy import it; only the columnar reader, which has pyarrow, makes them)


class LazyRecords(Sequence[Any]):
    """The records of ``cls`` whose fields, in ``new``'s order, are ``slots``; ``ids`` is
    the list of their ids (the first slot).  Equal to (and hashed as) the tuple of its
    records."""

    __slots__ = ("_made", "cls", "ids", "new", "slots")

    def __init__(self, new: tuple[Any, ...], cls: type[Any], slots: Sequence[Slot]) -> None:
        first = slots[0]
        assert isinstance(first, list), "the ids come first, as a list"
        self.new = new
        self.cls = cls
        self.slots = tuple(slots)
        self.ids: list[str] = first
        self._made: list[Any] | None = None

    def __len__(self) -> int:
        return len(self.ids)

    def objects(self, rows: Sequence[int]) -> list[Any]:
        """The records at ``rows`` (any order, repeats allowed), made in one fill."""
        made = self._made
        if made is not None:
            return list(map(made.__getitem__, rows))
        return self._fill(rows)

    def _every(self) -> list[Any]:
        """Every record, made once and kept: whoever iterates sees the same objects."""
        made = self._made
        if made is None:
            made = self._made = self._fill(None)
            self.slots = ()  # the objects hold the values now
        return made

    def _fill(self, rows: Sequence[int] | None) -> list[Any]:
        """The records at ``rows`` (None: every record), made in one fill."""
        from dualrel.graph._arrow_columns import fill, ints  # noqa: PLC0415 (pyarrow)

        columns: list[Iterable[Any]] = []
        for slot in self.slots:
            if isinstance(slot, tuple):  # one value every record shares
                columns.append(repeat(slot[0]))
            elif isinstance(slot, list):  # each record's value
                columns.append(slot if rows is None else map(slot.__getitem__, rows))
            else:  # distinct values and each record's code (only the rows' codes read)
                codes = ints(slot.codes)
                picked = codes if rows is None else map(codes.__getitem__, rows)
                columns.append(map(slot.values.__getitem__, picked))
        return fill(self.new, self.cls, len(self.ids) if rows is None else len(rows), columns)

    @overload
    def __getitem__(self, i: int) -> Any: ...

    @overload
    def __getitem__(self, i: slice) -> tuple[Any, ...]: ...

    def __getitem__(self, i: int | slice) -> Any:
        if isinstance(i, slice):
            return tuple(self._every()[i])
        if self._made is not None:
            return self._made[i]
        n = len(self.ids)
        if not -n <= i < n:
            raise IndexError("record index out of range")
        return self.objects([i % n])[0]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._every())

    def __reversed__(self) -> Iterator[Any]:
        return iter(self._every()[::-1])

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LazyRecords):
            return self._every() == other._every()
        if isinstance(other, tuple):
            return tuple(self._every()) == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(self._every()))

    def __add__(self, other: tuple[Any, ...]) -> tuple[Any, ...]:
        return (*self._every(), *other)

    def __radd__(self, other: tuple[Any, ...]) -> tuple[Any, ...]:
        return (*other, *self._every())

    def __repr__(self) -> str:
        return repr(tuple(self._every()))
