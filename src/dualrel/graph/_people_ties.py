"""Checking people and tie records and assembling a registry, shared by every format
(private).

Each format reader decodes its file into records (a dict per person or tie) and hands them
to a ``PeopleTiesReader`` (field checks: types, dates, kinds), then to ``_assemble``
(checks across records: duplicate ids, unknown people, empty registry, role warnings).
The practice sections have their own reader (``_practice_reader``), built on this one.
Problems are collected in a ``Collector``; nothing stops at the first one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection, Mapping
from datetime import date, datetime
from typing import Any

from dualrel._internal.problems import Collector
from dualrel._internal.suggest import did_you_mean
from dualrel.errors import ProblemCode
from dualrel.graph._frozen import NO_ATTRIBUTES, FrozenDict
from dualrel.graph.model import (
    _TYPE_CHECK_ONLY,
    DATE_ATTRIBUTES,
    FAMILY_RELATIONS,
    Person,
    Tie,
    derive_tie_id,
)

__all__ = [
    "PERSON_FIELDS",
    "ROLE_EXPECTATIONS",
    "TIE_FIELDS",
    "DateParser",
    "PeopleTiesReader",
    "fast_constructor",
    "type_name",
]

PERSON_FIELDS = ("id", "roles", "name", "organisation", "attributes")
TIE_FIELDS = ("id", "kind", "source", "target", "start", "end", "attributes")

#: kind -> (role expected of the source, role expected of the target); a missing role is a
#: warning, never an error.
ROLE_EXPECTATIONS: Mapping[str, tuple[str | None, str | None]] = {
    "coaching": ("coach", "client"),
    "supervision": ("supervisor", None),
    "management": ("manager", None),
    "sponsorship": ("sponsor", "client"),
}

#: Distinct all-text attribute sets a reader remembers to share (beyond them, each record
#: keeps its own): a registry repeats a handful, a hostile one cannot grow the table.
_SHARED_SETS = 4096

#: (line, pointer) of a field of a record, looked up only when a problem is reported.
FieldLocator = Callable[[str, int, str], int | None]


def fast_constructor(cls: type[Any], names: tuple[str, ...]) -> tuple[Any, ...]:
    """``object.__new__`` and the slot setters of a frozen slots dataclass, in field order.

    Filling slots directly costs half of the generated ``__init__`` (which goes through
    ``object.__setattr__`` to defeat ``frozen``), which counts at millions of rows.  Only
    used when the dataclass has exactly ``names`` as fields and no ``__post_init__`` but
    the type check of :class:`Person` and :class:`Tie`, which a loader's records, checked
    field by field and located, need not pass again.
    """
    post_init = hasattr(cls, "__post_init__") and cls not in _TYPE_CHECK_ONLY
    if tuple(f.name for f in dataclasses.fields(cls)) != names or post_init:
        raise RuntimeError(f"{cls.__name__} changed: update the fast constructors")
    return (object.__new__, *(getattr(cls, n).__set__ for n in names))


_NEW, _SET_PID, _SET_ROLES, _SET_NAME, _SET_ORG, _SET_PATTRS = fast_constructor(
    Person, PERSON_FIELDS
)
_, _SET_TID, _SET_KIND, _SET_SOURCE, _SET_TARGET, _SET_START, _SET_END, _SET_TATTRS = (
    fast_constructor(Tie, TIE_FIELDS)
)


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
        # Decoded records repeat a few texts millions of times (a tie's kind, its two ends,
        # a person's roles and organisation, a handful of attribute sets): each is kept
        # once, as the CSV readers do, which at a million people is most of a JSON Lines
        # registry's memory.
        #: one string per person id, shared by the person and every tie naming them
        self.ids: dict[str, str] = {}
        self._kinds = {k: k for k in kinds}
        self._texts: dict[str, str] = {}
        self._roles: dict[tuple[str, ...], tuple[str, ...]] = {}
        self._attribute_sets: dict[tuple[tuple[str, Any], ...], FrozenDict] = {}

    # -- locating -----------------------------------------------------------------------
    def _err(  # noqa: PLR0917
        self,
        file: str,
        line: int | None,
        pointer: str | None,
        section: str,
        index: int,
        code: ProblemCode,
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

    def _shared(self, attributes: Mapping[str, Any]) -> Mapping[str, Any]:
        """Attributes whose values are all text, read-only and stored once per distinct
        set (at most ``_SHARED_SETS`` sets are remembered); others as they are."""
        if attributes is NO_ATTRIBUTES:
            return attributes
        key = tuple(attributes.items())
        try:
            # a set remembered holds only text, and text equals only text: a hit is
            # the same keys with the same text values
            shared = self._attribute_sets.get(key)
        except TypeError:  # a list or object among the values
            return attributes
        if shared is not None:
            return shared
        if not all(type(v) is str for v in attributes.values()):
            return attributes
        shared = FrozenDict(attributes)
        if len(self._attribute_sets) < _SHARED_SETS:
            self._attribute_sets[key] = shared
        return shared

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
        # checked above, field by field and located: not again by Person's own type
        # check; repeated texts kept once
        ids, texts = self.ids, self._texts
        person: Person = _NEW(Person)
        _SET_PID(person, ids.setdefault(pid, pid))
        _SET_ROLES(person, self._roles.setdefault(roles, roles))
        _SET_NAME(person, name)
        _SET_ORG(
            person,
            organisation if organisation is None else texts.setdefault(organisation, organisation),
        )
        _SET_PATTRS(person, self._shared(attributes))
        return person

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
        # checked above, field by field and located: not again by Tie's own type check;
        # repeated texts kept once
        ids = self.ids
        tie: Tie = _NEW(Tie)
        _SET_TID(tie, tid)
        _SET_KIND(tie, self._kinds[kind])
        _SET_SOURCE(tie, ids.setdefault(source, source))
        _SET_TARGET(tie, ids.setdefault(target, target))
        _SET_START(tie, start)
        _SET_END(tie, end)
        _SET_TATTRS(tie, self._shared(attributes))
        return tie

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
