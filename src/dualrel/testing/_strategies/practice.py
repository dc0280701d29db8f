"""Registries with practice records: one strategy per section, drawn about the same people.

:func:`practice_registries` draws people and ties first, then each section in turn
(agreements, assessments, disclosures, consents, supervision sessions, contacts, concerns,
client records), each from its own strategy over the people and ties drawn so far.  The
records are biased towards the situations where practice rules nearly match.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

from dualrel.errors import InvalidArgument
from dualrel.graph.model import CORE_TIE_KINDS, Person, Registry, Tie
from dualrel.graph.practice import (
    AGREEMENT_COVERS,
    CHANNELS,
    CONCERN_STATUSES,
    CONSENT_PURPOSES,
    CONTACT_INITIATORS,
    OPEN_CONCERN_STATUSES,
    RECORD_KINDS,
    WEEKDAYS,
    Agreement,
    Assessment,
    ClientRecord,
    Concern,
    Consent,
    Contact,
    Disclosure,
    Practice,
    SupervisionSession,
)
from dualrel.testing._strategies.people_ties import (
    _ROLES,
    _check_bounds,
    _check_kinds,
    _check_people,
)

__all__ = ["practice_registries"]


#: Day offsets from the evaluation date where practice rules change their mind: the
#: evaluation date, and the edges of the usual windows (concern review 14 days, supervision
#: and contacts 30, agreement review 90).
_PRACTICE_EDGES = (0, -1, 1, -13, -14, -15, -29, -30, -31, -89, -90, -91)
#: Contact hours: ordinary days, a window wrapping past midnight, whole and minimal ones.
_HOURS = ("08:00-19:00", "09:00-17:30", "22:00-06:00", "18:30-08:15", "00:00-23:59", "12:00-12:01")
#: Local hours and minutes near those edges, for contact times.
_CLOCK_HOURS = (8, 7, 18, 19, 22, 23, 0, 5, 6, 12)
#: UTC offsets of contacts, in minutes: Europe in winter and summer, UTC, the Americas,
#: India, the extremes of the date line.
_UTC_OFFSETS = (60, 0, 120, -300, 330, 840, -720)
#: Hours to a response, around the usual windows (24 and 48 hours).
_RESPONSE_HOURS = (1, 23, 24, 25, 47, 48, 49, 0)
#: Recipients other than people: organisations.
_ORGANISATIONS = ("Acme Ltd", "Globex")
#: Agreement roles drawn: the ones rules ask about first.
_AGREEMENT_ROLES = ("coach", "mentor", "manager", "assessor", "facilitator", "supervisor")
#: Tie kinds drawn by default: those the practice rules read, and one the concerns read.
_PRACTICE_KINDS = ("coaching", "mentoring", "management", "supervision", "friendship")


def _near(as_of: date, spread_days: int) -> st.SearchStrategy[date]:
    offsets = st.sampled_from(_PRACTICE_EDGES) | st.integers(-spread_days, 2)
    return offsets.map(lambda d: as_of + timedelta(days=d))


def _maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """None (what shrinking goes to) or a value of ``strategy``."""
    return st.none() | strategy


@dataclass(frozen=True, slots=True)
class _Draws:
    """What the sections draw from, built once per :func:`practice_registries` call:
    building strategies inside each draw costs more than drawing from them."""

    as_of: date
    max_records: int
    max_contacts: int
    near: st.SearchStrategy[date]
    maybe_near: st.SearchStrategy[date | None]
    person_roles: st.SearchStrategy[tuple[str, ...]]
    later_days: st.SearchStrategy[int | None]
    essentials: st.SearchStrategy[tuple[str, ...]]
    other_topics: st.SearchStrategy[list[str]]
    agreement_roles: st.SearchStrategy[list[str]]
    channels: st.SearchStrategy[list[str]]
    windows: st.SearchStrategy[int | None]
    hours_of: st.SearchStrategy[str | None]
    days_of: st.SearchStrategy[list[str]]
    withdrawn_days: st.SearchStrategy[int | None]
    contact_days: st.SearchStrategy[int]
    clock_hours: st.SearchStrategy[int]
    clock_minutes: st.SearchStrategy[int]
    response_hours: st.SearchStrategy[int]
    retention: st.SearchStrategy[int | None]
    record_kinds: list[str]


def _draws(as_of: date, spread_days: int, max_records: int, max_contacts: int) -> _Draws:
    near = _near(as_of, spread_days)
    both = ("confidentiality", "escalation")
    return _Draws(
        as_of=as_of,
        max_records=max_records,
        max_contacts=max_contacts,
        near=near,
        maybe_near=_maybe(near),
        person_roles=st.lists(st.sampled_from(_ROLES), unique=True, max_size=2).map(tuple),
        later_days=_maybe(st.sampled_from((0, 1, 2)) | st.integers(0, 120)),
        essentials=st.sampled_from((both, both, both, (), ("confidentiality",), ("escalation",))),
        other_topics=st.lists(st.sampled_from(AGREEMENT_COVERS[2:]), unique=True, max_size=2),
        agreement_roles=st.lists(st.sampled_from(_AGREEMENT_ROLES), unique=True, max_size=3),
        channels=st.lists(st.sampled_from(CHANNELS), unique=True, max_size=3),
        windows=_maybe(st.sampled_from((24, 48, 1, 2, 72))),
        hours_of=_maybe(st.sampled_from(_HOURS)),
        days_of=st.lists(st.sampled_from(WEEKDAYS), unique=True, max_size=6),
        withdrawn_days=_maybe(st.sampled_from((0, 1, -1, 30))),
        contact_days=st.sampled_from((0, -1, -29, -30, -31, 1, -7)) | st.integers(-35, 2),
        clock_hours=st.sampled_from(_CLOCK_HOURS) | st.integers(0, 23),
        clock_minutes=st.sampled_from((0, 59, 30)) | st.integers(0, 59),
        response_hours=st.sampled_from(_RESPONSE_HOURS) | st.integers(0, 80),
        retention=_maybe(st.sampled_from((0, -1, 1)) | st.integers(-400, 400)),
        record_kinds=sorted(RECORD_KINDS),
    )


@dataclass(frozen=True, slots=True)
class _Base:
    """The people and ties the records are about."""

    persons: list[Person]
    ties: list[Tie]

    @property
    def ids(self) -> list[str]:
        return [p.id for p in self.persons]

    @property
    def coaching(self) -> list[Tie]:
        return [t for t in self.ties if t.kind == "coaching"]


# -- choices that shrink to the first option, or to False --------------------------------


def _pick(draw: st.DrawFn, options: Sequence[Any]) -> Any:
    """One of ``options`` (shrinking to the first)."""
    return options[draw(st.integers(0, len(options) - 1))]


def _chance(draw: st.DrawFn, one_in: int) -> bool:
    """False one time in ``one_in`` (shrinking to False)."""
    return bool(draw(st.integers(0, one_in - 1)) > 0)


def _rarely(draw: st.DrawFn, one_in: int) -> bool:
    """True one time in ``one_in`` (shrinking to False)."""
    return bool(draw(st.integers(0, one_in - 1)) == one_in - 1)


def _pair(draw: st.DrawFn, ids: Sequence[str]) -> tuple[str, str]:
    a = _pick(draw, ids)
    return a, _pick(draw, [i for i in ids if i != a])


def _coach_and_client(draw: st.DrawFn, base: _Base) -> tuple[str, str]:
    """The ends of a coaching tie (most often), or two people."""
    coaching = base.coaching
    if coaching and _chance(draw, 5):
        t = _pick(draw, coaching)
        return t.source, t.target
    return _pair(draw, base.ids)


def _later(draw: st.DrawFn, s: _Draws, d: date | None) -> date | None:
    """None, or a date on or after ``d`` (near it)."""
    if d is None:
        later_day: date | None = draw(s.maybe_near)
        return later_day
    k = draw(s.later_days)
    return None if k is None else d + timedelta(days=k)


# -- one strategy per section ------------------------------------------------------------


@st.composite
def _people_and_ties(
    draw: st.DrawFn,
    s: _Draws,
    *,
    min_people: int,
    max_people: int,
    tie_cap: int,
    kinds: Sequence[str],
    kind_choices: Sequence[str],
) -> _Base:
    """People, then ties: the first a coaching tie (when coaching is drawn at all), others
    often alongside an earlier one (the same two people, the same way round)."""
    n = draw(st.integers(min_people, max_people))
    persons = [Person(f"p{i}", roles=draw(s.person_roles)) for i in range(n)]
    ids = [p.id for p in persons]
    tie_list: list[Tie] = []
    for i in range(draw(st.integers(min(1, tie_cap), tie_cap))):
        kind = "coaching" if i == 0 and "coaching" in kinds else _pick(draw, kind_choices)
        if tie_list and _chance(draw, 2):
            earlier = _pick(draw, tie_list)
            source, target = earlier.source, earlier.target
        else:
            source, target = _pair(draw, ids)
        start = draw(s.maybe_near)
        end = draw(s.near) if _rarely(draw, 4) else None  # mostly ongoing
        if start is not None and end is not None and end < start:
            start, end = end, start
        attributes: dict[str, Any] = {}
        if kind == "coaching" and _chance(draw, 2):
            attributes["agreement_signed"] = (start or s.as_of).isoformat()
        tie_list.append(Tie(f"t{i + 1}", kind, source, target, start, end, attributes))
    return _Base(persons, tie_list)


@st.composite
def _agreements(draw: st.DrawFn, s: _Draws, base: _Base) -> list[Agreement]:
    """Zero, one (most often) or two agreements per coaching tie."""
    coaching = base.coaching
    agreements: list[Agreement] = []
    for t in coaching:
        for _ in range(_pick(draw, (1, 0, 1, 1, 2))):
            if len(agreements) >= max(s.max_records, len(coaching)):
                break
            signed = draw(s.near) if _chance(draw, 6) else None
            topics = {*draw(s.essentials), *draw(s.other_topics)}
            weekdays = draw(s.days_of)
            agreements.append(
                Agreement(
                    id=f"ag{len(agreements) + 1}",
                    tie=t.id,
                    signed=signed,
                    roles=tuple(draw(s.agreement_roles)),
                    covers=tuple(c for c in AGREEMENT_COVERS if c in topics),
                    channels=tuple(draw(s.channels)),
                    response_window_hours=draw(s.windows),
                    reviewed=_later(draw, s, signed),
                    hours=draw(s.hours_of),
                    days=tuple(d for d in WEEKDAYS if d in weekdays),
                )
            )
    return agreements


@st.composite
def _assessments(draw: st.DrawFn, s: _Draws, base: _Base) -> list[Assessment]:
    """Assessments, mostly by a coach about their client."""
    assessments = []
    for i in range(draw(st.integers(0, s.max_records))):
        assessor, client = _coach_and_client(draw, base)
        assessments.append(
            Assessment(
                f"as{i + 1}", client, assessor, _pick(draw, ("MBTI", "360 feedback")), draw(s.near)
            )
        )
    return assessments


def _recipients(base: _Base) -> list[str]:
    return [*base.ids, *_ORGANISATIONS]


@st.composite
def _disclosures(draw: st.DrawFn, s: _Draws, base: _Base) -> list[Disclosure]:
    """Disclosures, mostly by a coach about their client, to a person or an organisation."""
    recipients = _recipients(base)
    disclosures = []
    for i in range(draw(st.integers(0, s.max_records))):
        by, client = _coach_and_client(draw, base)
        disclosures.append(
            Disclosure(
                f"ds{i + 1}",
                client,
                _pick(draw, recipients),
                draw(s.near),
                by=by if _chance(draw, 2) else None,
            )
        )
    return disclosures


@st.composite
def _consents(
    draw: st.DrawFn, s: _Draws, base: _Base, events: Sequence[Assessment | Disclosure]
) -> list[Consent]:
    """Consents: most of them for an assessment or a disclosure, around its date."""
    ids = base.ids
    recipients = _recipients(base)
    consents = []
    for i in range(draw(st.integers(0, s.max_records))):
        recipient = None
        if events and _chance(draw, 4):
            event = _pick(draw, events)
            person = event.client
            purpose = "assessment" if isinstance(event, Assessment) else "data_sharing"
            if isinstance(event, Disclosure) and _chance(draw, 3):
                recipient = event.recipient
            given = event.date + timedelta(days=_pick(draw, (0, -1, 1, -30)))
            withdrawn = draw(s.withdrawn_days)
            withdrawn_on = (
                None if withdrawn is None else max(given, event.date + timedelta(days=withdrawn))
            )
        else:
            person = _pick(draw, ids)
            purpose = _pick(draw, CONSENT_PURPOSES)
            given = draw(s.near)
            withdrawn_on = _later(draw, s, given)
        if purpose == "data_sharing" and recipient is None:
            recipient = _pick(draw, recipients)
        consents.append(
            Consent(
                f"cs{i + 1}",
                person,
                purpose,
                scope="sessions" if _chance(draw, 2) else None,
                given=given,
                withdrawn=withdrawn_on,
                recipient=recipient,
            )
        )
    return consents


@st.composite
def _supervision_sessions(draw: st.DrawFn, s: _Draws, base: _Base) -> list[SupervisionSession]:
    """Supervision sessions of the coaches, around the supervision interval."""
    ids = base.ids
    sessions = []
    for i in range(draw(st.integers(0, s.max_records))):
        coach, _ = _coach_and_client(draw, base)
        supervisor = _pick(draw, [p for p in ids if p != coach])
        sessions.append(SupervisionSession(f"ss{i + 1}", supervisor, coach, draw(s.near)))
    return sessions


@st.composite
def _contacts(draw: st.DrawFn, s: _Draws, base: _Base) -> list[Contact]:
    """Contacts between the ends of coaching ties, in and around the last 30 days."""
    contacts = []
    for i in range(draw(st.integers(0, s.max_contacts))):
        coach, client = _coach_and_client(draw, base)
        day = s.as_of + timedelta(days=draw(s.contact_days))
        zone = timezone(timedelta(minutes=_pick(draw, _UTC_OFFSETS)))
        clock = time(draw(s.clock_hours), draw(s.clock_minutes), _pick(draw, (0, 59)))
        at = datetime.combine(day, clock, tzinfo=zone)
        responded = None
        if _chance(draw, 4):
            responded = at + timedelta(hours=draw(s.response_hours), minutes=_pick(draw, (0, 1)))
            if _rarely(draw, 4):  # answered from another timezone
                responded = responded.astimezone(UTC)
        contacts.append(
            Contact(
                f"ct{i + 1}",
                coach,
                client,
                _pick(draw, CHANNELS),
                at,
                _pick(draw, CONTACT_INITIATORS[::-1]),
                responded,
            )
        )
    return contacts


@st.composite
def _concerns(draw: st.DrawFn, s: _Draws, base: _Base) -> list[Concern]:
    """Concerns about people or ties, raised around the review deadline."""
    ids = base.ids
    concerns = []
    for i in range(draw(st.integers(0, s.max_records))):
        about = _pick(draw, base.ties).id if base.ties and _chance(draw, 2) else _pick(draw, ids)
        raised = draw(s.near)
        status = _pick(draw, CONCERN_STATUSES)
        resolved = None
        if status not in OPEN_CONCERN_STATUSES:
            resolved = raised + timedelta(days=draw(st.integers(0, 30)))
        concerns.append(
            Concern(
                f"cn{i + 1}",
                about,
                raised,
                status,
                raised_by=_pick(draw, ids) if _chance(draw, 2) else None,
                resolved=resolved,
            )
        )
    return concerns


@st.composite
def _client_records(draw: st.DrawFn, s: _Draws, base: _Base) -> list[ClientRecord]:
    """Client records at the end of their retention."""
    ids = base.ids
    client_records = []
    for i in range(draw(st.integers(0, s.max_records))):
        retain_days = draw(s.retention)
        retain = None if retain_days is None else s.as_of + timedelta(days=retain_days)
        destroyed = draw(s.maybe_near)
        known = [d for d in (retain, destroyed) if d is not None]
        created = min([*known, s.as_of]) - timedelta(days=draw(st.integers(0, 2_000)))
        client_records.append(
            ClientRecord(
                f"rc{i + 1}",
                _pick(draw, ids),
                _pick(draw, s.record_kinds),
                created,
                retain_until=retain,
                destroyed=destroyed,
            )
        )
    return client_records


@st.composite
def _practice(draw: st.DrawFn, s: _Draws, base: _Base) -> Practice:
    """Every section about ``base``, in this order (consents read the assessments and
    disclosures drawn before them)."""
    agreements = draw(_agreements(s, base))
    assessments = draw(_assessments(s, base))
    disclosures = draw(_disclosures(s, base))
    consents = draw(_consents(s, base, [*assessments, *disclosures]))
    return Practice(
        agreements=tuple(agreements),
        consents=tuple(consents),
        assessments=tuple(assessments),
        disclosures=tuple(disclosures),
        supervision_sessions=tuple(draw(_supervision_sessions(s, base))),
        contacts=tuple(draw(_contacts(s, base))),
        concerns=tuple(draw(_concerns(s, base))),
        records=tuple(draw(_client_records(s, base))),
    )


def practice_registries(
    *,
    min_people: int = 2,
    max_people: int = 5,
    max_ties: int | None = None,
    kinds: Sequence[str] = _PRACTICE_KINDS,
    as_of: date = date(2026, 1, 1),
    max_records: int = 4,
    max_contacts: int = 8,
    spread_days: int = 400,
    extra_kinds: Mapping[str, bool] | None = None,
) -> st.SearchStrategy[Registry]:
    """A valid registry with practice sections about its own people and ties.

    People and ties as in :func:`registries` (at least one tie, the first a coaching tie
    when ``kinds`` has coaching; coaching drawn three times as often as each other kind,
    and half the ties alongside an earlier one between the same two people), then up to
    ``max_records`` records per section (``max_contacts`` contacts) that refer to them,
    biased towards the situations where practice rules nearly match: agreements of the
    coaching ties (sometimes none, sometimes two) covering confidentiality and escalation
    or not, signed and reviewed around the review interval, declaring some roles, with
    channels, contact hours (wrapping past midnight too) and response windows; assessments
    and disclosures mostly by a coach about their client, consents for them given and
    withdrawn around their dates (and for the disclosure's recipient or another);
    supervision sessions around 30 days ago; contacts between the ends of coaching ties in
    the 30 days up to ``as_of`` and just outside, at local times near the agreed hours in
    several UTC offsets, answered around 24 and 48 hours later or not at all; concerns
    about people or ties, open or closed, raised around 14 days ago; client records at the
    end of their retention, destroyed or not.  Dates fall within ``spread_days`` before
    ``as_of`` or on the edges of the usual windows; every record keeps its dates in order,
    so the registry passes :func:`dualrel.graph.registry_from_data`.

    Record ids are ``ag1``, ``cs1``, ``as1``, ``ds1``, ``ss1``, ``ct1``, ``cn1``, ``rc1``,
    ...  Shrinks towards fewer records, missing optional fields and the first values of
    each vocabulary.

    >>> from hypothesis import given, settings
    >>> from dualrel.graph import registry_document, registry_from_data
    >>> @settings(max_examples=10, database=None)
    ... @given(practice_registries(max_people=4))
    ... def check(reg):
    ...     ties = {t.id for t in reg.ties}
    ...     assert all(a.tie in ties for a in reg.practice.agreements)
    ...     assert registry_from_data(registry_document(reg)).practice == reg.practice
    >>> check()
    """
    _check_people(min_people, max_people)
    tie_cap = 2 * max_people if max_ties is None else max_ties
    _check_bounds("max_ties", 0, "max_ties", tie_cap)
    _check_bounds("max_records", 0, "max_records", max_records)
    _check_bounds("max_contacts", 0, "max_contacts", max_contacts)
    _check_bounds("spread_days", spread_days, "spread_days", spread_days)
    _check_kinds(kinds, extra_kinds)
    if not isinstance(as_of, date):
        raise InvalidArgument(f"as_of={as_of!r} must be a datetime.date")
    all_kinds = {**CORE_TIE_KINDS, **(extra_kinds or {})}
    kind_choices = sorted(set(kinds))
    if "coaching" in kind_choices:
        kind_choices = ["coaching", "coaching", *kind_choices]
    s = _draws(as_of, spread_days, max_records, max_contacts)
    people_and_ties = _people_and_ties(
        s,
        min_people=min_people,
        max_people=max_people,
        tie_cap=tie_cap,
        kinds=kinds,
        kind_choices=kind_choices,
    )

    @st.composite
    def build(draw: st.DrawFn) -> Registry:
        base = draw(people_and_ties)
        practice = draw(_practice(s, base))
        return Registry(
            people=tuple(base.persons),
            ties=tuple(base.ties),
            as_of=as_of,
            kinds=all_kinds,
            practice=practice,
        )

    return build()
