"""Facts: what the engine asserts for a tie or a practice record (private).

A fact is a JSON object whose fields are named in :mod:`dualrel.rules._fields` (the layout
is described there).  Here a tie's fact text is made once per tie (:class:`TieFacts`), and
a practice record's once per record while records are admitted, but for its person and
tie numbers, added when it is asserted (:class:`RecordFacts`); :class:`Layout` reads the
fields some condition needs out of a record, with times as days from the evaluation date
(:class:`Clock`).
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from pydantic_core import to_json

from dualrel._internal.dates import date_value
from dualrel.graph.model import Tie
from dualrel.rules._encode import canonical
from dualrel.rules._fields import (
    END,
    FORWARD,
    HOURS,
    KIND,
    SOURCE,
    START,
    TARGET,
    TIE_NUMBER,
    TIE_PLACE,
    attribute_field,
    attribute_set_field,
    count_field,
    date_attribute_field,
    date_known_field,
    given_field,
    kind_set_field,
    minute_field,
    number_field,
    numeric_test_field,
    pair_field,
    person_field,
    person_role_field,
    record_kind,
    role_field,
    slot_field,
    time_field,
    value_field,
    value_set_field,
    weekday_field,
    word_prefix,
)
from dualrel.rules._record_fill import INSTANTS_CACHED, Fill, filler
from dualrel.rules._record_filter import OneFieldFilter
from dualrel.rules._tester import ORDERS
from dualrel.rules._values import as_number, compare, field_of
from dualrel.rules.plan import NO_END, NO_START, FactSchema
from dualrel.rules.sections import SECTIONS

__all__ = [
    "Clock",
    "Layout",
    "Layouts",
    "Numbering",
    "RecordFacts",
    "TieFacts",
    "body",
]

#: Orientation-free fact texts remembered (see ``TieFacts._shared_text``), at most.
_SHARED_CACHED = 200_000


# -- time -------------------------------------------------------------------------------------


class Clock:
    """Times as facts hold them: days from the evaluation date ``as_of``."""

    __slots__ = ("_midnight", "day", "instants")

    def __init__(self, as_of: date) -> None:
        self.day = as_of.toordinal()
        self._midnight = datetime(as_of.year, as_of.month, as_of.day, tzinfo=UTC)
        #: by ``id`` of a datetime: (the datetime, its instant); see :meth:`instant`
        self.instants: dict[int, tuple[datetime, float]] = {}

    def days(self, d: date | None, missing: int) -> int:
        return missing if d is None else d.toordinal() - self.day

    def instant(self, value: datetime) -> float:
        """``value`` in days from the evaluation date's midnight (UTC when naive)."""
        # a CSV folder's contacts share one datetime object per distinct time (a tenth as
        # many as contacts): worked out once per object (the entry holds the object, so
        # its id is not reused while cached)
        hit = self.instants.get(id(value))
        if hit is not None and hit[0] is value:
            return hit[1]
        aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        days = (aware - self._midnight).total_seconds() / 86400
        if len(self.instants) < INSTANTS_CACHED:
            self.instants[id(value)] = (value, days)
        return days

    def number_of(self, section: str, rec: Any, field: str) -> float | None:
        """A number field of ``rec`` as facts hold it (a contact not answered yet has
        been waiting since it was made)."""
        if section == "contacts" and field == "response_hours":
            hours: float | None = rec.response_hours()
            if hours is None:  # unanswered: late once the window has passed
                return (1 - self.instant(rec.at)) * 24
            return hours
        value = getattr(rec, field, None)
        return None if value is None else float(value)


# -- numbers ----------------------------------------------------------------------------------


class Numbering:
    """What a fact's numbers are read from: people by number and their roles, ties by
    number, and the person a record's person field names (the dicts are read as they
    are, so they may still fill after this is made)."""

    __slots__ = ("fields", "number", "person_of", "roles", "tie_number")

    def __init__(
        self,
        number: Mapping[str, int],
        roles: Mapping[str, frozenset[str]],
        tie_number: Mapping[str, int],
        person_of: Callable[[str, Any, str], str | None],
        fields: Mapping[str, tuple[Any, Mapping[str, Any]]] | None = None,
    ) -> None:
        self.number = number
        self.roles = roles
        self.tie_number = tie_number
        self.person_of = person_of
        #: people's organisation and attributes, kept when ``where`` compares them
        self.fields: Mapping[str, tuple[Any, Mapping[str, Any]]] = {} if fields is None else fields


# -- tie facts --------------------------------------------------------------------------------


class TieFacts:
    """The fact text of each tie, made once per tie (see the module docstring)."""

    def __init__(self, schema: FactSchema, clock: Clock, numbering: Numbering) -> None:
        self._days = clock.days
        self._number = numbering.number
        self._roles = numbering.roles
        self._tie_number = numbering.tie_number if schema.tie_numbers else None
        self._reverse = schema.reverse_kinds
        self._made: dict[str, tuple[str, str | None]] = {}
        #: by kind, start, end and ``id`` of the attributes: (the attributes, a copy of
        #: them, the text)
        self._shared: dict[
            tuple[str, date | None, date | None, int], tuple[Any, dict[str, Any], str]
        ] = {}
        # each flag's text once: (what the tie must be in, the text it adds)
        self._kind_sets = [
            (kinds, f',"{kind_set_field(i)}":1') for i, kinds in enumerate(schema.kind_sets)
        ]
        self._attributes = [
            (
                name,
                f',"{attribute_field(i)}":"',
                schema.values.get(name),
                [
                    (tokens, f',"{attribute_set_field(j)}":1')
                    for j, (attr, tokens) in enumerate(schema.value_sets)
                    if attr == i
                ],
            )
            for i, name in enumerate(schema.attributes)
        ]
        self._date_attributes = [
            (name, f',"{date_attribute_field(i)}":', f',"{date_known_field(i)}":1')
            for i, name in enumerate(schema.date_attributes)
        ]
        self._role_sets = [
            (rs, f',"{role_field(SOURCE, i)}":1', f',"{role_field(TARGET, i)}":1')
            for i, rs in enumerate(schema.role_sets)
        ]
        self._numeric = [
            (name, test, f',"{numeric_test_field(j)}":1')
            for j, (name, test) in enumerate(schema.numeric_tests)
        ]
        self._fields = numbering.fields
        self._slots = [(k, owner, path) for k, (owner, path) in enumerate(schema.slots)]
        self._pairs = [(j, pair) for j, pair in enumerate(schema.pairs)]

    def bodies(self, tie: Tie) -> tuple[str, str | None]:
        """The fact(s) for ``tie``: forward, and reverse when a clause reads it backwards."""
        cached = self._made.get(tie.id)
        if cached is not None:
            return cached
        shared = self._shared_text(tie)
        number, roles, role_sets = self._number, self._roles, self._role_sets

        def oriented(a: str, b: str, forward: int) -> str:
            body = f'{shared},"{SOURCE}":{number[a]},"{TARGET}":{number[b]},"{FORWARD}":{forward}'
            ra, rb = roles[a], roles[b]
            for rs, source_flag, target_flag in role_sets:
                if ra & rs:
                    body += source_flag
                if rb & rs:
                    body += target_flag
            if self._slots:
                body += self._slot_text(SOURCE, "person", self._fields[a])
                body += self._slot_text(TARGET, "person", self._fields[b])
                body += self._pair_text({SOURCE: a, TARGET: b}, tie)
            return body

        src, dst = tie.source, tie.target
        result = (
            oriented(src, dst, 1),
            oriented(dst, src, 0) if tie.kind in self._reverse else None,
        )
        self._made[tie.id] = result
        return result

    def _shared_text(self, tie: Tie) -> str:
        """The fields of ``tie``'s facts that do not depend on the orientation: its kind,
        dates and attributes, and its number (made once per kind, dates and attribute
        mapping when ties carry no number: ties share them, attribute mappings
        included, about three ties to one in a large registry)."""
        attributes = tie.attributes
        key = (tie.kind, tie.start, tie.end, id(attributes))
        if self._tie_number is None:
            hit = self._shared.get(key)
            # the entry holds the mapping, so its id is not reused while cached, and a copy
            # of it: a mapping changed since (a plain dict can be) is not the one cached
            if hit is not None and hit[0] is attributes and hit[1] == attributes:
                return hit[2]
        days = self._days
        shared = (
            f'"{KIND}":"{tie.kind}","{START}":{days(tie.start, NO_START)},'
            f'"{END}":{days(tie.end, NO_END)}'
        )
        if self._tie_number is not None:
            shared += f',"{TIE_NUMBER}":{self._tie_number[tie.id]}'
        for kinds, flag in self._kind_sets:
            if tie.kind in kinds:
                shared += flag
        for name, field, table, value_sets in self._attributes:
            if name in tie.attributes:
                # only present/absent is asked of most attributes: no need to read the value
                token = table.get(canonical(tie.attributes[name]), "v0") if table else "v0"
                shared += f'{field}{token}"'
                for tokens, flag in value_sets:
                    if token in tokens:
                        shared += flag
        for name, test, flag in self._numeric:
            if name in tie.attributes and test.holds(True, tie.attributes[name]):
                shared += flag
        for name, field, known in self._date_attributes:
            # always there (a join may read it); the flag says it holds a date
            when = date_value(tie.attributes.get(name))
            shared += f"{field}{days(when, NO_END)}" + ("" if when is None else known)
        if self._slots:
            shared += self._slot_text(TIE_PLACE, "tie", ({}, tie.attributes))
        if self._tie_number is None and len(self._shared) < _SHARED_CACHED:
            self._shared[key] = (attributes, dict(attributes), shared)
        return shared

    def _slot_text(self, place: str, owner: str, fields: tuple[Any, Mapping[str, Any]]) -> str:
        """The copies of the compared fields of ``owner`` at ``place`` (see ``slot_field``)."""
        out = ""
        for k, slot_owner, path in self._slots:
            if slot_owner != owner:
                continue
            present, value = field_of(path, *fields)
            number = as_number(value) if present else None
            given = 0 if not present else 1 if number is None else 2
            text = json.dumps(canonical(value) if present else "")
            out += (
                f',"{slot_field("x", place, k)}":{text}'
                f',"{slot_field("n", place, k)}":{_number_text(number)}'
                f',"{slot_field("g", place, k)}":{given}'
            )
        return out

    def _pair_text(self, people: Mapping[str, str], tie: Tie) -> str:
        """The flags of the comparisons that hold between two fields of this one fact."""
        out = ""
        for j, pair in self._pairs:
            sides = []
            for place, k in (pair.left, pair.right):
                path = self._slots[k][2]
                if place == TIE_PLACE:
                    sides.append(field_of(path, None, tie.attributes))
                else:
                    sides.append(field_of(path, *self._fields[people[place]]))
            if compare(pair.op, sides[0], sides[1], pair.offset):
                out += f',"{pair_field(j)}":1'
        return out

    def forget(self, tie_id: str) -> None:
        """Drop the fact text of a tie (it was removed)."""
        self._made.pop(tie_id, None)


def _number_text(number: float | None) -> str:
    if number is None:
        return "0"
    return str(int(number)) if number.is_integer() and abs(number) < 2**53 else repr(number)


# -- record facts -----------------------------------------------------------------------------


class RecordFacts:
    """The facts of the records admitted: made while the records are indexed but for
    their person and tie numbers (and role flags), which are added when asserted."""

    __slots__ = ("numbers", "texts")

    def __init__(self) -> None:
        #: by ``section/id``: the fact without its numbers, as :func:`body` writes it
        self.texts: dict[str, str] = {}
        #: per section: a record's numbers, as fact fields (:meth:`Layout.numbers_of`)
        self.numbers: dict[str, Callable[[Any], dict[str, int]]] = {}

    def fact(self, rid: str, section: str, rec: Any) -> tuple[str, Mapping[str, int]]:
        """The fact of the record ``rec`` (its id ``rid``), and the numbers it carries."""
        numbers = self.numbers[section](rec)
        # numbers are whole: written as JSON writes them, after the other fields (made
        # again for each session that reads the record: most records are read by one)
        text = self.texts[rid] + "".join([f',"{k}":{v}' for k, v in numbers.items()])
        return text, numbers


class Layout:
    """The fact fields of one section's records that are wanted (``keys``), by the record
    field they come from (see the module docstring)."""

    def __init__(
        self, section: str, keys: frozenset[str], schema: FactSchema, clock: Clock
    ) -> None:
        fields = SECTIONS[section]
        self.section = section
        self.kind = record_kind(section)
        self.day = clock.day
        self.instant = clock.instant
        self._instants = clock.instants
        self.number_of = clock.number_of

        def want(name: str) -> str | None:
            return name if name in keys else None

        self.dates = [
            (f, want(given_field(f)), want(time_field(f)), fields.fallback.get(f))
            for f in fields.dates
            if {given_field(f), time_field(f)} & keys
        ]
        self.instants = [
            (
                f,
                want(given_field(f)),
                want(time_field(f)),
                want(weekday_field(f)),
                want(minute_field(f)),
            )
            for f in fields.datetimes
            if {given_field(f), time_field(f), weekday_field(f), minute_field(f)} & keys
        ]
        self.numbers = [
            (f, want(given_field(f)), want(number_field(f)))
            for f in fields.numbers
            if {given_field(f), number_field(f)} & keys
        ]
        self.values = [
            (f, want(given_field(f)), want(value_field(f)))
            for f in fields.values
            if {given_field(f), value_field(f)} & keys
        ]
        # (list field, its count's fact field or None, {word: its flag, for wanted flags})
        self.lists = [
            (
                f,
                want(count_field(f)),
                {k[len(word_prefix(f)) :]: k for k in keys if k.startswith(word_prefix(f))},
            )
            for f in fields.lists
            if count_field(f) in keys or any(k.startswith(word_prefix(f)) for k in keys)
        ]
        self.keys = keys
        self.windows = [(f, keys & HOURS) for f in fields.windows if keys & HOURS]
        self.value_sets = [
            (f, values, value_set_field(j))
            for j, (sec, f, values) in enumerate(schema.record_value_sets)
            if sec == section and value_set_field(j) in keys
        ]
        # (person field, its fact field or None, [(role set, flag)]) for the numbers
        self.people = [
            (
                f,
                want(person_field(f)),
                [
                    (rs, person_role_field(i, f))
                    for i, rs in enumerate(schema.role_sets)
                    if person_role_field(i, f) in keys
                ],
            )
            for f in fields.people
        ]
        self.people = [p for p in self.people if p[1] is not None or p[2]]
        self.tie = fields.tie if TIE_NUMBER in keys else None
        self.plain = section != "concerns"  # a concern's person fields come from its tie
        #: add the wanted fields of a record (whose id is given) to its fact
        self.fill: Fill = filler(self)

    def filling_tester(
        self, tests: Sequence[Mapping[str, Any]]
    ) -> Callable[[Any], dict[str, Any] | None] | None:
        """``fill`` and ``lenient_tester(tests)`` at once, for the usual filter of a section (its
        dates or instants against numbers): a record's fact holding the filter's fields,
        or None when the record fails a test; each field is worked out once, from the
        record, and a record failing the first test costs one field.  None when the
        layout or the tests take another form (``fill`` and ``lenient_tester`` then do)."""
        if self.numbers or self.values or self.lists or self.windows or self.value_sets:
            return None
        if any(e or wd or mn for _, e, _, wd, mn in self.instants) or any(
            e for _, e, _, _ in self.dates
        ):
            return None
        computed: dict[str, Callable[[Any], float | int]] = {}
        for f, _, t, fallback in self.dates:
            assert t is not None
            computed[t] = functools.partial(self._date_of, f, fallback)
        for f, _, t, _, _ in self.instants:
            assert t is not None
            computed[t] = self._instant_of(f)
        conditions: dict[str, list[tuple[Callable[[Any, Any], bool], float]]] = {}
        for test in tests:
            ((op, inner),) = test.items()
            if op not in ORDERS or not isinstance(inner, Mapping) or len(inner) != 1:
                return None
            ((key, operand),) = inner.items()
            if key not in computed or not isinstance(operand, int | float):
                return None
            conditions.setdefault(key, []).append((ORDERS[op], operand))
        steps = [(key, computed[key], conditions.get(key, [])) for key in computed]
        kind_field, kind = KIND, self.kind
        if len(steps) == 1:
            ((f, *_),) = self.instants or self.dates
            return OneFieldFilter(f, kind, *steps[0])

        def check(rec: Any) -> dict[str, Any] | None:
            fact: dict[str, Any] = {kind_field: kind}
            for key, compute, tests_of_key in steps:
                value = compute(rec)
                for op, operand in tests_of_key:
                    if not op(value, operand):
                        return None
                fact[key] = value
            return fact

        return check

    def _date_of(self, f: str, fallback: str | None, rec: Any) -> int:
        """A date field's ``t_`` value, as ``fill`` makes it."""
        value = getattr(rec, f)
        if value is None and fallback is not None:
            value = getattr(rec, fallback)
        return NO_END if value is None else int(value.toordinal() - self.day)

    def _instant_of(self, f: str) -> Callable[[Any], float | int]:
        """An instant field's ``t_`` value, as ``fill`` makes it (a contact's window is
        the one test of every contact: the clock's cache is read here, without a call)."""
        instant, cache = self.instant, self._instants

        def value(rec: Any) -> float | int:
            at = getattr(rec, f)
            if at is None:
                return NO_END
            hit = cache.get(id(at))
            return hit[1] if hit is not None and hit[0] is at else instant(at)

        return value

    def numbers_of(self, numbering: Numbering) -> Callable[[Any], dict[str, int]]:
        """:meth:`add_numbers` for one record at a time: a new dict of its numbers.  The
        usual case (person fields read as they are, no role flag, no tie) on its own,
        since every record asserted goes through it."""
        if not self.plain or self.tie is not None or any(f for _, _, f in self.people):

            def numbers(rec: Any) -> dict[str, int]:
                out: dict[str, int] = {}
                self.add_numbers(numbering, rec, out)
                return out

            return numbers
        pairs = [(f, p) for f, p, _ in self.people if p is not None]
        number = numbering.number.get

        def plain_numbers(rec: Any) -> dict[str, int]:
            out: dict[str, int] = {}
            for f, p in pairs:
                value = getattr(rec, f, None)
                out[p] = -1 if value is None else number(str(value), -1)
            return out

        return plain_numbers

    def add_numbers(self, numbering: Numbering, rec: Any, fact: dict[str, int]) -> None:
        """Add the person and tie numbers and role flags of ``rec`` to ``fact``."""
        number, roles = numbering.number, numbering.roles
        for f, p, flags in self.people:
            if self.plain:
                value = getattr(rec, f, None)
                person = None if value is None else str(value)
            else:
                person = numbering.person_of(self.section, rec, f)
            if p is not None:
                fact[p] = -1 if person is None else number.get(person, -1)
            if flags and person is not None and person in roles:
                held = roles[person]
                for rs, flag in flags:
                    if held & rs:
                        fact[flag] = 1
        if self.tie is not None:
            fact[TIE_NUMBER] = numbering.tie_number.get(getattr(rec, self.tie), -1)


class Layouts:
    """The :class:`Layout` of each (section, wanted fields), worked out once: hundreds of
    thousands of records share one."""

    __slots__ = ("_clock", "_made", "_schema")

    def __init__(self, schema: FactSchema, clock: Clock) -> None:
        self._schema = schema
        self._clock = clock
        self._made: dict[tuple[str, frozenset[str]], Layout] = {}

    def __call__(self, section: str, keys: frozenset[str]) -> Layout:
        made = self._made.get((section, keys))
        if made is None:
            made = self._made[(section, keys)] = Layout(section, keys, self._schema, self._clock)
        return made


# -- text ---------------------------------------------------------------------------------------


def body(fact: Mapping[str, Any]) -> str:
    """``fact`` as the inside of a JSON object (what :meth:`Engine` asserts), as
    ``json.dumps`` writes it (numbers may print differently, with the same value).

    >>> body({"k": "@contacts", "t_at": -0.5, "v_channel": 'a "b"', "e_at": 1})
    '"k":"@contacts","t_at":-0.5,"v_channel":"a \\\\"b\\\\"","e_at":1'
    >>> body({"v_recipient": "Société", "n": float("nan")})
    '"v_recipient":"Soci\\\\u00e9t\\\\u00e9","n":NaN'
    >>> body({"t_at": -1e-7, "n": 1e16, "v": "3e"})
    '"t_at":-0.0000001,"n":10000000000000000,"v":"3e"'
    """
    # pydantic-core writes JSON three times as fast as json.dumps (hundreds of thousands
    # of records per check); json.dumps writes what it would write differently: text
    # beyond ASCII (escaped, as the engine's definition is) and numbers that are not
    # finite (null, NaN or Infinity, by version)
    # (the tests on the decoded text: str.isascii reads a flag, and str searches are
    # twice as fast as bytes searches)
    # ... and numbers with an exponent: the engine cannot read ``-1e-7`` (error 204,
    # measured; a contact 9 ms before midnight is -1e-7 days away), nor ``1e16``
    text = to_json(fact)[1:-1].decode()
    if (
        text.isascii()
        and "null" not in text
        and "NaN" not in text
        and "Inf" not in text
        and not _EXPONENT.search(text)
    ):
        return text
    return ",".join([f'"{k}":{_text(v)}' for k, v in fact.items()])


#: A digit followed by an exponent's ``e`` (in a value's text too: that one is written
#: again, the same, by the slow path)
_EXPONENT = re.compile(r"[0-9][eE]")
_quoted: Callable[[str], str] = json.encoder.encode_basestring_ascii  # as json.dumps


def _text(value: Any) -> str:
    kind = type(value)
    if kind is str:
        return _quoted(value)
    if kind is int:
        return repr(value)
    if kind is float and math.isfinite(value):
        text = repr(value)
        # the same decimal number without an exponent: the same double once read
        return text if "e" not in text else format(Decimal(text), "f")
    return json.dumps(value)
