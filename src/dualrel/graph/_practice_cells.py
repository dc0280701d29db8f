"""What a practice record's cell holds, read alike by every reader (private): a list
cell's items, a time-of-day range, a cell's value as :class:`PracticeReader` keeps it
(``_practice_reader``), and whether a record's fields agree with each other."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dualrel._internal.decode import readable_int
from dualrel.graph._people_ties import DateParser
from dualrel.graph._practice_times import aware_datetime
from dualrel.graph.practice import OPEN_CONCERN_STATUSES, PracticeField

__all__ = ["LIST_KINDS", "REFS", "cell_value", "cross_fine", "is_hours", "split_list"]

LIST_KINDS = frozenset({"enums", "opens"})
REFS = frozenset({"person", "tie", "about"})


_SPLIT: dict[str, tuple[str, ...]] = {}


def split_list(cell: str) -> tuple[str, ...]:
    """A list cell's items (split on ``;``, blanks dropped), each distinct cell split once:
    list cells repeat (an agreement's roles, covers, channels)."""
    items = _SPLIT.get(cell)
    if items is None:
        if len(_SPLIT) >= 4096:
            _SPLIT.clear()
        items = _SPLIT[cell] = tuple(v.strip() for v in cell.split(";") if v.strip())
    return items


def is_hours(value: str) -> bool:
    """Whether ``value`` is ``HH:MM-HH:MM`` with two different valid times."""
    if len(value) != 11 or value[5] != "-":
        return False
    times = (value[:5], value[6:])
    for t in times:
        digits = t[:2] + t[3:]
        # ASCII digits only: "²" is a digit to isdigit() and not to int()
        if t[2] != ":" or not (digits.isascii() and digits.isdigit()):
            return False
        if int(t[:2]) > 23 or int(t[3:]) > 59:
            return False
    return times[0] != times[1]


def cell_value(f: PracticeField, cell: str, dates: DateParser) -> Any:
    """The value of a non-empty CSV cell as :meth:`PracticeReader.read` keeps it, or None
    when that reader would say something about it (an error or a warning)."""
    kind = f.kind
    if kind in REFS or kind == "text":
        return None if cell.isspace() else cell
    if kind == "date":
        return dates.parse(cell)
    if kind == "datetime":
        return aware_datetime(cell)
    if kind in ("enum", "open"):
        return cell if cell in f.vocabulary else None
    if kind in LIST_KINDS:
        items = split_list(cell)
        return items if all(v in f.vocabulary for v in items) else None
    if kind == "count":
        text = cell.strip()
        number = int(text) if readable_int(text) else 0
        return number if number > 0 else None
    return cell if is_hours(cell) else None  # hours


def cross_fine(section: str, values: Mapping[str, Any]) -> bool:
    """Whether :meth:`PracticeReader._cross_fields` would say nothing of ``values``."""
    if section == "consents":
        return values.get("purpose") != "data_sharing" or values.get("recipient") is not None
    status = values.get("status")
    if status in OPEN_CONCERN_STATUSES:
        return values.get("resolved") is None
    return values.get("resolved") is not None
