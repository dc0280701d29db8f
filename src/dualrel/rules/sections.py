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
from dataclasses import dataclass
from types import MappingProxyType

__all__ = ["SECTIONS", "SectionFields"]


@dataclass(frozen=True, slots=True)
class SectionFields:
    """The fields of one section, by what a pattern can do with them."""

    people: tuple[str, ...] = ()
    tie: str | None = None
    dates: tuple[str, ...] = ()
    lists: tuple[str, ...] = ()
    values: tuple[str, ...] = ()

    @property
    def testable(self) -> tuple[str, ...]:
        """Fields a ``fields:`` test may name."""
        return self.dates + self.lists + self.values


SECTIONS: Mapping[str, SectionFields] = MappingProxyType({
    "agreements": SectionFields(
        tie="tie",
        dates=("signed", "reviewed"),
        lists=("roles", "covers", "channels", "days"),
        values=("response_window_hours", "hours"),
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
        dates=("at", "responded_at"),
        values=("channel", "initiated_by"),
    ),
    "concerns": SectionFields(
        people=("about", "raised_by"),
        tie="about",
        dates=("raised", "resolved"),
        values=("status",),
    ),
    "records": SectionFields(
        people=("client",), dates=("created", "retain_until", "destroyed"), values=("kind",)
    ),
})
