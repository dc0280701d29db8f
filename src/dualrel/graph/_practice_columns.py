"""The practice sections but contacts read column-wise from a CSV folder (private).

All or nothing: a file is read here only when the row-by-row fast path
(:meth:`~dualrel.graph._practice_reader.PracticeReader.row`) would keep every one of its
rows without a word, and then it keeps the same records, lines and positions; any other
file (a problem, a warning, an attribute column, quoting, a row over several lines) is
left to the row-by-row reader, which says what is wrong.  Each distinct cell of a column
is checked and made once (``_practice_cells.cell_value``), as the contacts' cells are
(``_csv_columns.read_contacts``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from functools import cache
from itertools import repeat
from typing import Any

from dualrel.graph._arrow_columns import POOL, encode, fill
from dualrel.graph._csv_columns import _table
from dualrel.graph._csv_common import required_columns
from dualrel.graph._frozen import NO_ATTRIBUTES
from dualrel.graph._people_ties import fast_constructor
from dualrel.graph._practice_cells import cell_value, cross_fine
from dualrel.graph._practice_reader import ORDER, PracticeReader
from dualrel.graph.practice import PRACTICE_CATALOGUE

__all__ = ["read_section_columns"]

#: an empty cell: the field is absent from the record
_ABSENT = object()


def read_section_columns(path: str, section: str, practice: PracticeReader) -> bool:
    """Read the ``section`` file ``path`` (not contacts) column-wise into ``practice``;
    False, and nothing read, when the row-by-row reader must read it."""
    table = _table(path, required_columns(section))
    if table is None:
        return False
    plan = practice.row_plan(section, table.column_names)
    if plan is None:
        return False
    at_id, cells = plan
    ids: list[str] = table.column(at_id).to_pylist()
    if "" in ids or any(map(str.isspace, ids)):
        return False
    dates = practice.r.dates
    names: list[str] = []
    columns: list[list[Any]] = []
    for f, i, _ in cells:
        enc = encode(table.column(i))
        values: list[Any] = []
        for cell in enc.values:
            if not cell:  # an empty cell is an absent value, as in csv_record
                if f.required:
                    return False
                values.append(_ABSENT)
                continue
            value = cell_value(f, cell, dates)
            if value is None:
                return False
            values.append(value)
        names.append(f.name)
        columns.append(enc.expand(values))
    del table
    POOL.release_unused()
    n = len(ids)
    by_name = dict(zip(names, columns, strict=True))
    for earlier, later in ORDER.get(section, ()):
        if (
            earlier in by_name
            and later in by_name
            and any(map(_backwards, by_name[earlier], by_name[later]))
        ):
            return False
    if section in ("consents", "concerns"):  # their fields are read together
        for row in zip(*columns, strict=True):
            record = {name: v for name, v in zip(names, row, strict=True) if v is not _ABSENT}
            if not cross_fine(section, record):
                return False
    # the records made a column at a time, each absent value its field's default, as
    # ``PracticeReader.keep`` makes them with the class's own constructor
    cls = PRACTICE_CATALOGUE[section].cls
    new, defaults = _constructor(section)
    slots: list[Iterable[Any]] = [ids]
    for name, default in defaults:
        given = by_name.get(name)
        if default is dataclasses.MISSING and (given is None or _ABSENT in given):
            return False  # no value to give (the reader's required fields are never absent)
        if given is None:
            slots.append(repeat(default, n))
        elif _ABSENT in given:
            slots.append([default if v is _ABSENT else v for v in given])
        else:
            slots.append(given)
    slots.append(repeat(NO_ATTRIBUTES, n))
    practice.keep_all(section, fill(new, cls, n, slots), path)
    return True


def _backwards(a: Any, b: Any) -> bool:
    """Whether two values of a section's ordered fields are out of order (see ORDER): an
    absent value is in order with anything."""
    return a is not _ABSENT and b is not _ABSENT and b < a


@cache
def _constructor(section: str) -> tuple[tuple[Any, ...], tuple[tuple[str, Any], ...]]:
    """The fast constructor of ``section``'s record class (``id`` first, ``attributes``
    last), and the default of each field between them."""
    cls = PRACTICE_CATALOGUE[section].cls
    fields = dataclasses.fields(cls)
    names = tuple(f.name for f in fields)
    if names[0] != "id" or names[-1] != "attributes":
        raise RuntimeError(f"{cls.__name__} changed: update _practice_columns._constructor")
    return fast_constructor(cls, names), tuple((f.name, f.default) for f in fields[1:-1])
