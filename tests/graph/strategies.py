"""Hypothesis strategies for valid registries (for the graph tests; see dualrel.testing)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

from dualrel.graph import CORE_ROLES, CORE_TIE_KINDS, FAMILY_RELATIONS, Person, Registry, Tie
from dualrel.graph._practice_reader import SECTION_FIELDS
from dualrel.graph.practice import (
    AGREEMENT_COVERS,
    AGREEMENT_ROLES,
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

_ALL_FIELDS = tuple({f.name for fields in SECTION_FIELDS.values() for f in fields})

ROLES = sorted(CORE_ROLES)
KINDS = sorted(CORE_TIE_KINDS)

ids = st.text("abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=8)
texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 12, 31))


def attribute_values(csv_safe: bool) -> st.SearchStrategy[Any]:
    if csv_safe:  # CSV cells are text; an empty cell is absent
        return st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=10)
    scalars = st.none() | st.booleans() | st.integers(-(10**6), 10**6) | texts
    return st.recursive(
        scalars,
        lambda inner: (
            st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
        ),
        max_leaves=6,
    )


def attributes(csv_safe: bool, reserved: tuple[str, ...] = ()) -> st.SearchStrategy[dict[str, Any]]:
    keys = st.text("abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8).filter(
        lambda k: k not in reserved
    )
    return st.dictionaries(keys, attribute_values(csv_safe), max_size=3)


PERSON_COLUMNS = ("id", "roles", "name", "organisation")
TIE_COLUMNS = ("id", "kind", "source", "target", "start", "end", "agreement_signed", "relation")


@st.composite
def registries(draw: st.DrawFn, *, csv_safe: bool = False, max_people: int = 8) -> Registry:
    """A valid registry: unique ids, known kinds, no self-ties, end >= start."""
    person_ids = draw(st.lists(ids, min_size=1, max_size=max_people, unique=True))
    text = (
        st.none() | st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=10)
        if csv_safe
        else st.none() | texts
    )
    people = tuple(
        Person(
            pid,
            tuple(draw(st.lists(st.sampled_from(ROLES), max_size=2, unique=True))),
            draw(text),
            draw(text),
            draw(attributes(csv_safe, PERSON_COLUMNS)),
        )
        for pid in person_ids
    )
    ties: list[Tie] = []
    if len(person_ids) >= 2:
        n = draw(st.integers(0, 12))
        tie_ids = draw(st.lists(ids, min_size=n, max_size=n, unique=True))
        for tid in tie_ids:
            source, target = draw(
                st.lists(st.sampled_from(person_ids), min_size=2, max_size=2, unique=True)
            )
            kind = draw(st.sampled_from(KINDS))
            start = draw(st.none() | dates)
            end = draw(st.none() | dates)
            if start is not None and end is not None and end < start:
                start, end = end, start
            attrs = draw(attributes(csv_safe, TIE_COLUMNS))
            if kind == "family":
                attrs["relation"] = draw(st.sampled_from(sorted(FAMILY_RELATIONS)))
            if kind == "coaching" and draw(st.booleans()):
                attrs["agreement_signed"] = draw(dates).isoformat()
            ties.append(Tie(tid, kind, source, target, start, end, attrs))
    as_of = draw(st.none() | dates)
    return Registry(people, tuple(ties), as_of)


def same_content(a: Registry, b: Registry) -> bool:
    """Equal people, ties, practice records and as_of (locations and source differ
    between files)."""
    return (a.people, a.ties, a.practice, a.as_of) == (b.people, b.ties, b.practice, b.as_of)


def shifted(d: date, days: int) -> date:
    return d + timedelta(days=days)


# -- practice records -----------------------------------------------------------------

_SAFE_TEXT = st.text("abcdefghijklmnopqrstuvwxyz0123456789 -_", min_size=1, max_size=10).filter(
    lambda s: s.strip() == s and bool(s)
)
_OFFSETS = st.integers(-48, 56).map(lambda q: timezone(timedelta(minutes=15 * q)))


def _datetimes() -> st.SearchStrategy[datetime]:
    return st.builds(
        lambda d, tz: d.replace(tzinfo=tz),
        st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2030, 12, 31)),
        _OFFSETS,
    )


def _subset(values: Any) -> st.SearchStrategy[tuple[str, ...]]:
    return st.lists(st.sampled_from(sorted(values)), max_size=3, unique=True).map(tuple)


def _later(draw: st.DrawFn, d: Any, days: int = 4000) -> Any:
    return d + timedelta(days=draw(st.integers(0, days)))


@st.composite
def practices(
    draw: st.DrawFn, people: Sequence[str], ties: Sequence[str], *, csv_safe: bool = False
) -> Practice:
    """Valid practice records referring to ``people`` and ``ties``."""
    person = st.sampled_from(list(people))
    maybe_person = st.none() | person
    text = _SAFE_TEXT
    attrs = attributes(csv_safe, ("id", "attributes", *_ALL_FIELDS))

    def n(section: str) -> list[str]:
        return draw(st.lists(ids, max_size=3, unique=True))

    agreements = []
    if ties:
        for rid in n("agreements"):
            signed = draw(st.none() | dates)
            start = draw(st.integers(0, 23)), draw(st.integers(0, 59))
            end = draw(st.integers(0, 23)), draw(st.integers(0, 59))
            hours = None
            if start != end and draw(st.booleans()):
                hours = f"{start[0]:02d}:{start[1]:02d}-{end[0]:02d}:{end[1]:02d}"
            agreements.append(
                Agreement(
                    rid,
                    draw(st.sampled_from(list(ties))),
                    signed,
                    draw(_subset(AGREEMENT_ROLES)),
                    draw(_subset(AGREEMENT_COVERS)),
                    draw(_subset(CHANNELS)),
                    draw(st.none() | st.integers(1, 500)),
                    _later(draw, signed) if signed is not None and draw(st.booleans()) else None,
                    hours,
                    draw(_subset(WEEKDAYS)),
                    draw(attrs),
                )
            )
    consents = []
    for rid in n("consents"):
        purpose = draw(st.sampled_from(CONSENT_PURPOSES))
        given = draw(dates)
        consents.append(
            Consent(
                rid,
                draw(person),
                purpose,
                draw(st.none() | text),
                given,
                _later(draw, given) if draw(st.booleans()) else None,
                draw(person | text) if purpose == "data_sharing" else draw(st.none() | text),
                draw(attrs),
            )
        )
    assessments = [
        Assessment(rid, draw(person), draw(person), draw(text), draw(dates), draw(attrs))
        for rid in n("assessments")
    ]
    disclosures = [
        Disclosure(
            rid,
            draw(person),
            draw(person | text),
            draw(dates),
            draw(st.none() | text),
            draw(maybe_person),
            draw(attrs),
        )
        for rid in n("disclosures")
    ]
    sessions = [
        SupervisionSession(rid, draw(person), draw(person), draw(dates), draw(attrs))
        for rid in n("supervision_sessions")
    ]
    contacts = []
    for rid in n("contacts"):
        at = draw(_datetimes())
        responded = None
        if draw(st.booleans()):
            responded = (at + timedelta(minutes=draw(st.integers(0, 10**5)))).astimezone(
                draw(_OFFSETS)
            )
        contacts.append(
            Contact(
                rid,
                draw(person),
                draw(person),
                draw(st.sampled_from(CHANNELS)),
                at,
                draw(st.sampled_from(CONTACT_INITIATORS)),
                responded,
                draw(attrs),
            )
        )
    concerns = []
    for rid in n("concerns"):
        status = draw(st.sampled_from(CONCERN_STATUSES))
        raised = draw(dates)
        concerns.append(
            Concern(
                rid,
                draw(st.sampled_from([*people, *ties])),
                raised,
                status,
                draw(maybe_person),
                None if status in OPEN_CONCERN_STATUSES else _later(draw, raised),
                draw(attrs),
            )
        )
    records = []
    for rid in n("records"):
        created = draw(dates)
        records.append(
            ClientRecord(
                rid,
                draw(person),
                draw(st.sampled_from(sorted(RECORD_KINDS))),
                created,
                _later(draw, created) if draw(st.booleans()) else None,
                _later(draw, created) if draw(st.booleans()) else None,
                draw(attrs),
            )
        )
    return Practice(
        tuple(agreements),
        tuple(consents),
        tuple(assessments),
        tuple(disclosures),
        tuple(sessions),
        tuple(contacts),
        tuple(concerns),
        tuple(records),
    )


@st.composite
def registries_with_practice(draw: st.DrawFn, *, csv_safe: bool = False) -> Registry:
    """A valid registry with valid practice records."""
    reg = draw(registries(csv_safe=csv_safe))
    practice = draw(
        practices([p.id for p in reg.people], [t.id for t in reg.ties], csv_safe=csv_safe)
    )
    return replace(reg, practice=practice)


#: the damage :func:`damaged` does alike to a JSON document's and a JSON Lines file's
#: records (its other twists are a document's own)
DAMAGES = (
    "unknown-field",
    "duplicate-key",
    "wrong-type",
    "unknown-person",
    "bad-date",
    "end-before-start",
    "unknown-kind",
    "unknown-role",
    "family-without-relation",
    "role-mismatch",
    "duplicate-person",
    "duplicate-tie",
    "self-tie",
)


def damaged(
    draw: st.DrawFn, twist: str, people: list[dict[str, Any]], ties: list[dict[str, Any]]
) -> tuple[str, str] | None:
    """Damage the records of a registry document (``people``, ``ties``: its records as
    dicts) for ``twist`` (in place); a change to make on the text, if any.  The damage the
    JSON and JSON Lines columnar readers must leave to the record readers, or read alike."""
    records = people + ties
    if twist == "unknown-field":
        draw(st.sampled_from(records))["colour"] = "red"
    elif twist == "type-field":  # a JSON Lines field, unknown in a document
        draw(st.sampled_from(people))["type"] = "person"
    elif twist == "duplicate-key":
        return ('"id": ', '"id": "dup", "id": ')
    elif twist == "wrong-type":
        draw(st.sampled_from(people))["roles"] = "coach"
    elif twist == "unknown-person" and ties:
        draw(st.sampled_from(ties))["target"] = "nobody"
    elif twist == "bad-date" and ties:
        draw(st.sampled_from(ties))["start"] = "2026-02-30"
    elif twist == "end-before-start" and ties:
        tie = draw(st.sampled_from(ties))
        tie["start"], tie["end"] = "2026-01-02", "2026-01-01"
    elif twist == "unknown-kind" and ties:
        draw(st.sampled_from(ties))["kind"] = "romace"
    elif twist == "unknown-role":
        for p in draw(st.lists(st.sampled_from(people), min_size=1)):
            p["roles"] = ["coahc", *p.get("roles", [])]
    elif twist == "family-without-relation" and ties:
        for tie in draw(st.lists(st.sampled_from(ties), min_size=1)):
            tie["kind"] = "family"
            tie.pop("attributes", None)
    elif twist == "role-mismatch" and ties:
        draw(st.sampled_from(ties))["kind"] = "coaching"
        for p in people:
            p["roles"] = []
    elif twist == "duplicate-person":
        people.append(dict(people[0]))
    elif twist == "duplicate-tie" and ties:
        ties.append(dict(ties[0]))
    elif twist == "self-tie" and ties:
        tie = draw(st.sampled_from(ties))
        tie["target"] = tie["source"]
    elif twist == "null-field-of-other-type":
        draw(st.sampled_from(people))["end"] = None
    elif twist == "null-allowed":
        person = draw(st.sampled_from(people))
        person["organisation"] = None
        person["attributes"] = None
    elif twist == "null-attribute":
        draw(st.sampled_from(records))["attributes"] = {"x": None}
    elif twist == "null-in-name":
        draw(st.sampled_from(people))["name"] = draw(st.sampled_from(["null", "a: null"]))
    elif twist == "empty-name":
        draw(st.sampled_from(people))["name"] = ""
    elif twist == "escaped":
        draw(st.sampled_from(people))["name"] = 'say "hi"'
    elif twist == "two-attributes" and ties:
        draw(st.sampled_from(ties))["attributes"] = {"b": "1", "a": "2"}
    elif twist == "attribute-named-as-field":
        draw(st.sampled_from(records))["attributes"] = {"start": "x"}
    elif twist == "role-with-semicolon":
        draw(st.sampled_from(people))["roles"] = ["coach;client"]
    elif twist == "no-tie-id" and ties:
        del draw(st.sampled_from(ties))["id"]
    elif twist == "number-id":
        draw(st.sampled_from(people))["id"] = 7
    return None
