"""Checks across records, then the registry with its locations, shared by every format
(private).

After a format's records went through the readers (``_people_ties`` for people and ties,
``_practice_reader`` for the practice sections), :func:`assemble` checks across them
(duplicate ids, unknown people, role warnings, references of practice records) and
:func:`finish` raises what was collected or gives the registry with its locations.
"""

from __future__ import annotations

from array import array
from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from datetime import date

from dualrel._internal.problems import Collector
from dualrel._internal.suggest import Suggester
from dualrel.graph._locations import LineArray, LineMap, RecordLocations
from dualrel.graph._people_ties import ROLE_EXPECTATIONS
from dualrel.graph._practice_reader import PracticeReader
from dualrel.graph.model import Person, Registry, Tie

__all__ = ["SectionInfo", "assemble", "finish"]


class SectionInfo:
    """Where the records of one kind (people or ties) were read, for locating problems."""

    __slots__ = ("file", "lines", "pointer", "positions")

    def __init__(
        self,
        file: str,
        lines: LineMap | array[int],
        pointer: str | None,
        positions: array[int] | None = None,
    ) -> None:
        #: ``lines[i]`` is the line of the i-th accepted record (0: unknown);
        #: ``positions[i]`` its index in the document's array (for JSON pointers).
        self.file = file
        self.lines: LineMap = lines if isinstance(lines, LineMap) else LineArray(lines)
        self.pointer = pointer
        self.positions = positions

    def line(self, i: int) -> int | None:
        return self.lines.line(i)

    def ptr(self, i: int, field: str | None = None) -> str | None:
        if self.pointer is None:
            return None
        pos = self.positions[i] if self.positions is not None else i
        return f"{self.pointer}/{pos}" + (f"/{field}" if field else "")


def assemble(
    collector: Collector,
    people: Sequence[Person],
    people_at: SectionInfo,
    ties: Sequence[Tie],
    ties_at: SectionInfo,
    *,
    as_of: date | None,
    source: str,
    kinds: Mapping[str, bool],
    rejected_refs: Sequence[tuple[str, int | None, str | None, str | None, str, str]] = (),
    rejected_people: Collection[str] = (),
    practice: PracticeReader | None = None,
    hints: bool = True,
) -> Registry:
    """Checks across records, then the Registry (raises ``RegistryError`` on any error).

    ``people`` and ``ties`` must be exactly the records of the file, in order, when no
    error was collected before (their positions are the positions in the file).
    ``hints=False`` words no "did you mean" (for a caller that only needs to know
    whether there is an error).
    """
    c = collector
    pindex: dict[str, int] = {}
    for i, p in enumerate(people):
        first = pindex.setdefault(p.id, i)
        if first != i:
            c.error(
                people_at.file,
                "duplicate-person",
                f"person id {p.id!r} already used" + _at(people_at, first),
                line=people_at.line(i),
                pointer=people_at.ptr(i, "id"),
                record=p.id,
                field="id",
            )
    roles_of = {p.id: p.roles for p in people}
    tindex: dict[str, int] = {}
    suggest = Suggester(pindex, budget=None if hints else 0)
    expect = ROLE_EXPECTATIONS
    for i, t in enumerate(ties):
        first = tindex.setdefault(t.id, i)
        if first != i:
            c.error(
                ties_at.file,
                "duplicate-tie",
                f"tie id {t.id!r} already used" + _at(ties_at, first),
                line=ties_at.line(i),
                pointer=ties_at.ptr(i),
                record=t.id,
                field="id",
            )
        src_roles = roles_of.get(t.source)
        tgt_roles = roles_of.get(t.target)
        if src_roles is None or tgt_roles is None:
            for field, pid in (("source", t.source), ("target", t.target)):
                if pid not in roles_of and pid not in rejected_people:
                    hint = suggest.hint(pid)
                    c.error(
                        ties_at.file,
                        "unknown-person",
                        f"{field} {pid!r} is not a person of the registry{hint}",
                        line=ties_at.line(i),
                        pointer=ties_at.ptr(i, field),
                        record=t.id,
                        field=field,
                    )
            continue
        want = expect.get(t.kind)
        if want is None:
            continue
        for field, role, have in (
            ("source", want[0], src_roles),
            ("target", want[1], tgt_roles),
        ):
            if role is not None and role not in have:
                pid = t.source if field == "source" else t.target
                c.warning(
                    ties_at.file,
                    "role-mismatch",
                    f"{t.kind} tie {field} {pid!r} does not have the role {role!r}",
                    line=ties_at.line(i),
                    pointer=ties_at.ptr(i, field),
                    record=t.id,
                    field=field,
                )
    for file, line, pointer, tid, field, pid in rejected_refs:
        if pid not in roles_of and pid not in rejected_people:
            hint = suggest.hint(pid)
            c.error(
                file,
                "unknown-person",
                f"{field} {pid!r} is not a person of the registry{hint}",
                line=line,
                pointer=pointer,
                record=tid,
                field=field,
            )
    registry = Registry(tuple(people), tuple(ties), as_of, source, {}, dict(kinds))
    if practice is not None and practice.has_records():
        practice.check(
            pindex,
            {t.id: t.kind for t in ties},
            rejected_people=rejected_people,
            rejected_ties=practice.r.rejected_ties,
        )
        registry = replace(registry, practice=practice.practice())
    return finish(c, people_at, pindex, ties_at, tindex, registry=registry, practice=practice)


def finish(
    collector: Collector,
    people_at: SectionInfo,
    people_index: Mapping[str, int] | None,
    ties_at: SectionInfo,
    ties_index: Mapping[str, int] | None,
    *,
    registry: Registry,
    practice: PracticeReader | None = None,
    people_kept: bool = False,
) -> Registry:
    """Raise the collected problems, if any; else the registry with its locations.

    An index left None is built from the registry's records when a location is first
    asked for (millions of ties need not keep an id index nobody reads).  With
    ``people_kept`` the caller keeps the people apart (as columns, never none of them).
    """
    c = collector
    if not registry.people and not people_kept and not c.errors:
        c.error(people_at.file, "empty-registry", "the registry has no people")
    c.raise_if_errors()
    locations = RecordLocations()
    locations.add_section(
        "person",
        people_at.file,
        people_index,
        people_at.lines,
        people_at.pointer,
        registry.people,
    )
    locations.add_section(
        "tie", ties_at.file, ties_index, ties_at.lines, ties_at.pointer, registry.ties
    )
    if practice is not None:
        practice.add_locations(locations)
    return replace(registry, locations=locations)


def _at(section: SectionInfo, i: int) -> str:
    line = section.line(i)
    if line is not None:
        return f" at line {line}"
    ptr = section.ptr(i)
    return f" at {ptr}" if ptr else ""
