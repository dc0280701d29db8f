"""The conditions of ``match.where``, parsed once into plain data.

Four forms:

* ``<left> <op> <right> [+|- <offset>]``: ``op`` one of ``< <= > >= == !=``; each side a
  clause field (``c.start``, ``a.reviewed``, ``x.response_hours``) or ``as_of``.  Times
  (tie starts and ends, record dates and instants) compare with times, the offset in days;
  numbers with numbers; values with values (``==``/``!=`` only, no offset).
* ``<record>.<value> [not] in <record>.<list>``: a value among a list's words.
* ``<contact>.<instant> outside <agreement>.hours``: not within the agreed days and hours.
* ``<a>.<field> <op> <b>.<field> [+|- <offset>]`` where each side is a person's
  ``organisation`` or ``attributes.<key>``, or a tie clause's ``attributes.<key>``
  (:class:`Relate`).

A tie's ``start``/``end`` also compares with a fixed date (``romance.start >= 2021-01-01``)
and with a date attribute of a tie clause (``coaching.agreement_signed``, or an attribute
the clause tests), which compares with times only.

>>> kinds = {"c": {"start": "time", "end": "time"}, "a": {"reviewed": "time"}}
>>> c = parse_condition("a.reviewed < as_of - review_days", kinds)
>>> str(c.left), c.op, str(c.right), c.offset
('a.reviewed', '<', 'as_of', Offset(sign=-1, value='review_days'))
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from dualrel._internal.dates import iso_date
from dualrel._internal.suggest import did_you_mean
from dualrel.graph.model import DATE_ATTRIBUTES
from dualrel.rules.schema import Match
from dualrel.rules.sections import SECTIONS

__all__ = [
    "ATTRIBUTE",
    "PERSON_FIELD",
    "TIE_ATTRIBUTES",
    "Compare",
    "Condition",
    "Member",
    "Offset",
    "Outside",
    "Ref",
    "Relate",
    "clauses_of",
    "date_attributes",
    "field_kinds",
    "parse_condition",
]

_REF = r"(?:[A-Za-z_]\w*\.[A-Za-z_]\w*|as_of)"
_COMPARE = re.compile(
    rf"^\s*(?P<left>{_REF})\s*(?P<op><=|>=|==|!=|<|>)\s*(?P<right>{_REF})"
    r"(?:\s*(?P<sign>[+-])\s*(?P<offset>\d+(?:\.\d+)?|[A-Za-z_]\w*))?\s*$"
)
#: A person's field (``coach.organisation``, ``coach.attributes.position``) or a named tie
#: clause's attribute (``gift.attributes.value``).
_FIELD = r"[A-Za-z_]\w*\.(?:organisation|attributes\.[A-Za-z_]\w*)"
_RELATE = re.compile(
    rf"^\s*(?P<left>{_FIELD})\s*(?P<op><=|>=|==|!=|<|>)\s*(?P<right>{_FIELD})"
    r"(?:\s*(?P<sign>[+-])\s*(?P<offset>\d+(?:\.\d+)?|[A-Za-z_]\w*))?\s*$"
)
#: ``<ref> <op> YYYY-MM-DD [+|- n]`` or ``YYYY-MM-DD <op> <ref> [+|- n]``: a fixed date
_DATE = r"\d{4}-\d{2}-\d{2}"
_COMPARE_DATE = re.compile(
    rf"^\s*(?P<left>{_REF}|{_DATE})\s*(?P<op><=|>=|==|!=|<|>)\s*(?P<right>{_REF}|{_DATE})"
    r"(?:\s*(?P<sign>[+-])\s*(?P<offset>\d+(?:\.\d+)?|[A-Za-z_]\w*))?\s*$"
)
#: The kind :func:`field_kinds` gives the attributes a tie clause may read as dates
#: (``agreement_signed`` and those its ``attributes:`` test): they compare with times.
ATTRIBUTE = "attribute"
_MEMBER = re.compile(rf"^\s*(?P<value>{_REF})\s+(?P<neg>not\s+)?in\s+(?P<listed>{_REF})\s*$")
_OUTSIDE = re.compile(rf"^\s*(?P<at>{_REF})\s+outside\s+(?P<window>{_REF})\s*$")

SYNTAX = (
    "write '<clause>.<field> <op> <clause>.<field>|as_of [+|- <number or parameter>]' "
    "(op one of < <= > >= == !=), '<clause>.<field> [not] in <clause>.<list>', "
    "'<clause>.<instant> outside <clause>.hours', or "
    "'<person or tie clause>.organisation|attributes.<key> <op> <...same forms>'; "
    "a tie date may also compare with a fixed date (YYYY-MM-DD) or a date attribute "
    "of a tie clause"
)


@dataclass(frozen=True, slots=True)
class Ref:
    """A field of a named clause, or ``as_of`` or a fixed date (``clause`` None, ``field``
    the date as written)."""

    clause: str | None
    field: str

    @classmethod
    def parse(cls, text: str) -> Ref:
        if text == "as_of":
            return cls(None, "as_of")
        if re.match(_DATE, text):
            return cls(None, text)
        clause, _, name = text.partition(".")
        return cls(clause, name)

    def __str__(self) -> str:
        return self.field if self.clause is None else f"{self.clause}.{self.field}"

    @property
    def fixed(self) -> date | None:
        """The fixed date this side names, if it names one."""
        if self.clause is not None or not self.field[0].isdigit():
            return None
        return date.fromisoformat(self.field)


@dataclass(frozen=True, slots=True)
class Offset:
    """``+``/``-`` a number or a parameter name."""

    sign: int
    value: float | str

    def resolve(self, parameters: Mapping[str, float]) -> float:
        raw = self.value if isinstance(self.value, float) else float(parameters[self.value])
        return self.sign * raw


@dataclass(frozen=True, slots=True)
class Compare:
    left: Ref
    op: str
    right: Ref
    offset: Offset | None = None


@dataclass(frozen=True, slots=True)
class Member:
    value: Ref
    listed: Ref
    negated: bool


@dataclass(frozen=True, slots=True)
class Outside:
    at: Ref
    window: Ref


@dataclass(frozen=True, slots=True)
class Relate:
    """Two fields of people (``<variable>.organisation``, ``<variable>.attributes.<key>``)
    or tie clauses (``<clause>.attributes.<key>``): ``==``/``!=`` compare them as values,
    ``< <= > >=`` as numbers (``right`` plus ``offset``); a missing value, or one that does
    not read as a number in an order, makes the comparison false."""

    left: Ref
    op: str
    right: Ref
    offset: Offset | None = None

    @property
    def numeric(self) -> bool:
        return self.op not in ("==", "!=")


Condition = Compare | Member | Outside | Relate

#: The kind :func:`field_kinds` gives the fields of a person variable and of a named tie
#: clause's attributes that :class:`Relate` reads.
PERSON_FIELD = "person"
TIE_ATTRIBUTES = "tie attributes"


def clauses_of(condition: Condition) -> tuple[str, ...]:
    """Names of the clauses ``condition`` reads, in order, ``as_of`` left out."""
    refs = {
        Compare: lambda c: (c.left, c.right),
        Member: lambda c: (c.value, c.listed),
        Outside: lambda c: (c.at, c.window),
        Relate: lambda c: (c.left, c.right),
    }[type(condition)](condition)
    return tuple(r.clause for r in refs if r.clause is not None)


def parse_condition(text: str, kinds: Mapping[str, Mapping[str, str]]) -> Condition:
    """Parse and type-check one condition.

    ``kinds`` gives, per clause name, the kind of each field ``where`` may read
    (``"time"``, ``"number"``, ``"value"``, ``"list"``, ``"window"``).  Raises
    :class:`ValueError` with a message that says what to write instead.
    """
    m = _RELATE.match(text)
    if m is not None:
        return _relate(m, kinds)
    m = _COMPARE.match(text)
    if m is not None:
        left, right = Ref.parse(m.group("left")), Ref.parse(m.group("right"))
        op = m.group("op")
        lk, rk = _kind(left, kinds), _kind(right, kinds)
        if lk == ATTRIBUTE and rk == ATTRIBUTE:
            raise ValueError(
                f"{left} and {right} are tie attributes: compare a date attribute with a "
                "tie's start or end, as_of or a fixed date"
            )
        lk, rk = ("time" if k == ATTRIBUTE else k for k in (lk, rk))
        if lk != rk:
            raise ValueError(f"{left} is a {lk} and {right} a {rk}: compare like with like")
        if lk not in ("time", "number", "value"):
            raise ValueError(f"{left} and {right} are {lk}s, which do not compare")
        offset = _offset(m)
        if lk == "value" and (op not in ("==", "!=") or offset is not None):
            raise ValueError(f"{left} and {right} are values: compare them with == or != only")
        if left.clause is None and right.clause is None:
            raise ValueError("compare at least one clause field")
        if left.clause == right.clause:
            raise ValueError("compare fields of two different clauses, or a clause and as_of")
        return Compare(left, op, right, offset)
    m = _MEMBER.match(text)
    if m is not None:
        item, listed = Ref.parse(m.group("value")), Ref.parse(m.group("listed"))
        if _kind(item, kinds) != "value" or _kind(listed, kinds) != "list":
            raise ValueError(
                f"'in' needs a value on the left and a list on the right "
                f"({item} is a {_kind(item, kinds)}, {listed} a "
                f"{_kind(listed, kinds)})"
            )
        if item.clause == listed.clause:
            raise ValueError("compare fields of two different clauses")
        return Member(item, listed, negated=m.group("neg") is not None)
    m = _OUTSIDE.match(text)
    if m is not None:
        at, window = Ref.parse(m.group("at")), Ref.parse(m.group("window"))
        if _kind(at, kinds) != "time" or _kind(window, kinds) != "window":
            raise ValueError(
                f"'outside' needs an instant on the left and an agreement's "
                f"hours on the right ({at} is a {_kind(at, kinds)}, {window} a "
                f"{_kind(window, kinds)})"
            )
        if at.clause == window.clause:
            raise ValueError("compare fields of two different clauses")
        return Outside(at, window)
    m = _COMPARE_DATE.match(text)
    if m is not None:
        return _fixed_date_compare(m, kinds)
    raise ValueError(f"cannot read {text!r}: {SYNTAX}")


def _offset(m: re.Match[str]) -> Offset | None:
    raw = m.group("offset")
    if raw is None:
        return None
    value: float | str = float(raw) if raw[0].isdigit() else raw
    return Offset(-1 if m.group("sign") == "-" else 1, value)


def _relate(m: re.Match[str], kinds: Mapping[str, Mapping[str, str]]) -> Relate:
    left, right = Ref.parse(m.group("left")), Ref.parse(m.group("right"))
    for ref in (left, right):
        fields = kinds.get(ref.clause or "")
        top = ref.field.split(".", 1)[0]
        if fields is not None and fields.get("attributes") == TIE_ATTRIBUTES:
            if top == "organisation":
                raise ValueError(f"{ref}: {ref.clause!r} is a tie clause: only people have one")
        elif fields is None or fields.get(top) != PERSON_FIELD:
            raise ValueError(
                f"{ref}: {ref.clause!r} is neither a person variable nor a tie clause named "
                f"with 'as:'{did_you_mean(ref.clause or '', kinds)}"
            )
    if left == right:
        raise ValueError(f"{left} is compared with itself")
    relate = Relate(left, m.group("op"), right, _offset(m))
    if relate.offset is not None and not relate.numeric:
        raise ValueError("an offset (+/-) goes with the orders < <= > >=, not == or !=")
    return relate


def _fixed_date_compare(m: re.Match[str], kinds: Mapping[str, Mapping[str, str]]) -> Compare:
    """A comparison with a fixed date: its other side is a tie's date or date attribute."""
    left, right = Ref.parse(m.group("left")), Ref.parse(m.group("right"))
    for ref in (left, right):
        if ref.clause is None and ref.field != "as_of" and iso_date(ref.field) is None:
            raise ValueError(f"{ref.field!r} is not a date: write YYYY-MM-DD")
    fixed = [r for r in (left, right) if r.fixed is not None]
    other = [r for r in (left, right) if r.fixed is None]
    if len(fixed) != 1 or other[0].clause is None:
        raise ValueError("compare a fixed date with a tie's date or date attribute")
    ref = other[0]
    kind = _kind(ref, kinds)
    if not (kind == ATTRIBUTE or (kind == "time" and ref.field in ("start", "end"))):
        raise ValueError(
            f"{ref} is not a tie's date: a fixed date compares with a tie clause's start, "
            "end or date attribute"
        )
    return Compare(left, m.group("op"), right, _offset(m))


def date_attributes(condition: Condition, kinds: Mapping[str, Mapping[str, str]]) -> set[Ref]:
    """The sides of ``condition`` that are tie attributes read as dates."""
    if not isinstance(condition, Compare):
        return set()
    return {
        r
        for r in (condition.left, condition.right)
        if r.clause is not None and kinds.get(r.clause, {}).get(r.field) == ATTRIBUTE
    }


def _kind(ref: Ref, kinds: Mapping[str, Mapping[str, str]]) -> str:
    if ref.clause is None:
        return "time"
    fields = kinds.get(ref.clause)
    if fields is None:
        raise ValueError(
            f"unknown clause {ref.clause!r}{did_you_mean(ref.clause, kinds)}; "
            "name clauses with 'as:'"
        )
    kind = fields.get(ref.field)
    if kind is None:
        raise ValueError(
            f"clause {ref.clause!r} has no field {ref.field!r} that conditions "
            f"read{did_you_mean(ref.field, fields)}"
            + (
                "; to read a tie attribute as a date, test it in the clause's attributes "
                "(e.g. {present: true})"
                if fields.get("start") == "time" and fields.get("end") == "time"
                else ""
            )
        )
    return kind


def field_kinds(match: Match) -> dict[str, dict[str, str]]:
    """Per named clause of ``match``, the kind of each field ``where`` may read.

    >>> from dualrel.rules.schema import Match
    >>> m = Match.model_validate({"people": {"k": {}}, "records": [
    ...     {"as": "r", "section": "records", "people": {"client": "k"}}]})
    >>> field_kinds(m)["r"]["retain_until"]
    'time'
    """
    out: dict[str, dict[str, str]] = {
        var: {"organisation": PERSON_FIELD, "attributes": PERSON_FIELD} for var in match.people
    }
    for tie in match.ties:
        if tie.as_:
            dated = dict.fromkeys((*DATE_ATTRIBUTES, *tie.attributes), ATTRIBUTE)
            out[tie.as_] = {"start": "time", "end": "time", "attributes": TIE_ATTRIBUTES} | dated
    for rec in match.records:
        if rec.as_:
            fields = SECTIONS[rec.section]
            out[rec.as_] = {
                name: kind
                for name in fields.testable + fields.people
                if (kind := fields.kind_of(name)) is not None
            }
    return out
