"""A CSV folder split over many files: ``people-*.csv``, ``ties-*.csv``, ...

A registry too large for one file per section (or written by many processes at once) is
a folder of *parts*: ``people-0001.csv``, ``people-0002.csv``, ..., ``ties-0001.csv``, ...,
and likewise for each practice section (``contacts-0001.csv``, ...).  Each part has its
own header line.  The parts of a section are read in the order of their names (so number
them with leading zeros), one after the other, as if they were one file: every check is
the same as for ``people.csv`` and ``ties.csv``, and every problem and every record is
located by its part's file and line.  A section is either one file or parts, never both.

The same files are the blocks a distributed check reads (``dualrel.scale``).
"""

from __future__ import annotations

import csv
import itertools
import os
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, cast

from dualrel._internal.problems import Collector
from dualrel._internal.storage import isfile, matching
from dualrel.errors import Problem
from dualrel.graph._csv_common import duplicate_id
from dualrel.graph._locations import LineArray, LineMap, LineRuns, PartLines, RecordLocations
from dualrel.graph._practice_reader import PracticeReader
from dualrel.graph.model import PRACTICE_SECTIONS, Person, Tie

__all__ = [
    "Layout",
    "PracticeParts",
    "check_unique_parts",
    "csv_layout",
    "merge_people",
    "part_files",
    "parts_of",
    "read_part_columns",
    "relocate",
    "split_folder",
]


@dataclass(frozen=True, slots=True)
class Layout:
    """The files of each section of a CSV folder, in reading order."""

    people: tuple[str, ...]
    ties: tuple[str, ...]
    sections: tuple[tuple[str, tuple[str, ...]], ...]  # practice sections present

    @property
    def split(self) -> bool:
        """Whether any section is read from parts."""
        return any(len(files) > 1 or _is_part(files[0]) for _, files in self._all())

    def _all(self) -> list[tuple[str, tuple[str, ...]]]:
        return [("people", self.people), ("ties", self.ties), *self.sections]


def _is_part(path: str) -> bool:
    return "-" in os.path.basename(path)


def parts_of(folder: str, name: str) -> list[str]:
    """The parts of section ``name`` (``name-*.csv``), in reading order."""
    return matching(folder, f"{name}-*.csv")


def part_files(folder: str) -> list[str]:
    """Every part of a split folder, section by section (what its sha256 covers besides
    the single files); empty for a folder of single files."""
    out: list[str] = []
    for name in ("people", "ties", *PRACTICE_SECTIONS):
        out.extend(parts_of(folder, name))
    return out


def csv_layout(folder: str, c: Collector) -> Layout:
    """The files to read; a missing or doubly given section is reported to ``c``."""
    found: dict[str, tuple[str, ...]] = {}
    for name in ("people", "ties", *PRACTICE_SECTIONS):
        single = os.path.join(folder, name + ".csv")
        parts = parts_of(folder, name)
        if parts and isfile(single):
            c.error(
                single,
                "invalid",
                f"both {name}.csv and {len(parts)} parts {name}-*.csv: a section is one file "
                "or parts, not both (docs/registry-format.md)",
            )
            continue
        if parts:
            found[name] = tuple(parts)
        elif isfile(single):
            found[name] = (single,)
    for name in ("people", "ties"):
        if name not in found and not any(p.file.endswith(f"{name}.csv") for p in c.errors):
            c.error(
                os.path.join(folder, name + ".csv"),
                "unreadable",
                "file not found (a CSV registry is a folder with people.csv and ties.csv)",
            )
    return Layout(
        found.get("people", ()),
        found.get("ties", ()),
        tuple((s, found[s]) for s in PRACTICE_SECTIONS if s in found),
    )


def relocate(problem: Problem, lines: PartLines, first: str) -> Problem:
    """A problem the columnar checks located at row + 2 of the parts read as one table
    (file ``first``), located at its own part's file and line."""
    if problem.file != first or problem.line is None:
        return problem
    row = problem.line - 2
    return replace(problem, file=lines.file(row) or first, line=lines.line(row))


def read_part_columns(
    people_files: Sequence[str],
    ties_files: Sequence[str],
    *,
    kinds: Mapping[str, bool],
    roles: Collection[str],
) -> Any:
    """:func:`~dualrel.graph._csv_columns.read_columns` over parts: the parts of each
    section are parsed by pyarrow, joined into one table and checked by the same
    column checks; lines and warnings are then put back in their parts.  None (the row
    reader then reads each part) when a part is outside what the columnar path reads or
    the parts' headers differ."""
    from dualrel.graph._arrow_columns import lines as one_row_per_line  # noqa: PLC0415
    from dualrel.graph._csv_columns import (  # noqa: PLC0415 (pyarrow)
        Columns,
        _table,
        validated_columns,
    )
    from dualrel.graph._csv_common import PEOPLE_COLUMNS, TIE_COLUMNS  # noqa: PLC0415

    tables = []
    for files, required in ((people_files, PEOPLE_COLUMNS), (ties_files, TIE_COLUMNS)):
        read = [_table(f, required) for f in files]
        parts = [t for t in read if t is not None]
        if len(parts) != len(read) or len({tuple(t.column_names) for t in parts}) != 1:
            return None
        tables.append(parts)
    import pyarrow as pa  # noqa: PLC0415

    people_lines, tie_lines = PartLines(), PartLines()
    for parts, files, lines in (
        (tables[0], people_files, people_lines),
        (tables[1], ties_files, tie_lines),
    ):
        at = 0
        for table, file in zip(parts, files, strict=True):
            lines.add(at, file, one_row_per_line(table.num_rows))
            at += table.num_rows
    people_table = pa.concat_tables(tables[0])
    ties_table = pa.concat_tables(tables[1])
    del tables
    columns = validated_columns(
        people_table, ties_table, people_files[0], ties_files[0], kinds=kinds, roles=roles
    )
    if columns is None:
        return None
    w = Collector()
    for p in columns.warnings.warnings:
        in_part = relocate(p, people_lines, people_files[0])
        w.warnings.append(relocate(in_part, tie_lines, ties_files[0]))
    # ``Columns`` says LineRuns (one file); the loader and ``lines_of`` read PartLines too
    read_at = cast("LineRuns", people_lines)
    return Columns(
        replace(columns.people_columns, lines=read_at),
        read_at,
        replace(columns.ties, lines=tie_lines),
        w,
    )


def merge_people(
    parts: Sequence[tuple[str, list[Person], LineMap]], c: Collector
) -> tuple[list[Person], PartLines, dict[str, Person]]:
    """People read part by part, as one section: an id given in two parts is reported at
    the later one (and the registry then fails, as for a duplicate within one file)."""
    people: list[Person] = []
    lines = PartLines()
    by_id: dict[str, Person] = {}
    where: dict[str, tuple[str, int | None]] = {}
    for file, part, part_lines in parts:
        lines.add(len(people), file, part_lines)
        for i, p in enumerate(part):
            first = where.setdefault(p.id, (file, part_lines.line(i)))
            if first[0] != file:
                duplicate_id(c, file, "person", p.id, part_lines.line(i), first[1], first[0])
            by_id.setdefault(p.id, p)
        people.extend(part)
    return people, lines, by_id


def check_unique_parts(c: Collector, ties: Sequence[Tie], lines: PartLines) -> None:
    """Report tie ids used twice, within a part or across parts, with both places."""
    ids = [t.id for t in ties]
    if len(set(ids)) == len(ids):
        return
    first: dict[str, int] = {}
    for i, tid in enumerate(ids):
        j = first.setdefault(tid, i)
        if j != i:
            file = lines.file(i) or ""
            duplicate_id(c, file, "tie", tid, lines.line(i), lines.line(j), lines.file(j) or "")


class PracticeParts:
    """Where each record of a practice section read from parts came from.

    The practice reader keeps one file per section; this puts the records of each part,
    and the problems its cross-record checks find (a duplicate id, an unknown person),
    back in their parts.
    """

    def __init__(self, practice: PracticeReader) -> None:
        self.practice = practice
        self.starts: dict[str, list[tuple[int, str]]] = {}

    def reading(self, section: str, path: str) -> None:
        """Part ``path`` of ``section`` is read next."""
        buf = self.practice.buffers[section]
        self.starts.setdefault(section, []).append((len(buf.records), path))

    def _split(self) -> dict[str, PartLines]:
        out: dict[str, PartLines] = {}
        for section, starts in self.starts.items():
            buf = self.practice.buffers[section]
            if len(starts) < 2 or not buf.records:
                continue
            lines = out[section] = PartLines()
            ends = [s for s, _ in starts[1:]] + [len(buf.records)]
            for (start, file), end in zip(starts, ends, strict=True):
                lines.add(start, file, LineArray(buf.lines[start:end]))
        return out

    def relocate(self, problems: list[Problem], since: int) -> None:
        """Put ``problems[since:]`` (found by the checks across records) in their parts."""
        split = self._split()
        if not split:
            return
        for k in range(since, len(problems)):
            p = problems[k]
            for section, lines in split.items():
                buf = self.practice.buffers[section]
                if p.file != buf.file or p.record is None:
                    continue
                at = [
                    i
                    for i, rec in enumerate(buf.records)
                    if rec.id == p.record and (buf.lines[i] or None) == p.line
                ]
                if at:
                    problems[k] = replace(p, file=lines.file(at[-1]) or p.file)
                    break

    def add_locations(self, locations: RecordLocations) -> None:
        """Each record of a split section located in its own part."""
        for section, lines in self._split().items():
            buf = self.practice.buffers[section]
            locations.add_section(
                PRACTICE_SECTIONS[section], buf.file, None, lines, buf.pointer, buf.records
            )


def split_folder(source: str, target: str, parts: int) -> list[str]:
    """Write the CSV folder ``source`` again as a split folder in ``target``: each section
    (``people.csv``, ``ties.csv``, each practice section present) as ``parts`` parts of
    about as many rows, named ``people-0001.csv``, ..., each with the section's header.
    Returns the files written.  Reading ``target`` gives the same registry as ``source``,
    each record located in its part."""
    if parts < 1:
        raise ValueError(f"parts must be at least 1, got {parts}")
    os.makedirs(target, exist_ok=True)
    written: list[str] = []
    for name in ("people", "ties", *PRACTICE_SECTIONS):
        path = os.path.join(source, name + ".csv")
        if not os.path.isfile(path):
            continue
        # two passes, row by row: a section of tens of millions of rows does not fit in
        # memory as lists of strings
        with open(path, newline="", encoding="utf-8-sig") as f:
            rows = sum(1 for _ in csv.reader(f, strict=True))
        if not rows:
            continue
        size = -(-(rows - 1) // parts)
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f, strict=True)
            header = next(reader)
            for k in range(parts):
                out = os.path.join(target, f"{name}-{k + 1:04d}.csv")
                with open(out, "w", newline="", encoding="utf-8") as o:
                    w = csv.writer(o, lineterminator="\n")
                    w.writerow(header)
                    w.writerows(itertools.islice(reader, size))
                written.append(out)
    return written
