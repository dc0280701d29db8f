"""Reading the optional practice-record sections, shared by every format (private).

Each format hands decoded records (a dict per record; ``_csv_common.csv_record`` turns a
CSV row into one) to :meth:`PracticeReader.read`, which checks their fields with the
``PeopleTiesReader`` helpers people and ties use, so problems are located the same way.
:meth:`PracticeReader.check` then checks across records (duplicate ids, references to
people and ties) once people and ties are known, and :meth:`PracticeReader.practice`
gives the :class:`~dualrel.graph.practice.Practice`.
"""

from __future__ import annotations

from array import array
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime
from operator import attrgetter
from typing import TYPE_CHECKING, Any, cast

from dualrel._internal.problems import Collector
from dualrel._internal.suggest import Suggester, did_you_mean
from dualrel.errors import ProblemCode
from dualrel.graph._frozen import NO_ATTRIBUTES
from dualrel.graph._locations import LineArray, LineMap, RecordLocations
from dualrel.graph._people_ties import (
    PeopleTiesReader,
    fast_constructor,
    type_name,
)
from dualrel.graph._practice_cells import (
    LIST_KINDS,
    REFS,
    cell_value,
    cross_fine,
    is_hours,
)
from dualrel.graph._practice_times import aware_datetime
from dualrel.graph.practice import (
    CHANNELS,
    CONCERN_STATUSES,
    CONTACT_INITIATORS,
    OPEN_CONCERN_STATUSES,
    PRACTICE_CATALOGUE,
    PRACTICE_SECTIONS,
    Contact,
    Practice,
    PracticeField,
)

if TYPE_CHECKING:
    from dualrel.graph._lazy_records import LazyRecords
    from dualrel.graph.columns import SectionColumns

__all__ = [
    "CONTACT_FAST_FIELDS",
    "CONTACT_NEW",
    "INTERNED_CHANNELS",
    "INTERNED_INITIATORS",
    "ORDER",
    "SECTION_FIELDS",
    "PracticeReader",
]


#: Section -> its fields besides ``id`` and ``attributes``, in record order.
SECTION_FIELDS: Mapping[str, tuple[PracticeField, ...]] = {
    s.name: s.fields for s in PRACTICE_CATALOGUE.values()
}

#: (earlier, later): the later date may not come before the earlier one.
ORDER: Mapping[str, tuple[tuple[str, str], ...]] = {
    s.name: s.order for s in PRACTICE_CATALOGUE.values() if s.order
}

_CLASSES: Mapping[str, type[Any]] = {s.name: s.cls for s in PRACTICE_CATALOGUE.values()}

#: (file, line, pointer, section, record id, field, referenced id) of a rejected record
_Ref = tuple[str, int | None, str | None, str, str | None, str, str]
_Where = tuple[str, int | None, str | None, str, int]


class _Buffer:
    """The accepted records of one section and where each was read."""

    __slots__ = ("columns", "file", "lines", "pointer", "positions", "records")

    def __init__(self) -> None:
        #: a list, or the records a columnar reader kept as columns (made into objects
        #: when asked for); :meth:`appendable` before adding one
        self.records: list[Any] | LazyRecords = []
        self.lines = array("l")
        self.positions = array("l")
        self.file = ""
        self.pointer: str | None = None
        #: (how many records, fields by name, whether their ids are all different) when
        #: a columnar reader read the first records as columns (see SectionColumns); any
        #: record kept after them leaves the columns describing fewer records than the
        #: section has, and unused
        self.columns: tuple[int, Mapping[str, Any], bool] | None = None

    def appendable(self) -> list[Any]:
        """The records as a list to add to (records kept as columns are made first)."""
        records = self.records
        if not isinstance(records, list):
            records = self.records = list(records)
        return records

    def read_columns(self) -> tuple[Mapping[str, Any], bool] | None:
        """The columns' fields and whether the ids are all different, when the columns
        describe every record kept."""
        if self.columns is None or self.columns[0] != len(self.records):
            return None
        return self.columns[1], self.columns[2]


CONTACT_NEW = fast_constructor(
    Contact,
    ("id", "coach", "client", "channel", "at", "initiated_by", "responded_at", "attributes"),
)
INTERNED_CHANNELS = {c: c for c in CHANNELS}
INTERNED_INITIATORS = {c: c for c in CONTACT_INITIATORS}
#: the fields a contact may have for the fast path (JSON Lines adds ``type``)
CONTACT_FAST_FIELDS = frozenset(
    ("type", "id", "coach", "client", "channel", "at", "initiated_by", "responded_at")
)


#: (column of the id, (field, column, valid cells seen and their values) for every other
#: column; no cells are kept for fields whose cells rarely repeat)
_RowPlan = tuple[int, tuple[tuple[PracticeField, int, dict[str, Any] | None], ...]]
_REPEATING = frozenset({"enum", "open", "enums", "opens", "count", "hours"})


def _label(name: str) -> str:
    return name.replace("_", " ")


def _columns_fine(buf: _Buffer, refs: Sequence[tuple[str, str]], people: Collection[str]) -> bool:
    """:func:`_all_fine` of a section whose records a columnar reader read, on its
    columns: the ids all different, and the distinct values of person references people
    (the references' values are those of the records: 789k contacts, far fewer people).
    False when the columns do not tell (the records are then looked at)."""
    read = buf.read_columns()
    if read is None or not read[1]:
        return False
    fields = read[0]
    for name, kind in refs:
        found = fields.get(name)
        if kind != "person" or found is None:
            return False
        values = set(found.values)
        values.discard(None)
        if not values.issubset(people):
            return False
    return True


def _all_fine(
    records: Sequence[Any],
    refs: Sequence[tuple[str, str]],
    people: Collection[str],
    ties: Mapping[str, str],
) -> bool:
    """No duplicate id, every reference known, agreements only for coaching ties."""
    if len(set(map(attrgetter("id"), records))) != len(records):
        return False
    for name, kind in refs:
        values = set(map(attrgetter(name), records))
        values.discard(None)
        if kind == "tie":
            if any(ties.get(v) != "coaching" for v in values):
                return False
        elif kind == "about":
            if any(v not in people and v not in ties for v in values):
                return False
        elif not values.issubset(people):
            return False
    return True


class PracticeReader:
    """Checks practice records with the helpers of a ``PeopleTiesReader``."""

    def __init__(self, reader: PeopleTiesReader, *, extra_fields: Collection[str] = ()) -> None:
        self.r = reader
        self.c: Collector = reader.c
        self.buffers: dict[str, _Buffer] = {s: _Buffer() for s in PRACTICE_SECTIONS}
        self.fields = {
            s: frozenset(("id", "attributes", *extra_fields, *(f.name for f in fs)))
            for s, fs in SECTION_FIELDS.items()
        }
        self.rejected_refs: list[_Ref] = []
        #: one string per distinct person id of the contacts (millions of copies otherwise),
        #: the same strings as the people's and ties' ids
        self.ids: dict[str, str] = reader.ids
        self._known_lists: dict[PracticeField, set[tuple[str, ...]]] = defaultdict(set)

    # -- values -------------------------------------------------------------------------
    def datetime_value(self, value: Any) -> datetime | tuple[str, ProblemCode]:
        """The aware datetime, or the error message and its code."""
        if isinstance(value, datetime):
            if value.utcoffset() is None:
                return "a date and time without a timezone (add Z or an offset)", "naive-datetime"
            return value
        if isinstance(value, date):
            return "expected a date and time with a timezone, got a date", "invalid-datetime"
        if not isinstance(value, str):
            return f"expected a date and time (text), got {type_name(value)}", "wrong-type"
        d = aware_datetime(value)
        if d is not None:
            return d
        what = f"invalid date and time {value!r} (expected YYYY-MM-DDTHH:MM[:SS]+HH:MM or Z)"
        if len(value) < 16 or value[4] != "-" or value[7] != "-" or value[10] != "T":
            return what, "invalid-datetime"
        try:
            datetime.fromisoformat(value)
        except ValueError:
            return what, "invalid-datetime"
        return f"{value!r} has no timezone (add Z or an offset like +01:00)", "naive-datetime"

    # -- contacts, the large section: a fast path for valid records ----------------------
    def contact(  # noqa: PLR0917
        self,
        rid: Any,
        coach: Any,
        client: Any,
        channel: Any,
        at: Any,
        initiated_by: Any,
        responded_at: Any,
        file: str,
        line: int | None,
        index: int,
    ) -> bool:
        """Keep a contact given as text fields when it is valid (references are checked
        later, as for every record); False when something is wrong or unusual, and the
        caller hands the record to :meth:`read`, which says what."""
        if not (
            type(rid) is str
            and type(coach) is str
            and type(client) is str
            and type(channel) is str
            and type(initiated_by) is str
            and rid
            and coach
            and client
            and not rid.isspace()
            and not coach.isspace()
            and not client.isspace()
        ):
            return False
        intern = self.ids.setdefault
        coach = intern(coach, coach)
        client = intern(client, client)
        channel = INTERNED_CHANNELS.get(channel)
        initiated_by = INTERNED_INITIATORS.get(initiated_by)
        when = aware_datetime(at)
        if channel is None or initiated_by is None or when is None:
            return False
        responded = None
        if responded_at is not None:
            responded = aware_datetime(responded_at)
            if responded is None or responded < when:
                return False
        buf = self.buffers["contacts"]
        new, set_id, set_coach, set_client, set_channel, set_at, set_by, set_resp, set_attrs = (
            CONTACT_NEW
        )
        k = new(Contact)
        set_id(k, rid)
        set_coach(k, coach)
        set_client(k, client)
        set_channel(k, channel)
        set_at(k, when)
        set_by(k, initiated_by)
        set_resp(k, responded)
        set_attrs(k, NO_ATTRIBUTES)
        buf.appendable().append(k)
        buf.lines.append(line or 0)
        buf.positions.append(index)
        buf.file = file
        return True

    # -- other sections: a fast path for valid CSV rows --------------------------------
    def row_plan(self, section: str, header: list[str]) -> _RowPlan | None:
        """How :meth:`row` reads a ``section`` file with ``header``; None when the file has
        other columns (attributes: the general path) or lacks a required one."""
        fields = {f.name: f for f in SECTION_FIELDS[section]}
        if "id" not in header or len(set(header)) != len(header):
            return None
        if not set(header) <= {"id", *fields}:
            return None
        if any(f.required and f.name not in header for f in fields.values()):
            return None
        cells: tuple[tuple[PracticeField, int, dict[str, Any] | None], ...] = tuple(
            (fields[name], i, {} if fields[name].kind in _REPEATING else None)
            for i, name in enumerate(header)
            if name != "id"
        )
        return header.index("id"), cells

    def row(  # noqa: PLR0917
        self, section: str, plan: _RowPlan, row: list[str], file: str, line: int, index: int
    ) -> bool:
        """Keep a CSV row of ``section`` (read with ``plan``) when :meth:`read` would keep
        it without a word: every value valid and in its vocabulary (a warning too goes the
        general way), dates in order.  False when anything is missing, wrong or unusual:
        the caller hands the row to :meth:`read`, which says what, so both paths keep the
        same records."""
        at_id, cells = plan
        rid = row[at_id]
        if not rid or rid.isspace():
            return False
        values: dict[str, Any] = {}
        for f, i, known in cells:
            cell = row[i]
            if not cell:  # an empty cell is an absent value, as in csv_record
                if f.required:
                    return False
                continue
            value = None if known is None else known.get(cell)
            if value is None:
                value = cell_value(f, cell, self.r.dates)
                if value is None:
                    return False
                if known is not None and len(known) < 4096:
                    known[cell] = value  # a valid cell of a kind whose cells repeat
            values[f.name] = value
        for earlier, later in ORDER.get(section, ()):
            a, b = values.get(earlier), values.get(later)
            if a is not None and b is not None and b < a:
                return False
        if section in ("consents", "concerns") and not cross_fine(section, values):
            return False
        return self.keep(section, rid, values, file, line, index)

    def keep(  # noqa: PLR0917
        self, section: str, rid: str, values: dict[str, Any], file: str, line: int, index: int
    ) -> bool:
        buf = self.buffers[section]
        buf.appendable().append(_CLASSES[section](id=rid, **values))
        buf.lines.append(line)
        buf.positions.append(index)
        buf.file = file
        buf.pointer = None
        return True

    def keep_all(self, section: str, records: list[Any], file: str) -> None:
        """:meth:`keep` every one of ``records``, read in this order from the rows of
        ``file`` after its header (one line each)."""
        buf = self.buffers[section]
        n = len(records)
        buf.appendable().extend(records)
        buf.lines.extend(range(2, n + 2))
        buf.positions.extend(range(n))
        if n:  # as keep leaves them when there is no record
            buf.file = file
            buf.pointer = None

    # -- records ------------------------------------------------------------------------
    def read(  # noqa: PLR0917
        self, section: str, obj: Any, file: str, line: int | None, pointer: str | None, index: int
    ) -> bool:
        """Check one decoded record of ``section``; keep it when it has no problem."""
        r = self.r
        where: _Where = (file, line, pointer, section, index)
        what = _label(PRACTICE_SECTIONS[section])
        if not r._is_object(obj, where, what):
            return False
        before = len(self.c.errors)
        rid = r._id(obj, "id", where, None, required=True, what=what)
        r._unknown_fields(obj, self.fields[section], where, rid)
        values: dict[str, Any] = {}
        refs: list[tuple[str, str]] = []
        for f in SECTION_FIELDS[section]:
            value = self._value(f, obj, where, rid, what)
            if value is not None:
                values[f.name] = value
                if f.kind in REFS:
                    refs.append((f.name, value))
        for earlier, later in ORDER.get(section, ()):
            a, b = values.get(earlier), values.get(later)
            if a is not None and b is not None and b < a:
                r._err(
                    *where,
                    "date-order",
                    f"{later!r} {b.isoformat()} is before {earlier!r} {a.isoformat()}",
                    record=rid,
                    field=later,
                )
        self._cross_fields(section, obj, values, where, rid)
        attributes, err = r._attributes(obj.get("attributes"))
        if err:
            r._err(*where, "wrong-type", err, record=rid, field="attributes")
        if len(self.c.errors) != before or rid is None or attributes is None:
            for name, ref in refs:
                line_f = line
                if r.field_line is not None:
                    line_f = r.field_line(section, index, name) or line
                ptr = f"{pointer}/{name}" if pointer is not None else None
                self.rejected_refs.append((file, line_f, ptr, section, rid, name, ref))
            return False
        if attributes:
            values["attributes"] = attributes
        buf = self.buffers[section]
        buf.appendable().append(_CLASSES[section](id=rid, **values))
        buf.lines.append(line or 0)
        buf.positions.append(index)
        buf.file = file
        buf.pointer = None if pointer is None else f"/{section}"
        return True

    def _value(
        self, f: PracticeField, obj: Mapping[str, Any], where: _Where, rid: str | None, what: str
    ) -> Any:
        r = self.r
        kind = f.kind
        if kind in REFS or kind == "text":
            return r._id(obj, f.name, where, rid, required=f.required, what=what)
        value = obj.get(f.name)
        if value is None:
            if f.required:
                r._err(
                    *where,
                    "missing-field",
                    f"{what} has no {f.name!r}",
                    record=rid,
                    field=None if f.name not in obj else f.name,
                )
            return None
        if kind == "date":
            d, err = r.date_value(value)
            if err:
                r._err(*where, "invalid-date", err, record=rid, field=f.name)
            return d
        if kind == "datetime":
            got = self.datetime_value(value)
            if isinstance(got, datetime):
                return got
            message, code = got
            r._err(*where, code, f"{f.name!r}: {message}", record=rid, field=f.name)
            return None
        if kind in ("enum", "open"):
            if not isinstance(value, str) or not value:
                r._err(
                    *where,
                    "wrong-type",
                    f"{f.name!r} must be a non-empty string, got {type_name(value)}",
                    record=rid,
                    field=f.name,
                )
                return None
            self._vocabulary(f, value, where, rid)
            return value
        if kind in LIST_KINDS:
            # lists repeat: one whose items are all known needs no check again
            known = self._known_lists[f]
            if type(value) is list:
                items = tuple(value)
                if items in known:
                    return items
            if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
                r._err(
                    *where,
                    "wrong-type",
                    f"{f.name!r} must be a list of non-empty strings",
                    record=rid,
                    field=f.name,
                )
                return None
            for v in value:
                self._vocabulary(f, v, where, rid)
            if all(v in f.vocabulary for v in value) and len(known) < 4096:
                known.add(tuple(value))
            return tuple(value)
        if kind == "count":
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                shown = repr(value) if isinstance(value, int | float | str) else type_name(value)
                r._err(
                    *where,
                    "wrong-type",
                    f"{f.name!r} must be a positive whole number, got {shown}",
                    record=rid,
                    field=f.name,
                )
                return None
            return value
        # hours
        if not isinstance(value, str) or not is_hours(value):
            shown = repr(value) if isinstance(value, str) else type_name(value)
            r._err(
                *where,
                "invalid-hours",
                f"{f.name!r} must be HH:MM-HH:MM (two different times), got {shown}",
                record=rid,
                field=f.name,
            )
            return None
        return value

    def _vocabulary(self, f: PracticeField, value: str, where: _Where, rid: str | None) -> None:
        if value in f.vocabulary:
            return
        closed = f.kind in ("enum", "enums")
        label = _label(f.name.removesuffix("s") if f.kind in LIST_KINDS else f.name)
        self.r._err(
            *where,
            "invalid-value" if closed else "unknown-value",
            f"unknown {label} {value!r}"
            + ("" if closed else " (not in the vocabulary)")
            + did_you_mean(value, f.vocabulary),
            record=rid,
            field=f.name,
            warning=not closed,
        )

    def _cross_fields(
        self,
        section: str,
        obj: Mapping[str, Any],
        values: Mapping[str, Any],
        where: _Where,
        rid: str | None,
    ) -> None:
        r = self.r
        if section == "consents":
            if values.get("purpose") == "data_sharing" and obj.get("recipient") is None:
                r._err(
                    *where,
                    "missing-field",
                    "a data_sharing consent has no 'recipient' (a person id or an organisation)",
                    record=rid,
                    field=None,
                )
        elif section == "concerns":
            status = values.get("status")
            if status in OPEN_CONCERN_STATUSES and values.get("resolved") is not None:
                r._err(
                    *where,
                    "inconsistent-status",
                    f"a concern with status {status!r} has a 'resolved' date",
                    record=rid,
                    field="resolved",
                )
            elif (
                status in CONCERN_STATUSES
                and status not in OPEN_CONCERN_STATUSES
                and obj.get("resolved") is None
            ):
                r._err(
                    *where,
                    "missing-field",
                    f"a concern with status {status!r} has no 'resolved' date",
                    record=rid,
                    field="status",
                    warning=True,
                )

    # -- across records -----------------------------------------------------------------
    def has_records(self) -> bool:
        """Whether any record was read (kept or rejected with references)."""
        return bool(self.rejected_refs) or any(b.records for b in self.buffers.values())

    def check(
        self,
        people: Collection[str],
        ties: Mapping[str, str],
        *,
        rejected_people: Collection[str] = (),
        rejected_ties: Collection[str] = (),
    ) -> None:
        """Duplicate ids and references; ``ties`` maps tie ids to their kinds."""
        c = self.c
        field_line = self.r.field_line
        suggest_tie, suggest_person = Suggester(ties), Suggester(people)

        def unknown(  # noqa: PLR0917
            file: str,
            line: int | None,
            pointer: str | None,
            rid: str | None,
            name: str,
            ref: str,
            kind: str,
        ) -> None:
            code: ProblemCode
            if kind == "tie":
                if ref in ties or ref in rejected_ties:
                    return
                hint = suggest_tie.hint(ref)
                code, msg = "unknown-tie", f"{name} {ref!r} is not a tie of the registry{hint}"
            elif kind == "about":
                if ref in people or ref in ties or ref in rejected_people or ref in rejected_ties:
                    return
                code = "unknown-reference"
                msg = f"{name} {ref!r} is neither a person nor a tie of the registry"
            else:
                if ref in people or ref in rejected_people:
                    return
                hint = suggest_person.hint(ref)
                code = "unknown-person"
                msg = f"{name} {ref!r} is not a person of the registry{hint}"
            c.error(file, code, msg, line=line, pointer=pointer, record=rid, field=name)

        for section, buf in self.buffers.items():
            if not buf.records:
                continue
            refs = [(f.name, f.kind) for f in SECTION_FIELDS[section] if f.kind in REFS]
            if _columns_fine(buf, refs, people) or _all_fine(buf.records, refs, people, ties):
                continue  # the usual case, a few set operations even for millions
            first: dict[str, int] = {}
            what = PRACTICE_SECTIONS[section]
            for i, rec in enumerate(buf.records):
                j = first.setdefault(rec.id, i)
                pos = buf.positions[i]
                line = buf.lines[i] or None
                ptr = f"{buf.pointer}/{pos}" if buf.pointer is not None else None
                if j != i:
                    at = buf.lines[j]
                    where = f" at line {at}" if at else ""
                    if not at and buf.pointer is not None:
                        where = f" at {buf.pointer}/{buf.positions[j]}"
                    c.error(
                        buf.file,
                        cast("ProblemCode", "duplicate-" + what.replace("_", "-")),
                        f"{_label(what)} id {rec.id!r} already used{where}",
                        line=line,
                        pointer=None if ptr is None else f"{ptr}/id",
                        record=rec.id,
                        field="id",
                    )
                for name, kind in refs:
                    ref = getattr(rec, name)
                    if ref is None:
                        continue
                    if kind == "person" and ref in people:
                        continue
                    line_f = (field_line(section, pos, name) if field_line else None) or line
                    ptr_f = None if ptr is None else f"{ptr}/{name}"
                    if kind == "tie":
                        tie_kind = ties.get(ref)
                        if tie_kind is not None:
                            if tie_kind != "coaching":
                                c.warning(
                                    buf.file,
                                    "not-coaching",
                                    f"agreement for a {tie_kind} tie {ref!r}, not a coaching tie",
                                    line=line_f,
                                    pointer=ptr_f,
                                    record=rec.id,
                                    field=name,
                                )
                            continue
                    unknown(buf.file, line_f, ptr_f, rec.id, name, ref, kind)
        for file, line, pointer, section, rid, name, ref in self.rejected_refs:
            kind = next(f.kind for f in SECTION_FIELDS[section] if f.name == name)
            unknown(file, line, pointer, rid, name, ref, kind)

    def practice(self, *, lazy: bool = False) -> Practice:
        """The records read; with ``lazy``, a section a columnar reader kept as columns
        is given as its :class:`~dualrel.graph._lazy_records.LazyRecords` (equal to the
        tuple, its objects made when asked for: what a check does not read is never
        made), for a :class:`~dualrel.graph.columns.ColumnarRegistry`, whose ``full``
        gives the tuples."""
        sections: dict[str, Any] = {
            s: b.records if lazy and not isinstance(b.records, list) else tuple(b.records)
            for s, b in self.buffers.items()
        }
        return Practice(**sections)

    def section_columns(self, practice: Practice) -> dict[str, SectionColumns]:
        """By section, the columns a columnar reader kept of ``practice``'s records (made
        by :meth:`practice`), when they describe every record of the section."""
        from dualrel.graph.columns import SectionColumns  # noqa: PLC0415 (a cycle)

        out = {}
        for section, buf in self.buffers.items():
            read = buf.read_columns()
            if read is not None:
                out[section] = SectionColumns(practice.section(section), read[0])
        return out

    def add_locations(self, locations: RecordLocations) -> None:
        for section, buf in self.buffers.items():
            if buf.records:
                lines: LineMap = LineArray(buf.lines)
                locations.add_section(
                    PRACTICE_SECTIONS[section], buf.file, None, lines, buf.pointer, buf.records
                )
