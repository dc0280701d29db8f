"""A compact, lazy map from records to where they were read (private).

A registry of millions of ties would spend a gigabyte on one ``SourceLocation`` per
record; this map keeps one integer per record and builds locations on demand.
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from dualrel.graph._lazy_records import LazyRecords
from dualrel.graph.model import SourceLocation

__all__ = ["LineArray", "LineMap", "LineRuns", "PartLines", "RecordLocations"]


class LineMap:
    """Line of the i-th record of a section (None when unknown)."""

    __slots__ = ()

    def line(self, i: int) -> int | None:  # pragma: no cover - interface
        raise NotImplementedError


class LineArray(LineMap):
    """One line number per record (0: unknown)."""

    __slots__ = ("lines",)

    def __init__(self, lines: array[int] | None = None) -> None:
        self.lines: array[int] = lines if lines is not None else array("l")

    def line(self, i: int) -> int | None:
        lines = self.lines
        return (lines[i] or None) if 0 <= i < len(lines) else None


class LineRuns(LineMap):
    """Lines as runs: record i is on line ``i + offset``, the offset changing rarely.

    CSV rows are one per line except after a blank line or a quoted line break, so this
    costs a comparison per row instead of an array entry.
    """

    __slots__ = ("count", "offsets", "starts")

    def __init__(self) -> None:
        self.starts = array("l")
        self.offsets = array("l")
        self.count = 0

    def line(self, i: int) -> int | None:
        if not 0 <= i < self.count:
            return None
        k = bisect_right(self.starts, i) - 1
        return i + self.offsets[k] if k >= 0 else None


class PartLines(LineMap):
    """Lines of a section read from several files in turn (a split CSV folder's
    ``ties-0001.csv``, ``ties-0002.csv``, ...): record i is in the last part starting at or
    before i, on that part's line for it."""

    __slots__ = ("files", "lines", "starts")

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.files: list[str] = []
        self.lines: list[LineMap] = []

    def add(self, start: int, file: str, lines: LineMap) -> None:
        """The part of ``file`` starts at record ``start``; ``lines`` counts from there."""
        self.starts.append(start)
        self.files.append(file)
        self.lines.append(lines)

    def _part(self, i: int) -> int:
        return bisect_right(self.starts, i) - 1

    def line(self, i: int) -> int | None:
        k = self._part(i)
        return self.lines[k].line(i - self.starts[k]) if k >= 0 else None

    def file(self, i: int) -> str | None:
        k = self._part(i)
        return self.files[k] if k >= 0 else None

    def take(self, rows: Sequence[int]) -> PartLines:
        """The lines of the records at ``rows`` (ascending), as records 0, 1, ..."""
        out = PartLines()
        k = -1
        for n, i in enumerate(rows):
            part = self._part(i)
            if part != k:
                k = part
                out.add(n, self.files[k], LineArray())
            at = out.lines[-1]
            assert isinstance(at, LineArray)
            at.lines.append(self.line(i) or 0)
        return out


class _Section:
    """One kind of record; its id -> position index is built on first use when not given."""

    __slots__ = ("_index", "file", "lines", "pointer", "positions", "records")

    def __init__(  # noqa: PLR0917
        self,
        file: str,
        index: Mapping[str, int] | None,
        lines: LineMap,
        pointer: str | None,
        records: Sequence[Any] = (),
        positions: Sequence[int] | None = None,
    ) -> None:
        self.file = file
        self._index = index
        self.records = records
        self.lines = lines
        self.pointer = pointer
        self.positions = positions

    @property
    def index(self) -> Mapping[str, int]:
        if self._index is None:
            # records kept as columns give their ids without being made
            if isinstance(self.records, LazyRecords):
                self._index = {rid: i for i, rid in enumerate(self.records.ids)}
            else:
                self._index = {r.id: i for i, r in enumerate(self.records)}
            self.records = ()
        return self._index

    def get(self, record_id: str) -> SourceLocation | None:
        i = self.index.get(record_id)
        if i is None:
            return None
        return self.at(i)

    def columns(
        self, positions: Sequence[int]
    ) -> tuple[list[str | None], list[int | None], list[str | None]]:
        """The file, line and pointer of each record at ``positions``, as :meth:`at`
        gives them, column by column."""
        lines = self.lines
        files: list[str | None]
        if isinstance(lines, PartLines):
            files = [f or self.file for f in map(lines.file, positions)]
        else:
            files = [self.file] * len(positions)
        pointers: list[str | None]
        if self.pointer is None:
            pointers = [None] * len(positions)
        else:
            at = positions if self.positions is None else map(self.positions.__getitem__, positions)
            pointers = [f"{self.pointer}/{i}" for i in at]
        return files, list(map(lines.line, positions)), pointers

    def at(self, i: int) -> SourceLocation:
        pointer = None
        if self.pointer is not None:
            pointer = f"{self.pointer}/{i if self.positions is None else self.positions[i]}"
        lines = self.lines
        file = (lines.file(i) or self.file) if isinstance(lines, PartLines) else self.file
        return SourceLocation(file, lines.line(i), pointer)


class RecordLocations(Mapping[tuple[str, str], SourceLocation]):
    """``("person", id)`` / ``("tie", id)`` to a ``SourceLocation``, computed on access."""

    __slots__ = ("_sections",)

    def __init__(self) -> None:
        self._sections: dict[str, _Section] = {}

    def add_section(  # noqa: PLR0917
        self,
        kind: str,
        file: str,
        index: Mapping[str, int] | None,
        lines: LineMap,
        pointer: str | None,
        records: Sequence[Any] = (),
        positions: Sequence[int] | None = None,
    ) -> None:
        """``index`` maps ids to positions; when None it is built from ``records`` (each
        with an ``id``) the first time a location is asked for.  ``positions[i]`` is the
        index of record i in the document's array (its JSON pointer), when the section
        holds only some of them."""
        self._sections[kind] = _Section(file, index, lines, pointer, records, positions)

    def update_from(self, other: RecordLocations) -> None:
        """Take every section of ``other`` (a registry narrowed to some of its ties keeps
        where its people and records were read)."""
        self._sections.update(other._sections)

    def at(self, kind: str, position: int) -> SourceLocation | None:
        """Where the record at ``position`` of its section was read: no id index needed
        (building one over millions of ties costs seconds and hundreds of megabytes)."""
        section = self._sections.get(kind)
        return section.at(position) if section is not None else None

    def columns(
        self, kind: str, positions: Sequence[int]
    ) -> tuple[list[str | None], list[int | None], list[str | None]] | None:
        """Where the records at ``positions`` of their section were read, as :meth:`at`
        says, by columns: each one's file, line and pointer (None: no such section)."""
        section = self._sections.get(kind)
        return section.columns(positions) if section is not None else None

    def __getitem__(self, key: tuple[str, str]) -> SourceLocation:
        kind, record_id = key
        section = self._sections.get(kind)
        loc = section.get(record_id) if section is not None else None
        if loc is None:
            raise KeyError(key)
        return loc

    def __iter__(self) -> Iterator[tuple[str, str]]:
        for kind, section in self._sections.items():
            for record_id in section.index:
                yield (kind, record_id)

    def __len__(self) -> int:
        return sum(
            len(s.records) if s._index is None else len(s._index) for s in self._sections.values()
        )

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, tuple) or len(key) != 2:
            return False
        section = self._sections.get(key[0])
        return section is not None and key[1] in section.index

    def __repr__(self) -> str:
        return f"<RecordLocations of {len(self)} records>"
