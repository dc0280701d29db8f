"""What the pattern language can read of each practice-record section.

A record clause (``match.records``) names a section; this catalogue says which of its
fields name people (and can be tied to pattern variables), which names a tie (and can be
tied to a tie clause), which are dates (readable in ``where``), which are lists (tested
with ``contains``/``lacks``) and which are plain values (``equals``/``in``).  The field
names are those of the registry format (``docs/registry-format.md``).

>>> SECTIONS["consents"].people
('person',)
>>> SECTIONS["agreements"].tie, SECTIONS["agreements"].dates
('tie', ('signed', 'reviewed'))
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from dualrel.graph.practice import AGREEMENT_COVERS, AGREEMENT_ROLES, CHANNELS, WEEKDAYS

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


SECTIONS: Mapping[str, SectionFields] = MappingProxyType(
    {
        "agreements": SectionFields(
            tie="tie",
            dates=("signed", "reviewed"),
            lists=("roles", "covers", "channels", "days"),
            numbers=("response_window_hours",),
            windows=("hours",),
            vocabulary={
                "roles": tuple(sorted(AGREEMENT_ROLES)),
                "covers": AGREEMENT_COVERS,
                "channels": CHANNELS,
                "days": WEEKDAYS,
            },
            fallback={"reviewed": "signed"},
        ),
        "consents": SectionFields(
            people=("person",),
            dates=("given", "withdrawn"),
            values=("purpose", "scope", "recipient"),
        ),
        "assessments": SectionFields(
            people=("client", "assessor"), dates=("date",), values=("instrument",)
        ),
        "disclosures": SectionFields(
            people=("client", "by"), dates=("date",), values=("recipient",)
        ),
        "supervision_sessions": SectionFields(people=("supervisor", "coach"), dates=("date",)),
        "contacts": SectionFields(
            people=("coach", "client"),
            datetimes=("at", "responded_at"),
            values=("channel", "initiated_by"),
            numbers=("response_hours",),
            derived={
                "response_hours": "hours from at to responded_at; when not responded, to "
                "the end of the evaluation date (UTC)"
            },
        ),
        "concerns": SectionFields(
            people=("about", "raised_by", "about_source", "about_target"),
            tie="about",
            dates=("raised", "resolved"),
            values=("status",),
            derived={
                "about_source": "the source of the tie a concern is about",
                "about_target": "the target of the tie a concern is about",
            },
        ),
        "records": SectionFields(
            people=("client",), dates=("created", "retain_until", "destroyed"), values=("kind",)
        ),
    }
)
