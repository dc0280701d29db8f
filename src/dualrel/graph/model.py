"""The registry model: people, ties and the registry that holds them.

These are plain frozen dataclasses: loaders produce them, the graph builder and the engine
read them.  Dates are ``datetime.date``; a missing ``start`` means "since always" and a
missing ``end`` means "ongoing".  A :class:`Person` or :class:`Tie` built in Python checks
its fields' types at once (:class:`~dualrel.errors.InvalidArgument` names each wrong
field), so that a date given as text fails where it is written, not deep in an
evaluation; the loaders, whose records are checked and located already, fill the fields
without this check (``graph._people_ties.fast_constructor``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from dualrel.errors import InvalidArgument
from dualrel.graph._frozen import no_attributes

# the sections' own types live in dualrel.graph.practice; the registry holds them
from dualrel.graph.practice import PRACTICE_SECTIONS, Practice

__all__ = [
    "CORE_ROLES",
    "CORE_TIE_KINDS",
    "DATE_ATTRIBUTES",
    "FAMILY_RELATIONS",
    "FORMAT",
    "PRACTICE_SECTIONS",
    "Person",
    "Practice",
    "Registry",
    "SourceLocation",
    "Tie",
    "derive_tie_id",
]

FORMAT = "dualrel.registry/1"

CORE_ROLES: frozenset[str] = frozenset(
    {"coach", "client", "supervisor", "manager", "mentor", "sponsor", "staff"}
)

#: Core tie kinds and whether they are directed (source to target).
CORE_TIE_KINDS: Mapping[str, bool] = {
    "coaching": True,
    "supervision": True,
    "mentoring": True,
    "management": True,
    "employment": True,
    "paid_service": True,
    "sponsorship": True,
    "romance": False,
    "family": False,
    "business": False,
    "friendship": False,
    "social_media": False,
}

#: Tie attributes that must hold an ISO date (YYYY-MM-DD) when present.
DATE_ATTRIBUTES = ("agreement_signed",)

FAMILY_RELATIONS: frozenset[str] = frozenset(
    {"spouse", "partner", "parent", "child", "sibling", "cousin", "other"}
)


@dataclass(frozen=True, slots=True)
class SourceLocation:
    """Where a record was read: file, 1-based line when known, JSON pointer when known."""

    file: str
    line: int | None = None
    pointer: str | None = None


def _is_text(value: object) -> bool:
    return isinstance(value, str)


def _is_optional_text(value: object) -> bool:
    return value is None or isinstance(value, str)


def _is_roles(value: object) -> bool:
    return isinstance(value, tuple) and all(isinstance(r, str) for r in value)


def _is_date(value: object) -> bool:
    # a datetime is a date too, but compares with neither dates nor None
    return value is None or (isinstance(value, date) and not isinstance(value, datetime))


#: dict first: an isinstance check against Mapping alone costs more than the whole test
_MAPPINGS = (dict, Mapping)


def _is_attributes(value: object) -> bool:
    return isinstance(value, _MAPPINGS) and all(isinstance(k, str) for k in value)


#: A field, the test of its type, and the type in words.
_FieldType = tuple[str, Callable[[object], bool], str]

_PERSON_TYPES: tuple[_FieldType, ...] = (
    ("id", _is_text, "a string"),
    ("roles", _is_roles, "a tuple of strings"),
    ("name", _is_optional_text, "a string or None"),
    ("organisation", _is_optional_text, "a string or None"),
    ("attributes", _is_attributes, "a mapping with string keys"),
)

_TIE_TYPES: tuple[_FieldType, ...] = (
    ("id", _is_text, "a string"),
    ("kind", _is_text, "a string"),
    ("source", _is_text, "a string"),
    ("target", _is_text, "a string"),
    ("start", _is_date, "a datetime.date or None"),
    ("end", _is_date, "a datetime.date or None"),
    ("attributes", _is_attributes, "a mapping with string keys"),
)


def _check_types(record: object, types: tuple[_FieldType, ...]) -> None:
    """Raise :class:`InvalidArgument` naming every field of ``record`` of the wrong type:
    the field, the type expected and the type given (never the value: a name may be any
    text)."""
    wrong = []
    for name, is_ok, expected in types:
        value = getattr(record, name)
        if not is_ok(value):
            text_date = is_ok is _is_date and isinstance(value, str)
            hint = " (parse text with datetime.date.fromisoformat)" if text_date else ""
            wrong.append(f"{name} must be {expected}, got {type(value).__name__}{hint}")
    if wrong:
        rid = record.id  # type: ignore[attr-defined]
        which = f" {rid!r}" if isinstance(rid, str) else ""
        raise InvalidArgument(f"{type(record).__name__}{which}: " + "; ".join(wrong))


@dataclass(frozen=True, slots=True)
class Person:
    """A person of the registry.

    >>> Person("co001", roles=("coach",)).roles
    ('coach',)
    >>> Person("co001", roles="coach")
    Traceback (most recent call last):
    ...
    dualrel.errors.InvalidArgument: Person 'co001': roles must be a tuple of strings, got str
    """

    id: str
    roles: tuple[str, ...] = ()
    name: str | None = None
    organisation: str | None = None
    attributes: Mapping[str, Any] = field(default_factory=no_attributes)

    def __post_init__(self) -> None:
        # the usual case in one expression; _check_types decides (and says) otherwise
        roles = self.roles
        if not (
            isinstance(self.id, str)
            and type(roles) is tuple
            and all(isinstance(r, str) for r in roles)
            and (self.name is None or isinstance(self.name, str))
            and (self.organisation is None or isinstance(self.organisation, str))
            and _is_attributes(self.attributes)
        ):
            _check_types(self, _PERSON_TYPES)


@dataclass(frozen=True, slots=True)
class Tie:
    """A typed, dated tie between two people.

    >>> t = Tie("t1", "coaching", "co001", "cl0001", start=date(2025, 3, 1))
    >>> t.is_active(date(2026, 1, 1)), t.is_active(date(2025, 1, 1))
    (True, False)
    >>> Tie("t1", "coaching", "co001", "cl0001", start="2025-03-01", end=None, attributes=[])
    Traceback (most recent call last):
    ...
    dualrel.errors.InvalidArgument: Tie 't1': start must be a datetime.date or None, got str \
(parse text with datetime.date.fromisoformat); attributes must be a mapping with string keys, \
got list
    """

    id: str
    kind: str
    source: str
    target: str
    start: date | None = None
    end: date | None = None
    attributes: Mapping[str, Any] = field(default_factory=no_attributes)

    def __post_init__(self) -> None:
        # the usual case in one expression; _check_types decides (and says) otherwise
        start, end = self.start, self.end
        if not (
            isinstance(self.id, str)
            and isinstance(self.kind, str)
            and isinstance(self.source, str)
            and isinstance(self.target, str)
            and (start is None or type(start) is date)
            and (end is None or type(end) is date)
            and _is_attributes(self.attributes)
        ):
            _check_types(self, _TIE_TYPES)

    def is_active(self, on: date) -> bool:
        """Active on ``on``: started (or no start) and not yet ended (or no end)."""
        return (self.start is None or self.start <= on) and (self.end is None or self.end >= on)

    def has_ended(self, on: date) -> bool:
        """Ended strictly before ``on``."""
        return self.end is not None and self.end < on


#: The classes whose ``__post_init__`` checks field types and does nothing else: the
#: loaders' fast constructors may skip it (their records are checked already).
_TYPE_CHECK_ONLY: frozenset[type] = frozenset({Person, Tie})


def derive_tie_id(  # noqa: PLR0917 (public signature)
    kind: str,
    source: str,
    target: str,
    start: date | None,
    end: date | None,
    attributes: Mapping[str, Any],
    *,
    directed: bool = True,
) -> str:
    """A deterministic id for a tie that has none, from its content.

    Reruns over the same file give the same ids, and an undirected tie gets the same id
    whichever way round its ends are written.

    >>> a = derive_tie_id("romance", "a", "b", None, None, {}, directed=False)
    >>> a == derive_tie_id("romance", "b", "a", None, None, {}, directed=False)
    True
    >>> a.startswith("t-")
    True
    """
    ends = [source, target] if directed else sorted((source, target))
    payload = json.dumps(
        [kind, *ends, start and start.isoformat(), end and end.isoformat(), attributes],
        sort_keys=True,
        default=str,
        separators=(",", ":"),
    )
    return "t-" + hashlib.blake2b(payload.encode(), digest_size=8).hexdigest()


@dataclass(frozen=True, slots=True)
class Registry:
    """A loaded registry: people and ties, in file order, with where each was read.

    ``locations`` maps ``("person", id)`` and ``("tie", id)`` (and ``(type, id)`` for the
    practice records, ``type`` a value of :data:`PRACTICE_SECTIONS`) to the place the record
    was read, so reports can point at the line of a tie.  ``practice`` holds the optional
    practice-record sections (empty when the registry has none).  ``kinds`` maps each tie
    kind the registry may use (core plus those declared by rulesets) to whether it is directed.
    """

    people: tuple[Person, ...]
    ties: tuple[Tie, ...]
    as_of: date | None = None
    source: str | None = None
    locations: Mapping[tuple[str, str], SourceLocation] = field(default_factory=dict)
    kinds: Mapping[str, bool] = field(default_factory=lambda: dict(CORE_TIE_KINDS))
    practice: Practice = field(default_factory=Practice)

    def is_directed(self, kind: str) -> bool:
        """Whether ties of ``kind`` are directed (unknown kinds count as directed)."""
        return self.kinds.get(kind, True)
