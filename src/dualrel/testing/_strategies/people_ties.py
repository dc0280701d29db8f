"""People, ties and plain registries, and the argument checks every strategy shares.

Registries shrink towards few people, few ties, no dates and no attributes, so a failing
example reads like a hand-written one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from hypothesis import strategies as st

from dualrel.errors import InvalidArgument
from dualrel.graph.model import CORE_ROLES, CORE_TIE_KINDS, FAMILY_RELATIONS, Person, Registry, Tie

__all__ = ["people", "registries", "ties"]

_ROLES = sorted(CORE_ROLES)


def _check_bounds(name_min: str, lo: int, name_max: str, hi: int | None) -> None:
    if not isinstance(lo, int) or isinstance(lo, bool) or lo < 0:
        raise InvalidArgument(f"{name_min}={lo!r} must be a non-negative integer")
    if hi is not None and (not isinstance(hi, int) or isinstance(hi, bool) or hi < lo):
        raise InvalidArgument(f"{name_max}={hi!r} must be an integer >= {name_min}={lo!r}")


def _check_people(min_people: int, max_people: int) -> None:
    _check_bounds("min_people", min_people, "max_people", max_people)
    if min_people < 2:
        raise InvalidArgument(
            f"min_people={min_people!r} must be at least 2: a tie needs two people"
        )


def _check_kinds(kinds: Sequence[str], extra_kinds: Mapping[str, bool] | None) -> None:
    if isinstance(kinds, str) or not kinds:
        raise InvalidArgument(f"kinds={kinds!r} must be a non-empty list of tie kinds")
    if extra_kinds is not None and not isinstance(extra_kinds, Mapping):
        raise InvalidArgument(f"extra_kinds={extra_kinds!r} must map kind names to directed")
    known = set(CORE_TIE_KINDS) | set(extra_kinds or {})
    unknown = sorted(set(kinds) - known)
    if unknown:
        raise InvalidArgument(
            f"kinds={list(kinds)!r}: {unknown!r} are neither core tie kinds nor in extra_kinds"
        )


def people(
    *, ids: st.SearchStrategy[str] | None = None, roles: Sequence[str] = _ROLES
) -> st.SearchStrategy[Person]:
    """A person with an id and a (possibly empty) set of roles; shrinks to no roles."""
    id_strategy = ids if ids is not None else st.from_regex(r"p[0-9]{1,4}", fullmatch=True)
    return st.builds(
        Person,
        id=id_strategy,
        roles=st.lists(st.sampled_from(sorted(roles)), unique=True, max_size=2).map(tuple),
    )


#: Offsets where rules change their mind: the evaluation date and the usual windows.
_EDGES = (-1, 0, 1, -729, -730, -731, -1825, -1826, -1827)


def _dates(as_of: date, spread_days: int) -> st.SearchStrategy[date | None]:
    edges = [d for d in _EDGES if abs(d) <= spread_days]
    offsets = st.sampled_from(edges) | st.integers(-spread_days, spread_days)
    return st.none() | offsets.map(lambda d: as_of + timedelta(days=d))


def ties(
    person_ids: Sequence[str],
    *,
    kinds: Sequence[str] = tuple(CORE_TIE_KINDS),
    as_of: date = date(2026, 1, 1),
    spread_days: int = 1_500,
    extra_kinds: Mapping[str, bool] | None = None,
) -> st.SearchStrategy[Tie]:
    """A tie between two distinct people of ``person_ids``, with a temporary id.

    Dates fall within ``spread_days`` of ``as_of`` (or are absent); ``end`` is never
    before ``start``.  Coaching ties may carry ``agreement_signed``; family ties a
    ``relation``.  Any kind name is accepted (a ruleset's vocabulary may add kinds);
    ``extra_kinds`` is accepted for symmetry with :func:`registries`.  Shrinks towards the
    first kind and people, no dates and no attributes.
    """
    if isinstance(person_ids, str) or len(set(person_ids)) < 2:
        raise InvalidArgument(f"person_ids needs at least two distinct ids, got {person_ids!r}")
    if isinstance(kinds, str) or not kinds:
        raise InvalidArgument(f"kinds={kinds!r} must be a non-empty list of tie kinds")
    _check_bounds("spread_days", spread_days, "spread_days", spread_days)
    if not isinstance(as_of, date):
        raise InvalidArgument(f"as_of={as_of!r} must be a datetime.date")
    ids = sorted(set(person_ids))

    @st.composite
    def build(draw: Any) -> Tie:
        kind = draw(st.sampled_from(sorted(kinds)))
        source = draw(st.sampled_from(ids))
        target = draw(st.sampled_from([i for i in ids if i != source]))
        start, end = draw(_dates(as_of, spread_days)), draw(_dates(as_of, spread_days))
        if start is not None and end is not None and end < start:
            start, end = end, start
        attributes: dict[str, Any] = {}
        if kind == "coaching" and draw(st.booleans()):
            attributes["agreement_signed"] = (start or as_of).isoformat()
        if kind == "family" and draw(st.booleans()):
            attributes["relation"] = draw(st.sampled_from(sorted(FAMILY_RELATIONS)))
        return Tie(
            id="",
            kind=kind,
            source=source,
            target=target,
            start=start,
            end=end,
            attributes=attributes,
        )

    return build()


def registries(
    *,
    min_people: int = 2,
    max_people: int = 12,
    max_ties: int | None = None,
    kinds: Sequence[str] = tuple(CORE_TIE_KINDS),
    as_of: date = date(2026, 1, 1),
    extra_kinds: Mapping[str, bool] | None = None,
) -> st.SearchStrategy[Registry]:
    """A valid registry: unique ids, ties between existing distinct people.

    ``max_ties`` defaults to three ties per person.  Tie ids are ``t1``, ``t2``, ... in
    file order.

    >>> from hypothesis import given, settings
    >>> @settings(max_examples=5)
    ... @given(registries(max_people=4))
    ... def check(reg):
    ...     assert {p.id for p in reg.people} >= {t.source for t in reg.ties}
    >>> check()
    """
    _check_people(min_people, max_people)
    tie_cap = 3 * max_people if max_ties is None else max_ties
    _check_bounds("max_ties", 0, "max_ties", tie_cap)
    _check_kinds(kinds, extra_kinds)
    if not isinstance(as_of, date):
        raise InvalidArgument(f"as_of={as_of!r} must be a datetime.date")
    all_kinds = {**CORE_TIE_KINDS, **(extra_kinds or {})}

    @st.composite
    def build(draw: Any) -> Registry:
        n = draw(st.integers(min_people, max_people))
        persons = [
            Person(
                f"p{i}",
                roles=draw(st.lists(st.sampled_from(_ROLES), unique=True, max_size=2).map(tuple)),
            )
            for i in range(n)
        ]
        raw = draw(
            st.lists(
                ties([p.id for p in persons], kinds=kinds, as_of=as_of, extra_kinds=extra_kinds),
                max_size=tie_cap,
            )
        )
        numbered = tuple(
            Tie(
                id=f"t{i + 1}",
                kind=t.kind,
                source=t.source,
                target=t.target,
                start=t.start,
                end=t.end,
                attributes=t.attributes,
            )
            for i, t in enumerate(raw)
        )
        return Registry(people=tuple(persons), ties=numbered, as_of=as_of, kinds=all_kinds)

    return build()
