"""The practice records a registry may hold besides people and ties (optional sections).

Agreements, consents, assessments, disclosures, supervision sessions, contacts, concerns
and records: each a frozen dataclass with an ``id`` unique within its section, referring
to people (and, for agreements and concerns, ties) by id.  :class:`Practice` holds one
tuple per section; ``Registry.practice`` is empty for registries without the sections.

>>> from datetime import date
>>> a = Agreement("a1", "t1", signed=date(2025, 2, 20), covers=("confidentiality",))
>>> a.covers_all(("confidentiality", "escalation"))
False
>>> Practice(agreements=(a,)).counts()["agreements"]
1
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from dualrel.graph._frozen import no_attributes

__all__ = [
    "AGREEMENT_COVERS",
    "AGREEMENT_ROLES",
    "CHANNELS",
    "CONCERN_STATUSES",
    "CONSENT_PURPOSES",
    "CONTACT_INITIATORS",
    "OPEN_CONCERN_STATUSES",
    "PRACTICE_CATALOGUE",
    "PRACTICE_SECTIONS",
    "RECORD_KINDS",
    "WEEKDAYS",
    "Agreement",
    "Assessment",
    "ClientRecord",
    "Concern",
    "Consent",
    "Contact",
    "Disclosure",
    "FieldKind",
    "Practice",
    "PracticeField",
    "PracticeSection",
    "SupervisionSession",
]

#: Functions a coach may declare at intake; others are accepted with a warning.
AGREEMENT_ROLES: frozenset[str] = frozenset(
    {"coach", "facilitator", "adviser", "mentor", "assessor", "manager", "trainer", "supervisor"}
)
#: What an agreement may cover (closed vocabulary).
AGREEMENT_COVERS = (
    "confidentiality",
    "escalation",
    "availability",
    "cancellation",
    "data_handling",
    "fees",
)
#: Contact channels (closed vocabulary), for agreements and contacts.
CHANNELS = ("email", "phone", "sms", "platform", "in_person")
#: What a consent is for (closed vocabulary).
CONSENT_PURPOSES = ("assessment", "data_sharing", "recording")
#: Concern statuses (closed vocabulary); the first two are open.
CONCERN_STATUSES = ("open", "in_review", "resolved", "dismissed")
OPEN_CONCERN_STATUSES = frozenset({"open", "in_review"})
#: Who started a contact (closed vocabulary).
CONTACT_INITIATORS = ("coach", "client")
#: Kinds of client records; others are accepted with a warning.
RECORD_KINDS: frozenset[str] = frozenset(
    {
        "session_notes",
        "assessment_results",
        "agreement",
        "consent",
        "correspondence",
        "billing",
        "concern",
        "other",
    }
)
#: Weekday names of an agreement's ``days``, Monday first (``date.weekday()`` order).
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True, slots=True)
class Agreement:
    """The written agreement of a coaching tie: signed when, declaring which roles,
    covering what, on which channels, answering within how many hours.

    ``hours`` is ``"HH:MM-HH:MM"`` (agreed contact hours, in the local time each contact
    is written with; a start after the end wraps past midnight) and ``days`` the agreed
    weekdays (``mon`` .. ``sun``; empty: every day).

    >>> a = Agreement("a1", "t1", hours="09:00-18:00", days=("mon", "tue"))
    >>> monday, wednesday = _dt.datetime(2026, 11, 23, 10), _dt.datetime(2026, 11, 25, 10)
    >>> a.allows_time(monday), a.allows_time(wednesday)
    (True, False)
    """

    id: str
    tie: str
    signed: _dt.date | None = None
    roles: tuple[str, ...] = ()
    covers: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    response_window_hours: int | None = None
    reviewed: _dt.date | None = None
    hours: str | None = None
    days: tuple[str, ...] = ()
    attributes: Mapping[str, Any] = field(default_factory=no_attributes)

    def covers_all(self, topics: tuple[str, ...]) -> bool:
        """Whether every one of ``topics`` is covered."""
        return all(t in self.covers for t in topics)

    def allows_time(self, at: _dt.datetime) -> bool:
        """Whether ``at`` (its own local time) is within the agreed days and hours."""
        if self.days and WEEKDAYS[at.weekday()] not in self.days:
            return False
        if self.hours is None:
            return True
        start, _, end = self.hours.partition("-")
        now = at.strftime("%H:%M")
        if start <= end:
            return start <= now < end
        return now >= start or now < end


@dataclass(frozen=True, slots=True)
class Consent:
    """A person's consent for a ``purpose`` (assessment, data_sharing, recording).

    ``recipient`` (required for data_sharing) is a person id or an organisation name.

    >>> c = Consent("c1", "cl1", "assessment", given=_dt.date(2025, 1, 1),
    ...             withdrawn=_dt.date(2025, 6, 1))
    >>> c.in_force(_dt.date(2025, 3, 1)), c.in_force(_dt.date(2025, 6, 1))
    (True, False)
    """

    id: str
    person: str
    purpose: str
    scope: str | None = None
    given: _dt.date | None = None
    withdrawn: _dt.date | None = None
    recipient: str | None = None
    attributes: Mapping[str, Any] = field(default_factory=no_attributes)

    def in_force(self, on: _dt.date) -> bool:
        """Given on or before ``on`` and not withdrawn by then."""
        return (
            self.given is not None
            and self.given <= on
            and (self.withdrawn is None or self.withdrawn > on)
        )


@dataclass(frozen=True, slots=True)
class Assessment:
    """An assessment (``instrument``) of a client by an assessor on a date."""

    id: str
    client: str
    assessor: str
    instrument: str
    date: _dt.date
    attributes: Mapping[str, Any] = field(default_factory=no_attributes)


@dataclass(frozen=True, slots=True)
class Disclosure:
    """Something about a client (``content``, free text) shared with ``recipient`` (a
    person id or an organisation name) on ``date``, by ``by`` (a person id) when known."""

    id: str
    client: str
    recipient: str
    date: _dt.date
    content: str | None = None
    by: str | None = None
    attributes: Mapping[str, Any] = field(default_factory=no_attributes)


@dataclass(frozen=True, slots=True)
class SupervisionSession:
    """A supervision session of a coach with a supervisor on a date."""

    id: str
    supervisor: str
    coach: str
    date: _dt.date
    attributes: Mapping[str, Any] = field(default_factory=no_attributes)


@dataclass(frozen=True, slots=True)
class Contact:
    """A contact between sessions: ``at`` and ``responded_at`` are timezone-aware.

    >>> tz = _dt.timezone.utc
    >>> c = Contact("k1", "co1", "cl1", "sms", _dt.datetime(2026, 1, 5, 9, tzinfo=tz),
    ...             "client", _dt.datetime(2026, 1, 6, 12, tzinfo=tz))
    >>> c.response_hours()
    27.0
    """

    id: str
    coach: str
    client: str
    channel: str
    at: _dt.datetime
    initiated_by: str
    responded_at: _dt.datetime | None = None
    attributes: Mapping[str, Any] = field(default_factory=no_attributes)

    def response_hours(self) -> float | None:
        """Hours from ``at`` to ``responded_at`` (None when not responded)."""
        if self.responded_at is None:
            return None
        return (self.responded_at - self.at).total_seconds() / 3600


@dataclass(frozen=True, slots=True)
class Concern:
    """A concern raised (by ``raised_by``, a person id, or anonymously) about ``about``:
    a person id or a tie id."""

    id: str
    about: str
    raised: _dt.date
    status: str
    raised_by: str | None = None
    resolved: _dt.date | None = None
    attributes: Mapping[str, Any] = field(default_factory=no_attributes)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_CONCERN_STATUSES


@dataclass(frozen=True, slots=True)
class ClientRecord:
    """A record kept about a client: created, to keep until, destroyed (or not yet).

    >>> r = ClientRecord("r1", "cl1", "session_notes", _dt.date(2019, 1, 1),
    ...                  retain_until=_dt.date(2025, 1, 1))
    >>> r.kept_past_retention(_dt.date(2026, 1, 1))
    True
    """

    id: str
    client: str
    kind: str
    created: _dt.date
    retain_until: _dt.date | None = None
    destroyed: _dt.date | None = None
    attributes: Mapping[str, Any] = field(default_factory=no_attributes)

    def kept_past_retention(self, on: _dt.date) -> bool:
        """``retain_until`` is before ``on`` and the record was not destroyed by ``on``."""
        return (
            self.retain_until is not None
            and self.retain_until < on
            and (self.destroyed is None or self.destroyed > on)
        )


#: What a field of a practice record holds: the id of a ``person``, of a ``tie``, or of
#: either (``about``); free ``text``; a ``date``; a ``datetime`` with a timezone; one word
#: of a closed (``enum``) or open (``open``: others are a warning) vocabulary; a list of
#: such words (``enums``, ``opens``); a positive whole number (``count``); contact hours
#: ``HH:MM-HH:MM`` (``hours``).
FieldKind = Literal[
    "person",
    "tie",
    "about",
    "text",
    "date",
    "datetime",
    "enum",
    "open",
    "enums",
    "opens",
    "count",
    "hours",
]


@dataclass(frozen=True, slots=True)
class PracticeField:
    """One field of a practice record besides ``id`` and ``attributes``.

    ``hidden`` fields are free text that is never printed: the pattern language does not
    read them either.
    """

    name: str
    kind: FieldKind
    required: bool = False
    vocabulary: Collection[str] = ()
    hidden: bool = False


@dataclass(frozen=True, slots=True)
class PracticeSection:
    """One practice section: its name in the document, the type of its records (the JSON
    Lines ``type``), their class, their fields in record order, and the pairs of dates
    ``(earlier, later)`` where the later may not come before the earlier."""

    name: str
    record: str
    cls: type[Any]
    fields: tuple[PracticeField, ...]
    order: tuple[tuple[str, str], ...] = ()


_F = PracticeField

#: The practice sections in document order: the one description of their fields, from
#: which the readers, the writers and the pattern language's catalogue
#: (``dualrel.rules.sections``) take theirs; a test holds the JSON Schema to it.
PRACTICE_CATALOGUE: Mapping[str, PracticeSection] = MappingProxyType(
    {
        s.name: s
        for s in (
            PracticeSection(
                "agreements",
                "agreement",
                Agreement,
                (
                    _F("tie", "tie", True),
                    _F("signed", "date"),
                    _F("roles", "opens", vocabulary=AGREEMENT_ROLES),
                    _F("covers", "enums", vocabulary=AGREEMENT_COVERS),
                    _F("channels", "enums", vocabulary=CHANNELS),
                    _F("response_window_hours", "count"),
                    _F("reviewed", "date"),
                    _F("hours", "hours"),
                    _F("days", "enums", vocabulary=WEEKDAYS),
                ),
                order=(("signed", "reviewed"),),
            ),
            PracticeSection(
                "consents",
                "consent",
                Consent,
                (
                    _F("person", "person", True),
                    _F("purpose", "enum", True, CONSENT_PURPOSES),
                    _F("scope", "text"),
                    _F("given", "date", True),
                    _F("withdrawn", "date"),
                    _F("recipient", "text"),
                ),
                order=(("given", "withdrawn"),),
            ),
            PracticeSection(
                "assessments",
                "assessment",
                Assessment,
                (
                    _F("client", "person", True),
                    _F("assessor", "person", True),
                    _F("instrument", "text", True),
                    _F("date", "date", True),
                ),
            ),
            PracticeSection(
                "disclosures",
                "disclosure",
                Disclosure,
                (
                    _F("client", "person", True),
                    _F("recipient", "text", True),
                    _F("date", "date", True),
                    _F("content", "text", hidden=True),
                    _F("by", "person"),
                ),
            ),
            PracticeSection(
                "supervision_sessions",
                "supervision_session",
                SupervisionSession,
                (
                    _F("supervisor", "person", True),
                    _F("coach", "person", True),
                    _F("date", "date", True),
                ),
            ),
            PracticeSection(
                "contacts",
                "contact",
                Contact,
                (
                    _F("coach", "person", True),
                    _F("client", "person", True),
                    _F("channel", "enum", True, CHANNELS),
                    _F("at", "datetime", True),
                    _F("initiated_by", "enum", True, CONTACT_INITIATORS),
                    _F("responded_at", "datetime"),
                ),
                order=(("at", "responded_at"),),
            ),
            PracticeSection(
                "concerns",
                "concern",
                Concern,
                (
                    _F("about", "about", True),
                    _F("raised", "date", True),
                    _F("status", "enum", True, CONCERN_STATUSES),
                    _F("raised_by", "person"),
                    _F("resolved", "date"),
                ),
                order=(("raised", "resolved"),),
            ),
            PracticeSection(
                "records",
                "record",
                ClientRecord,
                (
                    _F("client", "person", True),
                    _F("kind", "open", True, RECORD_KINDS),
                    _F("created", "date", True),
                    _F("retain_until", "date"),
                    _F("destroyed", "date"),
                ),
                order=(("created", "retain_until"), ("created", "destroyed")),
            ),
        )
    }
)

#: Section name in the document -> record type (the JSON Lines ``type`` and the key of
#: ``Registry.locations``), in document order.
PRACTICE_SECTIONS: Mapping[str, str] = {s.name: s.record for s in PRACTICE_CATALOGUE.values()}


@dataclass(frozen=True, slots=True)
class Practice:
    """The practice records of a registry, one tuple per section, in file order."""

    agreements: tuple[Agreement, ...] = ()
    consents: tuple[Consent, ...] = ()
    assessments: tuple[Assessment, ...] = ()
    disclosures: tuple[Disclosure, ...] = ()
    supervision_sessions: tuple[SupervisionSession, ...] = ()
    contacts: tuple[Contact, ...] = ()
    concerns: tuple[Concern, ...] = ()
    records: tuple[ClientRecord, ...] = ()

    def section(self, name: str) -> tuple[Any, ...]:
        """The records of section ``name`` (a key of :data:`PRACTICE_SECTIONS`)."""
        if name not in PRACTICE_SECTIONS:
            raise KeyError(name)
        records: tuple[Any, ...] = getattr(self, name)
        return records

    def counts(self) -> dict[str, int]:
        """Records per section, every section listed."""
        return {name: len(getattr(self, name)) for name in PRACTICE_SECTIONS}

    def is_empty(self) -> bool:
        return not any(getattr(self, name) for name in PRACTICE_SECTIONS)
