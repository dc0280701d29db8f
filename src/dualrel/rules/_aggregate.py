"""Grouping matches into findings: ``per``, ``count`` and ``share`` (private).

A rule with ``per`` reports one finding per group of matches that agree on the ``per``
variables, when the group passes its ``count`` (at least so many distinct records) or its
``share`` (more than a part of the group's records are numerator matches); the finding's
evidence is the group's (for a share, its numerator's).  A share whose denominator is
counted while records are indexed has numerator matches only (see
:class:`~dualrel.rules.plan.CountedShare`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from dualrel.rules._match import NUMERATOR, AnchorKey, Match
from dualrel.rules._values import canonical, field_of
from dualrel.rules.plan import CompiledRule

__all__ = ["aggregate"]

#: Per counted share: the ids of the records counted, by the (variable, person) pairs
#: of their group.
ShareCounts = Mapping[str, Mapping[tuple[tuple[str, str], ...], set[str]]]


#: People's organisation and attributes by id, for ``count``'s ``alike``.
Fields = Mapping[str, tuple[Any, Mapping[str, Any]]]


def aggregate(
    rules: Mapping[str, CompiledRule],
    results: Mapping[AnchorKey, set[Match]],
    share_counts: ShareCounts,
    fields: Fields | None = None,
) -> dict[AnchorKey, set[Match]]:
    """Group the matches of ``per``/``count``/``share`` rules into their findings.  A
    share whose denominator is counted (``share_counts``) has numerator matches only;
    ``fields`` holds the people's fields a ``count`` with ``alike`` reads."""
    out: dict[AnchorKey, set[Match]] = {}
    # a counted share has only its numerator's key (in the order found: runs alike)
    keys = dict.fromkeys((name.removesuffix(NUMERATOR), anchor) for name, anchor in results)
    for name, anchor in keys:
        rule = rules[name]
        matches = results.get((name, anchor), set())
        if rule.per is None:
            out[(name, anchor)] = matches
            continue
        numerator = results.get((name + NUMERATOR, anchor), set())
        counted = share_counts.get(name)
        kept = {
            m for m in _groups(rule, matches, numerator, counted, fields or {}) if m is not None
        }
        if kept:
            out[(name, anchor)] = kept
    return out


def _groups(
    rule: CompiledRule,
    matches: set[Match],
    numerator: set[Match],
    counted: Mapping[tuple[tuple[str, str], ...], set[str]] | None = None,
    fields: Fields | None = None,
) -> Iterator[Match | None]:
    assert rule.per is not None
    per = set(rule.per)

    def key(m: Match) -> tuple[tuple[str, str], ...]:
        return tuple(s for s in m[0] if s[0] in per)

    def distinct(ms: Iterable[Match], of: str, person: bool) -> int:
        """Distinct people bound to the variable ``of``, or records or ties of the
        clause whose alias is ``of``."""
        if person:
            return len({dict(m[0])[of] for m in ms})
        if of in rule.record_evidence:
            at = rule.record_evidence.index(of)
            return len({m[2][at] for m in ms})
        at = rule.evidence.index(of)
        return len({m[1][at] for m in ms})

    def alike(ms: list[Match]) -> list[Match]:
        """The matches whose counted person shares a value of ``count_alike`` with at
        least ``at_least`` distinct counted people (a missing value shares nothing)."""
        assert rule.count_of is not None and rule.count_alike is not None
        by_value: dict[str, list[Match]] = defaultdict(list)
        for m in ms:
            person = dict(m[0])[rule.count_of]
            present, value = field_of(rule.count_alike, *(fields or {})[person])
            if present:
                by_value[canonical(value)].append(m)
        return [
            m
            for group in by_value.values()
            if distinct(group, rule.count_of, True) >= rule.at_least
            for m in group
        ]

    groups: dict[tuple[tuple[str, str], ...], list[Match]] = defaultdict(list)
    for m in matches:
        groups[key(m)].append(m)
    above: dict[tuple[tuple[str, str], ...], list[Match]] = defaultdict(list)
    for m in numerator:
        above[key(m)].append(m)
    named: set[str] = set()
    if counted is not None:
        # every group with a numerator match has denominator matches: the counted ones
        assert rule.counted_share is not None
        groups = above
        named = {var for _, var in rule.counted_share.people}
    for subjects, ms in groups.items():
        shown = ms
        if rule.count_alike is not None:
            shown = alike(ms)
            if not shown:
                yield None
                continue
        elif rule.count_of is not None and (
            distinct(ms, rule.count_of, rule.count_person) < rule.at_least
        ):
            yield None
            continue
        if rule.share_of is not None:
            late = above.get(subjects, [])
            if counted is not None:
                whole = len(counted.get(tuple(sorted(s for s in subjects if s[0] in named)), ()))
            else:
                whole = distinct(ms, rule.share_of, rule.share_person)
            part = distinct(late, rule.share_of, rule.share_person)
            if not whole or not part > rule.more_than * whole:
                yield None
                continue
            shown = late
        yield (
            subjects,
            tuple(sorted({t for m in shown for t in m[1]})),
            tuple(sorted({r for m in shown for r in m[2]})),
        )
