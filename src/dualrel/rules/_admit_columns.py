"""Record admission a column at a time, for the sections whose facts are plain (private).

Admission (:mod:`dualrel.rules._admit`) tests every record of a section a rule reads:
the section's filter (a contact's window), a counted share's denominator, then whether
some clause can read it.  The large section is the contacts (tens per coaching tie, most
never admitted), so for a section whose wanted fact fields are all dates, instants,
numbers and values (no word lists, hours or value sets), the fact fields those tests read
are made here as pyarrow columns, each worked out once per distinct value object (a CSV
folder's contacts share one datetime per distinct time), and the tests run on the columns:

- the filter and a counted share's tests pick the records counted, exactly as the record
  tests would (:func:`counted_rows`);
- the filter and the admission alternatives pick the records that may be admitted, never
  fewer than the record tests admit (:func:`admissible_rows`); only those go through the
  record path, which tests each again and makes its fact.

The values are the ones :mod:`dualrel.rules._record_fill` gives the fact (the same
operations on the same numbers), and each test form reads a column as the testers of
:mod:`dualrel.rules._tester` read a fact's field (a field the fact lacks is a column
present nowhere).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from operator import attrgetter
from typing import TYPE_CHECKING, Any, cast

import pyarrow as pa
import pyarrow.compute as pc

from dualrel.graph.columns import LazyRecords
from dualrel.rules._fields import KIND
from dualrel.rules._record_fill import MISSING
from dualrel.rules._tester import ORDERS
from dualrel.rules.plan import NO_END

if TYPE_CHECKING:
    from dualrel.graph.columns import DistinctCodes
    from dualrel.rules._facts import Layout

__all__ = ["Column", "FactColumns", "admissible_rows", "counted_rows", "fact_columns"]

#: The comparisons of :data:`~dualrel.rules._tester.ORDERS`, on columns.
_COMPARE: Mapping[str, Callable[..., pa.Array]] = {
    "$lt": pc.less,
    "$lte": pc.less_equal,
    "$gt": pc.greater,
    "$gte": pc.greater_equal,
}


@dataclass(frozen=True, slots=True)
class Column:
    """One fact field of every record: its values (float64 for numbers, text for values)
    where ``present``; elsewhere the fact lacks the field."""

    values: pa.Array
    present: pa.Array
    number: bool


@dataclass(frozen=True, slots=True)
class FactColumns:
    """The fact fields of ``size`` records, by fact field; a field not here is in no fact."""

    size: int
    columns: Mapping[str, Column]

    def column(self, field: str) -> Column | None:
        return self.columns.get(field)


def fact_columns(
    layout: Layout, records: Sequence[Any], given: Mapping[str, DistinctCodes] | None = None
) -> FactColumns | None:
    """The fact fields ``layout`` fills, of each of ``records``, as columns; None when the
    layout fills a form kept to the record path (word lists, hours, value sets), or a time
    too far from the evaluation date for a double to hold its microseconds.

    ``given``: fields of ``records`` as the columnar reader kept them (each field's
    distinct values and each record's code, :class:`~dualrel.graph.columns.SectionColumns`).
    A field there is worked out once per distinct value and spread to the records by
    their codes: the same operations on the same values, so the same columns, without
    reading a value of each of the records (789k contacts, far fewer distinct times)."""
    if layout.lists or layout.windows or layout.value_sets:
        return None
    n = len(records)
    everywhere = _all(n, True)
    out: dict[str, Column] = {
        KIND: Column(pa.repeat(pa.scalar(layout.kind, pa.string()), n), everywhere, number=False)
    }
    day = layout.day

    def field_values(f: str, default: bool = False) -> tuple[list[Any], pa.Array | None]:
        """The values of field ``f`` to work out, and the code of each record's value
        among them (None: one value per record; ``default``: None for a record without
        the field)."""
        found = None if given is None else given.get(f)
        if found is not None:
            return found.values, found.codes
        if default:
            return [getattr(r, f, None) for r in records], None
        return list(map(attrgetter(f), records)), None

    for f, e, t, fallback in layout.dates:
        values = [getattr(r, f) for r in records]
        if e is not None:
            out[e] = _flag([v is not None for v in values])
        if fallback is not None:
            values = [
                v if v is not None else getattr(r, fallback)
                for v, r in zip(values, records, strict=True)
            ]
        if t is not None:
            days = [NO_END if d is None else d.toordinal() - day for d in values]
            out[t] = Column(pa.array(days, pa.float64()), everywhere, number=True)
    # by instant field: its microseconds since 1970 (UTC) and its days from the date
    seen: dict[str, tuple[pa.Array, pa.Array]] = {}
    for f, e, t, wd, mn in layout.instants:
        values, codes = field_values(f)
        found = _instants(values, day)
        if found is None:
            return None
        given_at, utc, days, weekday, minute = (_spread(a, codes) for a in found)
        seen[f] = (utc, days)
        if e is not None:
            out[e] = Column(_ones(n), given_at, number=True)
        for name, column, missing in ((t, days, NO_END), (wd, weekday, -1), (mn, minute, -1)):
            if name is not None:
                filled = pc.fill_null(column.cast(pa.float64()), float(missing))
                out[name] = Column(filled, everywhere, number=True)
    for f, e, n_field in layout.numbers:
        if layout.section == "contacts" and f == "response_hours":
            at = seen.get("at")
            if at is None:
                values, codes = field_values("at")
                made = _instants(values, day)
                if made is None:
                    return None
                at = _spread(made[1], codes), _spread(made[2], codes)
            values, codes = field_values("responded_at")
            answered = _spread(pa.array(values, pa.timestamp("us", tz="UTC")), codes)
            hours = _response_hours(answered, *at)
            if hours is None:
                return None
            numbers: pa.Array = hours
            given_n = everywhere  # a contact has a time: unanswered, it has waited since
        else:
            listed = [layout.number_of(layout.section, r, f) for r in records]
            given_n = pa.array([v is not None for v in listed], pa.bool_())
            numbers = pa.array([0 if v is None else v for v in listed], pa.float64())
        if n_field is not None:
            out[n_field] = Column(numbers, everywhere, number=True)
        if e is not None:
            out[e] = Column(_ones(n), given_n, number=True)
    for f, e, v_field in layout.values:
        texts, codes = field_values(f, default=True)
        if v_field is not None:
            section = layout.section
            if not set(map(type, texts)) <= {str}:
                # a value that is not text shows the record's id: one value per record
                texts, codes = [getattr(r, f, None) for r in records], None
                shown = [
                    f"{MISSING}{section}/{r.id}" if text is None else str(text)
                    for text, r in zip(texts, records, strict=True)
                ]
            else:  # every value a text (contacts' channels, say): the fact shows each
                shown = texts
            column = _spread(pa.array(shown, pa.string()), codes)
            out[v_field] = Column(column, everywhere, number=False)
        if e is not None:
            out[e] = _flag_spread([text is not None for text in texts], codes)
    return FactColumns(n, out)


def _spread(values: pa.Array, codes: pa.Array | None) -> pa.Array:
    """Each record's value, from the distinct ``values`` and the records' ``codes``."""
    return values if codes is None else pc.take(values, codes)


#: Microseconds a day, and a whole number of weeks of them: added to a time, it makes
#: every time of the calendar a positive number, whose whole days a division truncates.
_DAY_US = 86_400 * 10**6
_WEEKS_US = 7 * 110_000 * _DAY_US
#: days from the first of January 1970 (a Thursday, weekday 3) to the calendar's first day
_EPOCH_DAY = date(1970, 1, 1).toordinal()
_EXACT = 2**53


def _instants(
    values: list[datetime | None], day: int
) -> tuple[pa.Array, pa.Array, pa.Array, pa.Array, pa.Array] | None:
    """Of each time: whether there is one, and (null where none) its microseconds since
    1970 (UTC), its days from the
    evaluation date ``day`` (the division ``Clock.instant`` makes: microseconds over
    10**6, over 86400), its weekday and its minute of the day in its own local time."""
    utc = pa.array(values, pa.timestamp("us", tz="UTC")).cast(pa.int64())
    since = pc.subtract(utc, (day - _EPOCH_DAY) * _DAY_US)
    if not _exact(since):
        return None
    days = pc.divide(pc.divide(since.cast(pa.float64()), 1e6), 86400.0)
    # without a None, a loop in C (a contact's time is never None)
    offsets = pa.array(
        list(map(datetime.utcoffset, cast("list[datetime]", values)))
        if None not in values
        else [None if v is None else v.utcoffset() for v in values],
        pa.duration("us"),
    ).cast(pa.int64())
    local = pc.add(pc.add(utc, offsets), _WEEKS_US)
    whole = pc.divide(local, _DAY_US)  # truncated: the times are positive
    weekday = pc.subtract(pc.add(whole, 3), pc.multiply(pc.divide(pc.add(whole, 3), 7), 7))
    minute = pc.divide(pc.subtract(local, pc.multiply(whole, _DAY_US)), 60 * 10**6)
    return pc.is_valid(utc), utc, days, weekday, minute


def _exact(micros: pa.Array) -> bool:
    """Whether every number of ``micros`` is one a double holds exactly."""
    bounds = pc.min_max(pc.abs(micros))
    top = bounds["max"].as_py()
    return top is None or top < _EXACT


def _response_hours(answered: pa.Array, utc: pa.Array, days: pa.Array) -> pa.Array | None:
    """Each contact's response hours as ``Clock.number_of`` makes them: microseconds over
    10**6, over 3600 (``timedelta.total_seconds() / 3600``), or unanswered, ``(1 - the
    contact's days from the evaluation date) * 24``.  ``answered``: the contacts' answer
    times (null where none); ``utc`` and ``days``: their times as :func:`_instants` gives
    them."""
    waited = pc.subtract(answered.cast(pa.int64()), utc)
    if not _exact(waited):
        return None
    hours = pc.divide(pc.divide(waited.cast(pa.float64()), 1e6), 3600.0)
    unanswered = pc.multiply(pc.subtract(1.0, days), 24.0)
    return pc.if_else(pc.is_valid(answered), hours, unanswered)


def _flag_spread(given: list[bool], codes: pa.Array | None) -> Column:
    """:func:`_flag` of distinct values, spread to the records by ``codes``."""
    flag = _flag(given)
    return Column(_spread(flag.values, codes), _spread(flag.present, codes), number=True)


def _flag(given: list[bool]) -> Column:
    """A field that is 1 where given, else absent."""
    return Column(_ones(len(given)), pa.array(given, pa.bool_()), number=True)


# -- tests on columns ---------------------------------------------------------------------------


def _all(size: int, value: bool) -> pa.Array:
    return pa.repeat(pa.scalar(value, pa.bool_()), size)


def _ones(size: int) -> pa.Array:
    return pa.repeat(pa.scalar(1.0, pa.float64()), size)


def _equal(col: Column | None, operand: Any, size: int) -> pa.Array:
    """Where the field equals ``operand`` as Python compares them (a missing field is
    None)."""
    if col is None:
        return _all(size, operand is None)
    if operand is None:
        return pc.invert(col.present)
    if col.number and isinstance(operand, int | float):
        if float(operand) != operand:  # no double equals it (a whole number past 2**53)
            return _all(size, False)
        same = pc.equal(col.values, float(operand))
    elif not col.number and type(operand) is str:
        same = pc.equal(col.values, operand)
    else:
        return _all(size, False)
    return pc.and_(col.present, same)


def _passing(
    cols: FactColumns, tests: Iterable[Mapping[str, Any]], *, exact: bool
) -> pa.Array | None:
    """Where every one of ``tests`` passes, as :func:`~dualrel.rules._tester.lenient_tester`
    (or, ``exact``, :func:`~dualrel.rules._tester.exact_tester`) tests a fact; None when
    ``exact`` and a form is not one the exact tester takes."""
    size = cols.size
    mask = _all(size, True)
    for test in tests:
        ((key, value),) = test.items()
        if not key.startswith("$"):
            mask = pc.and_(mask, _equal(cols.column(key), value, size))
            continue
        if not isinstance(value, Mapping) or len(value) != 1:
            if exact:
                return None
            continue
        ((field, operand),) = value.items()
        col = cols.column(field)
        if key in ("$ex", "$nex"):
            there = _all(size, False) if col is None else col.present
            mask = pc.and_(mask, there if key == "$ex" else pc.invert(there))
        elif key in ORDERS and isinstance(operand, int | float):
            if exact and isinstance(operand, bool):
                return None
            if not _held(operand):  # compared as Python compares, not as a double
                if exact:
                    return None
                continue
            if col is None or not col.number:
                # no number in the field: lenient passes it, exact fails it
                if exact:
                    mask = _all(size, False)
                continue
            holds = _COMPARE[key](col.values, float(operand))
            there = col.present
            mask = pc.and_(
                mask, pc.and_(there, holds) if exact else pc.or_(pc.invert(there), holds)
            )
        elif exact:
            return None
    return mask


def _held(number: float) -> bool:
    """Whether a double holds ``number`` exactly (an infinity too), so that comparing a
    column with it is comparing the fact's field with it."""
    return not isinstance(number, int) or abs(number) < _EXACT


def _within(cols: FactColumns, limits: Iterable[tuple[str, str, float]]) -> pa.Array:
    """Where every limit ``(field, op, partner value)`` can hold (see ``_admit._limits``): a
    field holding no number is not bounded."""
    mask = _all(cols.size, True)
    for field, op, limit in limits:
        col = cols.column(field)
        if col is None or not col.number or not _held(limit):
            continue
        holds = _COMPARE[op](col.values, float(limit))
        mask = pc.and_(mask, pc.or_(pc.invert(col.present), holds))
    return mask


def counted_rows(
    cols: FactColumns, common: Sequence[Mapping[str, Any]], tests: Sequence[Mapping[str, Any]]
) -> list[int] | None:
    """The rows passing the section's filter (``common``, leniently, as admission tests it)
    and a counted share's ``tests`` (exactly); None when a form is not one the exact
    tester takes."""
    counted = _passing(cols, tests, exact=True)
    if counted is None:
        return None
    kept = pc.and_(_passing(cols, common, exact=False), counted)
    rows: list[int] = pc.indices_nonzero(kept).to_pylist()
    return rows


def counted_groups(
    records: Sequence[Any],
    rows: Sequence[int],
    named: Sequence[tuple[str, str]],
    given: Mapping[str, DistinctCodes] | None,
) -> dict[tuple[tuple[str, str], ...], list[str]] | None:
    """The ids of the records at ``rows`` by the group of the people they name (a counted
    share's ``named``: (field, variable) pairs), as ``RecordIndex._count`` groups them, in
    the order the rows first name each group; the people taken from the reader's columns
    (``given``: a quarter million contacts counted, far fewer pairs of people), or None
    when a named field is not among them."""
    found = [None if given is None else given.get(field) for field, _ in named]
    columns = [enc for enc in found if enc is not None]
    if not columns or len(columns) != len(found):
        return None
    at = pa.array(rows, pa.int64())
    codes = [pc.take(enc.codes, at).to_pylist() for enc in columns]
    by_codes: dict[tuple[int, ...], list[str]] = {}
    # records kept as columns: their ids, not the records, which are not made
    if isinstance(records, LazyRecords):
        named_ids: Iterable[str] = map(records.ids.__getitem__, rows)
    else:
        named_ids = map(_ID, map(records.__getitem__, rows))
    for key, rid in zip(zip(*codes, strict=True), named_ids, strict=True):
        ids = by_codes.get(key)
        if ids is None:
            ids = by_codes[key] = []
        ids.append(rid)
    out: dict[tuple[tuple[str, str], ...], list[str]] = {}
    for key, ids in by_codes.items():
        people = [enc.values[code] for enc, code in zip(columns, key, strict=True)]
        if None in people:
            continue  # names nobody: in no group
        group = tuple((var, str(person)) for (_, var), person in zip(named, people, strict=True))
        out[group] = ids
    return out


_ID = attrgetter("id")


def admissible_rows(
    cols: FactColumns,
    common: Sequence[Mapping[str, Any]],
    alternatives: Iterable[tuple[Sequence[Mapping[str, Any]], Sequence[tuple[str, str, float]]]],
) -> list[int]:
    """The rows passing the section's filter and some admission alternative (its tests
    and its limits): every row the record tests admit, perhaps more."""
    some = _all(cols.size, False)
    for tests, limits in alternatives:
        one = _passing(cols, tests, exact=False)
        assert one is not None, "lenient tests always read"
        some = pc.or_(some, pc.and_(one, _within(cols, limits)))
    common_mask = _passing(cols, common, exact=False)
    assert common_mask is not None
    rows: list[int] = pc.indices_nonzero(pc.and_(common_mask, some)).to_pylist()
    return rows
