"""Checking people and tie records and assembling a registry, shared by every format
(private).

Each format reader decodes its file into records (a dict per person or tie) and hands them
to a ``PeopleTiesReader`` (field checks: types, dates, kinds) and then to ``assemble``
(checks across records: duplicate ids, unknown people, empty registry, role warnings).
The practice sections have their own reader (``_practice_reader``), built on this one.
Problems are collected in a ``Collector``; nothing stops at the first one.
"""

from __future__ import annotations

import dataclasses
from array import array
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from dualrel._internal.problems import Collector
from dualrel._internal.suggest import did_you_mean
from dualrel.graph._frozen import NO_ATTRIBUTES
from dualrel.graph._locations import LineArray, LineMap, RecordLocations
from dualrel.graph.model import FAMILY_RELATIONS, Person, Registry, Tie, derive_tie_id

if TYPE_CHECKING:
    from dualrel.graph._practice_reader import PracticeReader

__all__ = [
    "DATE_ATTRIBUTES",
    "PERSON_FIELDS",
    "ROLE_EXPECTATIONS",
    "SUGGEST_PEOPLE_LIMIT",
    "TIE_FIELDS",
    "DateParser",
    "PeopleTiesReader",
    "SectionInfo",
    "assemble",
    "fast_constructor",
    "finish",
    "type_name",
]

PERSON_FIELDS = ("id", "roles", "name", "organisation", "attributes")
TIE_FIELDS = ("id", "kind", "source", "target", "start", "end", "attributes")

#: Tie attributes that must hold an ISO date when present.
DATE_ATTRIBUTES = ("agreement_signed",)

#: kind -> (role expected of the source, role expected of the target); a missing role is a
#: warning, never an error.
ROLE_EXPECTATIONS: Mapping[str, tuple[str | None, str | None]] = {
    "coaching": ("coach", "client"),
    "supervision": ("supervisor", None),
    "management": ("manager", None),
    "sponsorship": ("sponsor", "client"),
}

#: Above this many people, unknown person ids get no "did you mean" (difflib is quadratic).
SUGGEST_PEOPLE_LIMIT = 5000

#: (line, pointer) of a field of a record, looked up only when a problem is reported.
FieldLocator = Callable[[str, int, str], int | None]


def fast_constructor(cls: type[Any], names: tuple[str, ...]) -> tuple[Any, ...]:
    """``object.__new__`` and the slot setters of a frozen slots dataclass, in field order.

    Filling slots directly costs half of the generated ``__init__`` (which goes through
    ``object.__setattr__`` to defeat ``frozen``), which counts at millions of rows.  Only
    used when the dataclass has exactly ``names`` as fields and no ``__post_init__``.
    """
    if tuple(f.name for f in dataclasses.fields(cls)) != names or hasattr(cls, "__post_init__"):
        raise RuntimeError(f"{cls.__name__} changed: update the fast constructors")
    return (object.__new__, *(getattr(cls, n).__set__ for n in names))


class DateParser:
    """Strict ``YYYY-MM-DD`` parsing with a cache (dates repeat a lot in registries)."""

    __slots__ = ("cache",)

    def __init__(self) -> None:
        self.cache: dict[str, date] = {}

    def parse(self, text: str) -> date | None:
        """The date, or None when ``text`` is not a valid ``YYYY-MM-DD`` date."""
        d = self.cache.get(text)
        if d is not None:
            return d
        if len(text) != 10 or text[4] != "-" or text[7] != "-" or not text[:4].isdigit():
            return None
        try:
            d = date.fromisoformat(text)
        except ValueError:
            return None
        self.cache[text] = d
        return d


def type_name(value: object) -> str:
    if value is None:
        return "null"
    return {
        bool: "boolean",
        int: "integer",
        float: "number",
        str: "string",
        list: "array",
        dict: "object",
    }.get(type(value), type(value).__name__)


def _plain(value: Any, depth: int = 0) -> tuple[Any, str | None]:
    """``value`` as plain JSON data (dates become ISO strings), or an error message."""
    if value is None or isinstance(value, str | bool | int | float):
        return value, None
    if isinstance(value, datetime):
        return None, "a timestamp is not allowed here (write a date or a quoted string)"
    if isinstance(value, date):
        return value.isoformat(), None
    if depth > 32:
        return None, "nested too deeply"
    if isinstance(value, list):
        out = []
        for item in value:
            v, err = _plain(item, depth + 1)
            if err:
                return None, err
            out.append(v)
        return out, None
    if isinstance(value, dict):
        obj: dict[str, Any] = {}
        for k, item in value.items():
            if not isinstance(k, str):
                return None, f"object keys must be strings, got {type_name(k)} {k!r}"
            v, err = _plain(item, depth + 1)
            if err:
                return None, err
            obj[k] = v
        return obj, None
    return None, f"{type_name(value)} is not allowed (only JSON data)"


class PeopleTiesReader:
    """Checks the fields of decoded person and tie records and builds model objects."""

    def __init__(
        self,
        collector: Collector,
        kinds: Mapping[str, bool],
        roles: Collection[str],
        *,
        field_line: FieldLocator | None = None,
        plain_data: bool = True,
        extra_fields: Collection[str] = (),
    ) -> None:
        self.c = collector
        self.kinds = kinds
        self.roles = roles
        self.field_line = field_line
        self.plain_data = plain_data
        self.dates = DateParser()
        #: person references of ties rejected for other problems, checked by ``assemble``
        #: so that an unknown person is reported too: (file, line, pointer, tie id,
        #: field, person id)
        self.rejected_refs: list[tuple[str, int | None, str | None, str | None, str, str]] = []
        #: ids of people rejected for other problems: ties to them are not "unknown"
        self.rejected_people: set[str] = set()
        #: ids of ties rejected for other problems: records naming them are not "unknown"
        self.rejected_ties: set[str] = set()
        self.person_fields = frozenset(PERSON_FIELDS) | frozenset(extra_fields)
        self.tie_fields = frozenset(TIE_FIELDS) | frozenset(extra_fields)

    # -- locating -----------------------------------------------------------------------
    def _err(  # noqa: PLR0917
        self,
        file: str,
        line: int | None,
        pointer: str | None,
        section: str,
        index: int,
        code: str,
        message: str,
        *,
        record: str | None,
        field: str | None,
        warning: bool = False,
    ) -> None:
        if field is not None:
            if self.field_line is not None:
                line = self.field_line(section, index, field) or line
            if pointer is not None:
                pointer = f"{pointer}/{field}"
        report = self.c.warning if warning else self.c.error
        report(file, code, message, line=line, pointer=pointer, record=record, field=field)

    # -- fields -------------------------------------------------------------------------
    def date_value(self, value: Any) -> tuple[date | None, str | None]:
        if value is None:
            return None, None
        if isinstance(value, datetime):
            return None, "expected a date (YYYY-MM-DD), got a timestamp"
        if isinstance(value, date):
            return value, None
        if not isinstance(value, str):
            return None, f"expected a date (YYYY-MM-DD) or null, got {type_name(value)}"
        d = self.dates.parse(value)
        if d is None:
            return None, f"invalid date {value!r} (expected YYYY-MM-DD)"
        return d, None

    def _attributes(self, value: Any) -> tuple[Mapping[str, Any] | None, str | None]:
        if value is None or (isinstance(value, dict) and not value):
            return NO_ATTRIBUTES, None  # one shared empty dict, not one per record
        if not isinstance(value, dict):
            return None, f"'attributes' must be an object, got {type_name(value)}"
        if self.plain_data:
            return value, None
        plain, err = _plain(value)
        return plain, err

    def _unknown_fields(
        self,
        obj: Mapping[str, Any],
        allowed: frozenset[str],
        where: tuple[str, int | None, str | None, str, int],
        record: str | None,
    ) -> bool:
        bad = False
        for key in obj:
            if key not in allowed:
                self._err(
                    *where,
                    "unknown-field",
                    f"unknown field {key!r}" + did_you_mean(str(key), allowed),
                    record=record,
                    field=str(key),
                )
                bad = True
        return bad

    def _is_object(
        self, obj: Any, where: tuple[str, int | None, str | None, str, int], what: str
    ) -> bool:
        """Whether a decoded record is an object; a located error when it is not."""
        if isinstance(obj, dict):
            return True
        self._err(
            *where,
            "wrong-type",
            f"a {what} must be an object, got {type_name(obj)}",
            record=None,
            field=None,
        )
        return False

    def _id(
        self,
        obj: Mapping[str, Any],
        key: str,
        where: tuple[str, int | None, str | None, str, int],
        record: str | None,
        *,
        required: bool,
        what: str,
    ) -> str | None:
        value = obj.get(key)
        if value is None:
            if required:
                self._err(
                    *where,
                    "missing-field",
                    f"{what} has no {key!r}",
                    record=record,
                    field=None if key not in obj else key,
                )
            return None
        if not isinstance(value, str):
            self._err(
                *where,
                "wrong-type",
                f"{key!r} must be a string, got {type_name(value)}",
                record=record,
                field=key,
            )
            return None
        if not value.strip():
            self._err(*where, "empty-field", f"{key!r} is empty", record=record, field=key)
            return None
        return value

    def _open(
        self,
        obj: Any,
        where: tuple[str, int | None, str | None, str, int],
        what: str,
        fields: frozenset[str],
        *,
        id_required: bool,
    ) -> tuple[int, str | None] | None:
        """What a person or tie starts with: the errors so far and the record's id, after
        reporting its unknown fields; None (reported) when the record is not an object."""
        if not self._is_object(obj, where, what):
            return None
        before = len(self.c.errors)
        rid = self._id(obj, "id", where, None, required=id_required, what=what)
        self._unknown_fields(obj, fields, where, rid)
        return before, rid

    def person(
        self, obj: Any, file: str, line: int | None, pointer: str | None, index: int
    ) -> Person | None:
        """A Person from a decoded record, or None after reporting its problems."""
        where = (file, line, pointer, "people", index)
        opened = self._open(obj, where, "person", self.person_fields, id_required=True)
        if opened is None:
            return None
        before, pid = opened
        roles_value = obj.get("roles")
        roles: tuple[str, ...] = ()
        if roles_value is not None:
            if not isinstance(roles_value, list) or not all(
                isinstance(r, str) and r for r in roles_value
            ):
                self._err(
                    *where,
                    "wrong-type",
                    "'roles' must be a list of non-empty strings",
                    record=pid,
                    field="roles",
                )
            else:
                roles = tuple(roles_value)
                for r in roles:
                    if r not in self.roles:
                        self._err(
                            *where,
                            "unknown-role",
                            f"role {r!r} is not in the vocabulary" + did_you_mean(r, self.roles),
                            record=pid,
                            field="roles",
                            warning=True,
                        )
        name = self._optional_text(obj, "name", where, pid)
        organisation = self._optional_text(obj, "organisation", where, pid)
        attributes, err = self._attributes(obj.get("attributes"))
        if err:
            self._err(*where, "wrong-type", err, record=pid, field="attributes")
        if len(self.c.errors) != before or pid is None or attributes is None:
            if pid is not None:
                self.rejected_people.add(pid)
            return None
        return Person(pid, roles, name, organisation, attributes)

    def _optional_text(
        self,
        obj: Mapping[str, Any],
        key: str,
        where: tuple[str, int | None, str | None, str, int],
        record: str | None,
    ) -> str | None:
        value = obj.get(key)
        if value is None or isinstance(value, str):
            return value
        self._err(
            *where,
            "wrong-type",
            f"{key!r} must be a string, got {type_name(value)}",
            record=record,
            field=key,
        )
        return None

    def tie(
        self, obj: Any, file: str, line: int | None, pointer: str | None, index: int
    ) -> Tie | None:
        """A Tie from a decoded record (id derived when absent), or None after problems."""
        where = (file, line, pointer, "ties", index)
        opened = self._open(obj, where, "tie", self.tie_fields, id_required=False)
        if opened is None:
            return None
        before, tid = opened
        kind = self._id(obj, "kind", where, tid, required=True, what="tie")
        if kind is not None and kind not in self.kinds:
            self._err(
                *where,
                "unknown-kind",
                f"unknown tie kind {kind!r}" + did_you_mean(kind, self.kinds),
                record=tid,
                field="kind",
            )
        source = self._id(obj, "source", where, tid, required=True, what="tie")
        target = self._id(obj, "target", where, tid, required=True, what="tie")
        if source is not None and source == target:
            self._err(
                *where,
                "self-tie",
                f"tie from {source!r} to itself",
                record=tid,
                field="target",
            )
        start, err = self.date_value(obj.get("start"))
        if err:
            self._err(*where, "invalid-date", err, record=tid, field="start")
        end, err = self.date_value(obj.get("end"))
        if err:
            self._err(*where, "invalid-date", err, record=tid, field="end")
        if start is not None and end is not None and end < start:
            self._err(
                *where,
                "end-before-start",
                f"end {end.isoformat()} is before start {start.isoformat()}",
                record=tid,
                field="end",
            )
        attributes, err = self._attributes(obj.get("attributes"))
        if err:
            self._err(*where, "wrong-type", err, record=tid, field="attributes")
        elif attributes is not None:
            self._tie_attributes(kind, attributes, where, tid)
        if (
            len(self.c.errors) != before
            or kind is None
            or source is None
            or target is None
            or attributes is None
        ):
            if tid is not None:
                self.rejected_ties.add(tid)
            for field, pid in (("source", source), ("target", target)):
                if pid is not None:
                    line_f = line
                    if self.field_line is not None:
                        line_f = self.field_line("ties", index, field) or line
                    ptr = f"{pointer}/{field}" if pointer is not None else None
                    self.rejected_refs.append((file, line_f, ptr, tid, field, pid))
            return None
        if tid is None:
            tid = derive_tie_id(
                kind, source, target, start, end, attributes, directed=self.kinds[kind]
            )
        return Tie(tid, kind, source, target, start, end, attributes)

    def _tie_attributes(
        self,
        kind: str | None,
        attributes: Mapping[str, Any],
        where: tuple[str, int | None, str | None, str, int],
        record: str | None,
    ) -> None:
        field = "attributes"
        for key in DATE_ATTRIBUTES:
            value = attributes.get(key)
            if value is not None:
                _, err = self.date_value(value)
                if err:
                    self._err(*where, "invalid-date", f"{key}: {err}", record=record, field=field)
        if kind == "family":
            relation = attributes.get("relation")
            if relation is None:
                self._err(
                    *where,
                    "missing-relation",
                    f"family tie without 'relation' (one of {', '.join(sorted(FAMILY_RELATIONS))})",
                    record=record,
                    field=field,
                    warning=True,
                )
            elif relation not in FAMILY_RELATIONS:
                self._err(
                    *where,
                    "invalid-relation",
                    f"unknown family relation {relation!r}"
                    + did_you_mean(str(relation), FAMILY_RELATIONS),
                    record=record,
                    field=field,
                )


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
) -> Registry:
    """Checks across records, then the Registry (raises ``RegistryError`` on any error).

    ``people`` and ``ties`` must be exactly the records of the file, in order, when no
    error was collected before (their positions are the positions in the file).
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
    suggest = len(pindex) <= SUGGEST_PEOPLE_LIMIT
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
                    hint = did_you_mean(pid, pindex) if suggest else ""
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
            hint = did_you_mean(pid, pindex) if suggest else ""
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
) -> Registry:
    """Raise the collected problems, if any; else the registry with its locations.

    An index left None is built from the registry's records when a location is first
    asked for (millions of ties need not keep an id index nobody reads).
    """
    c = collector
    if not registry.people and not c.errors:
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
