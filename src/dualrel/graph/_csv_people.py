"""``people.csv`` read by columns, and the join of the ties' ends to it (private).

Part of the columnar path of :mod:`dualrel.graph._csv_columns`: the people are checked as
columns and kept as :class:`~dualrel.graph.columns.PeopleColumns`; ``Person`` objects are
made by :func:`person_objects` for the rows asked for (a check at a million people needs
those of the ties the rules can use, a few percent of them).
"""

from __future__ import annotations

from collections.abc import Collection
from concurrent.futures import Future
from dataclasses import dataclass
from itertools import repeat
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from dualrel._internal.problems import Collector
from dualrel.graph._arrow_columns import POOL, Encoded, distinct, encode, fill, lines
from dualrel.graph._csv_common import PEOPLE_COLUMNS, PEOPLE_OPTIONAL, split_roles
from dualrel.graph._frozen import NO_ATTRIBUTES
from dualrel.graph._people_ties import fast_constructor
from dualrel.graph.columns import PeopleColumns
from dualrel.graph.model import Person

__all__ = ["Ends", "People", "join_ends", "person_objects", "read_people"]

_PERSON_NEW = fast_constructor(Person, ("id", "roles", "name", "organisation", "attributes"))


@dataclass(frozen=True, slots=True)
class Ends:
    """The people ties name, each id text once: a tie's ends and its people share it."""

    ids: list[str]  # the distinct ids over both ends, in order of first appearance
    sources: pa.Array  # each tie's source, a position in ``ids`` (int32)
    targets: pa.Array
    rows: pa.Array  # each of ``ids`` as a row of people.csv, null for an id nobody has
    positions: pa.Array  # each person's position in ``ids``, null for a person in no tie


def join_ends(source: pa.ChunkedArray, target: pa.ChunkedArray, people: pa.Array) -> Ends:
    """Both ends of the ties encoded together and joined to the people (hash joins in C)."""
    both = pa.chunked_array(source.chunks + target.chunks, pa.string())
    enc = pc.dictionary_encode(both, memory_pool=POOL).combine_chunks(memory_pool=POOL)
    n = len(source)
    return Ends(
        enc.dictionary.to_pylist(),
        enc.indices.slice(0, n),
        enc.indices.slice(n),
        pc.index_in(enc.dictionary, value_set=people, memory_pool=POOL),
        pc.index_in(people, value_set=enc.dictionary, memory_pool=POOL),
    )


@dataclass(frozen=True, slots=True)
class People:
    columns: PeopleColumns
    ids: pa.Array
    roles: Encoded  # the distinct values are tuples of roles


def read_people(
    table: pa.Table,
    id_array: pa.Array,
    file: str,
    vocab: Collection[str],
    w: Collector,
    *,
    tie_ends: Future[Ends],
) -> People | None:
    """People in file order, as columns, or None when a row has an error."""
    names = table.column_names
    ids: list[str] = id_array.to_pylist()
    if "" in ids or any(map(str.isspace, ids)):
        return None
    role_texts = encode(table.column("roles"))
    roles: list[tuple[str, ...]] = []
    for text in role_texts.values:
        if text:
            first = pc.index(table.column("roles"), text).as_py()
            roles.append(split_roles(text, vocab, w, file, first + 2, ids[first]))
        else:
            roles.append(())
    organisations: list[str | None] = []
    organisation_codes = None
    if "organisation" in names:
        orgs = encode(table.column("organisation"))
        organisations, organisation_codes = [o or None for o in orgs.values], orgs.codes
    extras = tuple(h for h in names if h not in PEOPLE_COLUMNS + PEOPLE_OPTIONAL)
    # a person in a tie takes the id text the ties hold: one string per person, as the
    # row-by-row reader gives; a person in no tie keeps their own
    tied = tie_ends.result()
    if not _distinct_people(id_array, tied):
        return None
    lookup, positions = tied.ids, tied.positions
    if positions.null_count:
        untied = pc.is_null(positions)
        alone = pc.indices_nonzero(untied).to_pylist()
        lookup = lookup + [ids[i] for i in alone]
        positions = pc.replace_with_mask(
            positions,
            untied,
            pa.array(range(len(tied.ids), len(lookup)), pa.int32()),
            memory_pool=POOL,
        )
    del ids
    columns = PeopleColumns(
        ids=lookup,
        id_codes=positions,
        role_values=roles,
        role_codes=role_texts.codes,
        names=(table.column("name").combine_chunks(memory_pool=POOL) if "name" in names else None),
        organisations=organisations,
        organisation_codes=organisation_codes,
        extras=extras,
        extra_columns=tuple(table.column(h).combine_chunks(memory_pool=POOL) for h in extras),
        end_rows=tied.rows,
        lines=lines(len(id_array)),
    )
    return People(columns, id_array, Encoded(roles, role_texts.codes))


def _distinct_people(ids: pa.Array, tied: Ends) -> bool:
    """Whether no person id repeats.  The people in ties are told by their positions among
    the ties' distinct ends (the join made them: two rows with one id share a position),
    the others by :func:`~dualrel.graph._arrow_columns.distinct`; the two cannot share an
    id."""
    positions = tied.positions
    at = pc.drop_null(positions)
    if len(at):
        n = len(tied.ids)
        marks = pc.scatter(pc.is_valid(at), at, max_index=n - 1, memory_pool=POOL)
        if n - marks.null_count != len(at):
            return False
    if not positions.null_count:
        return True
    return distinct(ids.filter(pc.is_null(positions)))


def person_objects(columns: PeopleColumns, rows: pa.Array | None = None) -> list[Person]:
    """The ``Person`` of each row of ``rows`` (ascending), or of every row, in row order."""

    def at(array: pa.Array) -> pa.Array:
        return array if rows is None else pc.take(array, rows, memory_pool=POOL)

    n = len(columns) if rows is None else len(rows)
    if not n:
        return []
    none = repeat(None)
    names: Any = none
    if columns.names is not None:
        names = [v or None for v in at(columns.names).to_pylist()]
    organisations: Any = none
    if columns.organisation_codes is not None:
        organisations = Encoded(columns.organisations, at(columns.organisation_codes)).lazy()
    attributes: Any = repeat(NO_ATTRIBUTES)
    if columns.extras:
        extras = columns.extras
        cells = [at(c).to_pylist() for c in columns.extra_columns]
        attributes = [
            {k: v for k, v in zip(extras, values, strict=True) if v} or NO_ATTRIBUTES
            for values in zip(*cells, strict=True)
        ]
    return fill(
        _PERSON_NEW,
        Person,
        n,
        [
            Encoded(columns.ids, at(columns.id_codes)).lazy(),
            Encoded(columns.role_values, at(columns.role_codes)).lazy(),
            names,
            organisations,
            attributes,
        ],
    )
