"""The registry model: people, ties and the registry that holds them.

These are plain frozen dataclasses: loaders produce them, the graph builder and the engine
read them.  Dates are ``datetime.date``; a missing ``start`` means "since always" and a
missing ``end`` means "ongoing".
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

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


@dataclass(frozen=True, slots=True)
class Person:
    """A person of the registry.

    >>> Person("co001", roles=("coach",)).roles
    ('coach',)
    """

    id: str
    roles: tuple[str, ...] = ()
    name: str | None = None
    organisation: str | None = None
    attributes: Mapping[str, Any] = field(default_factory=no_attributes)


@dataclass(frozen=True, slots=True)
class Tie:
    """A typed, dated tie between two people.

    >>> t = Tie("t1", "coaching", "co001", "cl0001", start=date(2025, 3, 1))
    >>> t.is_active(date(2026, 1, 1)), t.is_active(date(2025, 1, 1))
    (True, False)
    """

    id: str
    kind: str
    source: str
    target: str
    start: date | None = None
    end: date | None = None
    attributes: Mapping[str, Any] = field(default_factory=no_attributes)

    def is_active(self, on: date) -> bool:
        """Active on ``on``: started (or no start) and not yet ended (or no end)."""
        return (self.start is None or self.start <= on) and (self.end is None or self.end >= on)

    def has_ended(self, on: date) -> bool:
        """Ended strictly before ``on``."""
        return self.end is not None and self.end < on


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
