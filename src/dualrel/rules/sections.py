"""What the pattern language can read of each practice-record section.

A record clause (``match.records``) names a section; this catalogue says which of its
fields name people (and can be tied to pattern variables), which names a tie (and can be
tied to a tie clause), which are dates (readable in ``where``), which are lists (tested
with ``contains``/``lacks``) and which are plain values (``equals``/``in``).  The field
names are those of the registry format (``docs/registry-format.md``).

It is derived from the registry's own section catalogue
(:data:`dualrel.graph.practice.PRACTICE_CATALOGUE`); what is the pattern language's own
(derived fields, the stand-in for a missing date) is added here.

>>> SECTIONS["consents"].people
('person',)
>>> SECTIONS["agreements"].tie, SECTIONS["agreements"].dates
('tie', ('signed', 'reviewed'))
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from dualrel.graph.practice import PRACTICE_CATALOGUE, PracticeSection

__all__ = ["SECTIONS", "SectionFields"]


@dataclass(frozen=True, slots=True)
class SectionFields:
    """The fields of one section, by what a pattern can do with them.

    ``dates`` are calendar dates and ``datetimes`` instants; both compare in ``where`` in
    days (a missing one reads as "not yet": later than any date, except where
    ``fallback`` names the field that stands in for it).  ``numbers`` compare with
    numbers, ``values`` with ``==``/``!=``, ``lists`` hold words of a closed vocabulary
    (``vocabulary``), ``windows`` are an agreement's contact hours and days
    (``<contact>.at outside <agreement>.hours``).  ``derived`` fields are computed from
    others (a contact's ``response_hours``).
    """

    people: tuple[str, ...] = ()
    tie: str | None = None
    dates: tuple[str, ...] = ()
    datetimes: tuple[str, ...] = ()
    lists: tuple[str, ...] = ()
    values: tuple[str, ...] = ()
    numbers: tuple[str, ...] = ()
    windows: tuple[str, ...] = ()
    vocabulary: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    fallback: Mapping[str, str] = field(default_factory=dict)
    derived: Mapping[str, str] = field(default_factory=dict)

    @property
    def testable(self) -> tuple[str, ...]:
        """Fields a ``fields:`` test may name."""
        return self.dates + self.datetimes + self.lists + self.values + self.numbers + self.windows

    @property
    def times(self) -> tuple[str, ...]:
        """Fields that compare as points in time."""
        return self.dates + self.datetimes

    def kind_of(self, name: str) -> str | None:
        """``"time"``, ``"number"``, ``"value"``, ``"list"``, ``"window"``, ``"person"``
        or None for a field ``where`` cannot read."""
        for kind, names in (
            ("time", self.times),
            ("number", self.numbers),
            ("value", self.values),
            ("list", self.lists),
            ("window", self.windows),
            ("person", self.people),
        ):
            if name in names:
                return kind
        return None


#: Where a field of each kind goes in :class:`SectionFields` (an ``about`` field names a
#: person or a tie: both).
_PLACES: Mapping[str, tuple[str, ...]] = {
    "person": ("people",),
    "tie": ("tie",),
    "about": ("people", "tie"),
    "text": ("values",),
    "enum": ("values",),
    "open": ("values",),
    "date": ("dates",),
    "datetime": ("datetimes",),
    "enums": ("lists",),
    "opens": ("lists",),
    "count": ("numbers",),
    "hours": ("windows",),
}

#: Fields computed from others: section -> name -> (where it goes, what it is).
_DERIVED: Mapping[str, Mapping[str, tuple[str, str]]] = {
    "contacts": {
        "response_hours": (
            "numbers",
            "hours from at to responded_at; when not responded, to "
            "the end of the evaluation date (UTC)",
        ),
    },
    "concerns": {
        "about_source": ("people", "the source of the tie a concern is about"),
        "about_target": ("people", "the target of the tie a concern is about"),
    },
}

#: A missing date that reads as another (an agreement is reviewed when it is signed).
_FALLBACK: Mapping[str, Mapping[str, str]] = {"agreements": {"reviewed": "signed"}}


def _section_fields(section: PracticeSection) -> SectionFields:
    places: dict[str, list[str]] = {}
    vocabulary: dict[str, tuple[str, ...]] = {}
    for f in section.fields:
        if f.hidden:
            continue
        for place in _PLACES[f.kind]:
            places.setdefault(place, []).append(f.name)
        if f.kind in ("enums", "opens"):
            words = f.vocabulary
            vocabulary[f.name] = words if isinstance(words, tuple) else tuple(sorted(words))
    derived = _DERIVED.get(section.name, {})
    for name, (place, _) in derived.items():
        places.setdefault(place, []).append(name)
    ties = places.pop("tie", [])
    return SectionFields(
        tie=ties[0] if ties else None,
        vocabulary=vocabulary,
        fallback=dict(_FALLBACK.get(section.name, {})),
        derived={name: what for name, (_, what) in derived.items()},
        **{place: tuple(names) for place, names in places.items()},
    )


SECTIONS: Mapping[str, SectionFields] = MappingProxyType(
    {name: _section_fields(section) for name, section in PRACTICE_CATALOGUE.items()}
)
