"""The practice sections but contacts read column-wise from a CSV folder (private).

All or nothing: a file is read here only when the row-by-row fast path
(:meth:`~dualrel.graph._practice_reader.PracticeReader.row`) would keep every one of its
rows without a word, and then it keeps the same records, lines and positions; any other
file (a problem, a warning, an attribute column, quoting, a row over several lines) is
left to the row-by-row reader, which says what is wrong.  Each distinct cell of a column
is checked and made once (``_practice_reader.cell_value``), as the contacts' cells are
(``_csv_columns.read_contacts``).
"""

from __future__ import annotations

from typing import Any

from dualrel.graph._arrow_columns import POOL, encode
from dualrel.graph._csv_columns import _table
from dualrel.graph._csv_common import required_columns
from dualrel.graph._practice_reader import ORDER, PracticeReader, cell_value, cross_fine

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
    order = ORDER.get(section, ())
    cross = section in ("consents", "concerns")
    records: list[dict[str, Any]] = []
    for row in zip(*columns, strict=True):
        record = {name: v for name, v in zip(names, row, strict=True) if v is not _ABSENT}
        for earlier, later in order:
            a, b = record.get(earlier), record.get(later)
            if a is not None and b is not None and b < a:
                return False
        if cross and not cross_fine(section, record):
            return False
        records.append(record)
    for index, (rid, record) in enumerate(zip(ids, records, strict=True)):
        practice.keep(section, rid, record, path, index + 2, index)
    return True
