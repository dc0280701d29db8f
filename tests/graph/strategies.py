"""Hypothesis strategies for valid registries (for the graph tests; see dualrel.testing)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from hypothesis import strategies as st

from dualrel.graph import CORE_TIE_KINDS, FAMILY_RELATIONS, Person, Registry, Tie

ROLES = ("coach", "client", "supervisor", "manager", "mentor", "sponsor", "staff")
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
    """Equal people, ties and as_of (locations and source differ between files)."""
    return (a.people, a.ties, a.as_of) == (b.people, b.ties, b.as_of)


def shifted(d: date, days: int) -> date:
    return d + timedelta(days=days)
