"""``people.csv`` read by columns, and the join of the ties' ends to it (private).

Part of the columnar path of :mod:`dualrel.graph._csv_columns`: the people are checked as
columns and kept as :class:`~dualrel.graph.columns.PeopleColumns`; ``Person`` objects are
made by :func:`person_objects` for the rows asked for (a check at a million people needs
those of the ties the rules can use, a few percent of them).
"""

from __future__ import annotations

from collections.abc import Collection
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

__all__ = ["People", "end_rows", "person_objects", "read_people"]

_PERSON_NEW = fast_constructor(Person, ("id", "roles", "name", "organisation", "attributes"))


def end_rows(ends: pa.ChunkedArray, people: pa.Array) -> pa.Array:
    """Each of ``ends`` as a row of people.csv (int32), null for an id nobody has: a hash
    join in C, the people's ids hashed once and each end looked up (no table of the ends'
    own distinct ids, which would be hashed and then joined again)."""
    return pc.index_in(ends, value_set=people, memory_pool=POOL).combine_chunks(memory_pool=POOL)


@dataclass(frozen=True, slots=True)
class People:
    columns: PeopleColumns
    ids: pa.Array
    roles: Encoded  # the distinct values are tuples of roles


def read_people(
    table: pa.Table, id_array: pa.Array, file: str, vocab: Collection[str], w: Collector
) -> People | None:
    """People in file order, as columns, or None when a row has an error."""
    names = table.column_names
    if _blank(id_array):
        return None
    ids: list[str] = id_array.to_pylist()
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
    if not distinct(id_array):
        return None
    # the ties' ends are rows of this file (``end_rows``): person i's id is ``ids[i]``, one
    # string shared by the person and the ends that name them, as the row-by-row reader gives
    rows = pa.array(range(len(ids)), pa.int32())
    columns = PeopleColumns(
        ids=ids,
        id_codes=rows,
        role_values=roles,
        role_codes=role_texts.codes,
        names=(table.column("name").combine_chunks(memory_pool=POOL) if "name" in names else None),
        organisations=organisations,
        organisation_codes=organisation_codes,
        extras=extras,
        extra_columns=tuple(table.column(h).combine_chunks(memory_pool=POOL) for h in extras),
        end_rows=rows,
        lines=lines(len(id_array)),
    )
    return People(columns, id_array, Encoded(roles, role_texts.codes))


def _blank(ids: pa.Array) -> bool:
    """Whether an id is empty or only white space (as ``str.isspace`` tells it).  Told by
    the ids' distinct first characters, a handful: only the ids that begin with white
    space, rare, are read into Python."""
    firsts = pc.utf8_slice_codeunits(ids, 0, 1, memory_pool=POOL)
    distinct_firsts = pc.unique(firsts, memory_pool=POOL).to_pylist()
    if "" in distinct_firsts:
        return True
    spaces = [c for c in distinct_firsts if c.isspace()]
    if not spaces:
        return False
    suspects = ids.filter(pc.is_in(firsts, value_set=pa.array(spaces, pa.string())))
    return any(map(str.isspace, suspects.to_pylist()))


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
