"""A registry whose people and ties are still columns: objects only for those asked for.

At a million people most of a check's load time went into three million ``Tie`` objects,
of which the rules can use about 4% (``docs/scale.md``), and a million ``Person``
objects, of whom the rules can use about as few.  :func:`load_for_rules` reads a CSV
folder column-wise and validates it exactly as :func:`~dualrel.graph.load_registry` does
(every problem found and located the same way), but gives a :class:`ColumnarRegistry`:
the practice records and everything else of the registry as usual, the ties as
:class:`TieColumns` and, when the folder has no practice records (whose checks read the
people), the people as :class:`PeopleColumns`.  :meth:`ColumnarRegistry.narrowed` then
makes the ``Registry`` of only the ties at given rows and the people they join, each
still located at its own line; :meth:`ColumnarRegistry.full` the whole registry, as
``load_registry`` gives it.

Other formats, and folders the columnar reader does not take, load as a plain
``Registry``.  pyarrow is imported only when a folder is read by columns.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import TYPE_CHECKING, Any, Protocol

from dualrel._internal.gc import gc_paused
from dualrel._internal.problems import Collector
from dualrel._internal.reading import OnRead
from dualrel._internal.storage import is_url, mirrored
from dualrel.errors import Problem, RegistryError
from dualrel.graph._lazy_records import LazyRecords
from dualrel.graph._locations import LineArray, LineMap, LineRuns, PartLines
from dualrel.graph.model import CORE_ROLES, Person, Registry, Tie
from dualrel.graph.practice import PRACTICE_SECTIONS

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = [
    "ColumnarRegistry",
    "DistinctCodes",
    "LazyRecords",
    "PeopleColumns",
    "SectionColumns",
    "TieColumns",
    "every_person",
    "load_for_rules",
]


@dataclass(frozen=True, slots=True)
class TieColumns:
    """Every tie of a registry as columns, in file order, validated.

    A column of codes (int32 pyarrow arrays, one entry per tie) indexes a list of its
    distinct values: ``kinds[kind_codes[i]]`` is tie i's kind.  People are coded once for
    both ends: ``people[sources[i]]`` is the id of tie i's source, and
    ``role_values[role_codes[p]]`` the roles of person ``people[p]``.
    """

    ids: pa.Array  # string: each tie's id (derived where the file gave none)
    kinds: list[str]
    kind_codes: pa.Array
    people: list[str]
    sources: pa.Array
    targets: pa.Array
    role_values: list[tuple[str, ...]]
    role_codes: pa.Array  # per person code
    starts: list[date | None]
    start_codes: pa.Array
    ends: list[date | None]
    end_codes: pa.Array
    attributes: list[Mapping[str, Any]]
    attribute_codes: pa.Array
    #: the line of each tie, by row (and file, when split; one entry each for a JSON
    #: document laid out otherwise than one record a line)
    lines: LineRuns | PartLines | LineArray

    def __len__(self) -> int:
        return len(self.ids)

    def objects(self, rows: pa.Array | None = None) -> list[Tie]:
        """The ``Tie`` of each row of ``rows`` (ascending ints), or of every row."""
        from dualrel.graph._csv_columns import tie_objects  # noqa: PLC0415

        return tie_objects(self, rows)

    def kind_of(self) -> dict[str, str]:
        """Each tie's kind by its id (what practice records referring to ties are checked
        against)."""
        kinds = self.kinds
        return dict(
            zip(
                self.ids.to_pylist(),
                map(kinds.__getitem__, self.kind_codes.to_pylist()),
                strict=True,
            )
        )


@dataclass(frozen=True, slots=True)
class PeopleColumns:
    """Every person of a registry as columns, in file order, validated.

    Person i's id is ``ids[id_codes[i]]`` (the same strings as ``TieColumns.people``; a
    reader may order them as it likes), their roles ``role_values[role_codes[i]]``; ``names``
    is the name column ("" for none, None without the column), the organisation
    ``organisations[organisation_codes[i]]``; ``extras`` name the columns of
    ``extra_columns`` (each person's attributes).  ``end_rows[c]`` is the row of the person
    whose id is ``TieColumns.people[c]``.
    """

    ids: list[str]
    id_codes: pa.Array
    role_values: list[tuple[str, ...]]
    role_codes: pa.Array
    names: pa.Array | None
    organisations: list[str | None]
    organisation_codes: pa.Array | None
    extras: tuple[str, ...]
    extra_columns: tuple[pa.Array, ...]
    end_rows: pa.Array
    lines: LineRuns | PartLines | LineArray  # the line of each person, as ``TieColumns.lines``

    def __len__(self) -> int:
        return len(self.id_codes)

    def objects(self, rows: pa.Array | None = None) -> list[Person]:
        """The ``Person`` of each row of ``rows`` (ascending ints), or of every row."""
        from dualrel.graph._csv_people import person_objects  # noqa: PLC0415

        return person_objects(self, rows)

    def joined(self, ties: TieColumns, rows: pa.Array) -> pa.Array:
        """The rows (ascending, int64) of the people the ties at ``rows`` join."""
        import pyarrow as pa  # noqa: PLC0415
        import pyarrow.compute as pc  # noqa: PLC0415

        from dualrel.graph._arrow_columns import rows_of  # noqa: PLC0415

        at = pa.concat_arrays([pc.take(ties.sources, rows), pc.take(ties.targets, rows)])
        return rows_of(pc.take(self.end_rows, at), len(self))


class DistinctCodes(Protocol):
    """A column as its distinct values and each row's code among them (an int32 pyarrow
    array without nulls), as the columnar readers encode one."""

    @property
    def values(self) -> list[Any]: ...

    @property
    def codes(self) -> pa.Array: ...


@dataclass(frozen=True, slots=True)
class SectionColumns:
    """Fields of a practice section's records as the columnar reader read them: by field,
    its distinct values (the very objects the records hold) and each record's code.

    They describe ``records`` (a ``Practice`` section, in its order) and nothing else:
    :meth:`of` gives them only for that very tuple, so a registry whose records were
    replaced never reads another's columns.  Admission works a fact field out once per
    distinct value from them instead of once per record (contacts: 789k records, far
    fewer distinct times, channels and people).
    """

    records: tuple[Any, ...]
    fields: Mapping[str, DistinctCodes]

    @staticmethod
    def of(
        given: Mapping[str, SectionColumns] | None, section: str, records: Sequence[Any]
    ) -> Mapping[str, DistinctCodes] | None:
        """The fields of ``section`` in ``given`` when they describe ``records``."""
        found = None if given is None else given.get(section)
        return found.fields if found is not None and found.records is records else None


@dataclass(frozen=True, slots=True)
class ColumnarRegistry:
    """A validated registry with its ties, and perhaps its people, as columns.

    ``registry`` is the registry without its ties (``ties`` empty) and, when ``people``
    is given, without its people: practice records, ``as_of``, kinds, and where each
    record was read.
    """

    registry: Registry
    ties: TieColumns
    ties_file: str
    people: PeopleColumns | None = None
    people_file: str = ""
    #: a JSON document's: each person and tie located by JSON pointer too
    pointers: bool = False
    #: by section, fields of ``registry.practice``'s records as the reader read them
    record_columns: Mapping[str, SectionColumns] = field(default_factory=dict)

    def narrowed(self, rows: pa.Array, *, every_person: bool = False) -> Registry:
        """The registry with only the ties at ``rows`` (ascending) and, when the people
        are columns, only the people those ties join (every person with
        ``every_person``); each located at its line of the file as in the full registry."""
        from dualrel.graph._arrow_columns import lines_of  # noqa: PLC0415

        ties = tuple(self.ties.objects(rows))
        positions = rows.to_pylist() if self.pointers else None
        if self.people is None or every_person:
            return self._with(ties, lines_of(self.ties.lines, rows), positions)
        people = self.people.joined(self.ties, rows)
        return self._with(
            ties,
            lines_of(self.ties.lines, rows),
            positions,
            tuple(self.people.objects(people)),
            lines_of(self.people.lines, people),
            people.to_pylist() if self.pointers else None,
        )

    def full(self) -> Registry:
        """The whole registry, as :func:`~dualrel.graph.load_registry` gives it (every
        record made, a section kept as columns too)."""
        full = self._with(tuple(self.ties.objects()), self.ties.lines, None)
        practice = full.practice
        lazy = {
            name: tuple(records)
            for name in PRACTICE_SECTIONS
            if not isinstance(records := practice.section(name), tuple)
        }
        return replace(full, practice=replace(practice, **lazy)) if lazy else full

    def _with(  # noqa: PLR0917
        self,
        ties: tuple[Tie, ...],
        lines: LineMap,
        positions: list[int] | None,
        people: tuple[Person, ...] | None = None,
        people_lines: LineMap | None = None,
        people_positions: list[int] | None = None,
    ) -> Registry:
        from dualrel.graph._locations import RecordLocations  # noqa: PLC0415

        base = self.registry
        locations = RecordLocations()
        if isinstance(base.locations, RecordLocations):
            locations.update_from(base.locations)
        pointer = "/ties" if self.pointers else None
        locations.add_section("tie", self.ties_file, None, lines, pointer, ties, positions)
        if self.people is not None:
            if people is None:
                people, people_lines = tuple(self.people.objects()), self.people.lines
            assert people_lines is not None
            pointer = "/people" if self.pointers else None
            locations.add_section(
                "person", self.people_file, None, people_lines, pointer, people, people_positions
            )
            return replace(base, people=people, ties=ties, locations=locations)
        return replace(base, ties=ties, locations=locations)


def every_person(registry: Registry | ColumnarRegistry) -> Sequence[Person]:
    """Every person of ``registry``, in file order (made from the columns when they are
    columns: a check asks only for a baseline or for names)."""
    if isinstance(registry, Registry):
        return registry.people
    if registry.people is None:
        return registry.registry.people
    return registry.people.objects()


def load_for_rules(
    path: str | os.PathLike[str],
    *,
    extra_kinds: Mapping[str, bool] | None = None,
    extra_roles: Iterable[str] = (),
    as_of: date | str | None = None,
    on_read: OnRead | None = None,
) -> tuple[Registry | ColumnarRegistry, tuple[Problem, ...]]:
    """:func:`~dualrel.graph.load_registry_with_warnings`, but a CSV folder, a JSON Lines
    file or a JSON document read by columns comes back as a :class:`ColumnarRegistry`
    (same checks, same problems).  ``path`` may be a URL (``s3://bucket/registry/``, read
    through fsspec: ``docs/registry-format.md``)."""
    from dualrel.graph._csv import _worth_columns, load_csv_columns  # noqa: PLC0415
    from dualrel.graph.load import (  # noqa: PLC0415
        _as_of,
        _kinds,
        load_registry_with_warnings,
        registry_format,
    )

    file = os.fspath(path)
    if is_url(file):
        return _by_url(file, extra_kinds, extra_roles, as_of, on_read)
    kinds = _kinds(extra_kinds)
    roles = frozenset(CORE_ROLES) | frozenset(extra_roles)
    when = _as_of(as_of)
    if not os.path.isdir(file):
        reader = _document_columns(registry_format(file))
        if reader is not None and _worth_columns([file]):
            with gc_paused():
                read = reader(file, kinds=kinds, roles=roles, as_of=when, on_read=on_read)
            if read is not None:
                return read
        return load_registry_with_warnings(
            file, extra_kinds=extra_kinds, extra_roles=extra_roles, as_of=as_of, on_read=on_read
        )
    c = Collector()
    with gc_paused():
        loaded = load_csv_columns(file, c, kinds=kinds, roles=roles, as_of=when, on_read=on_read)
    return loaded, tuple(c.warnings)


def _document_columns(
    fmt: str | None,
) -> Callable[..., tuple[ColumnarRegistry, tuple[Problem, ...]] | None] | None:
    """The columnar reader of a registry file in format ``fmt`` (JSON Lines, a JSON
    document), imported when asked for; None for a format read only as records."""
    if fmt == "jsonl":
        from dualrel.graph._jsonl_columns import read_jsonl_columns  # noqa: PLC0415

        return read_jsonl_columns
    if fmt == "json":
        from dualrel.graph._json_columns import read_json_columns  # noqa: PLC0415

        return read_json_columns
    return None


def _by_url(
    url: str,
    extra_kinds: Mapping[str, bool] | None,
    extra_roles: Iterable[str],
    as_of: date | str | None,
    on_read: OnRead | None,
) -> tuple[Registry, tuple[Problem, ...]]:
    """A registry by URL read as one machine reads its local copy (one machine holds it
    whole anyway): the same checks, each problem and record named by its URL."""
    with mirrored(url) as (local, by_url):

        def named(p: Problem) -> Problem:
            return replace(p, file=by_url(p.file), message=by_url(p.message))

        try:
            read, warnings = load_for_rules(
                local,
                extra_kinds=extra_kinds,
                extra_roles=extra_roles,
                as_of=as_of,
                on_read=on_read,
            )
        except RegistryError as e:
            raise RegistryError([named(p) for p in e.problems]) from None
        registry = read.full() if isinstance(read, ColumnarRegistry) else read
        # a plain mapping: each location named by its URL, taken before the copy goes
        locations = {
            key: replace(at, file=by_url(at.file)) for key, at in registry.locations.items()
        }
    registry = replace(registry, source=url, locations=locations)
    return registry, tuple(named(w) for w in warnings)
