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

from dualrel.rules._match import NUMERATOR, AnchorKey, Match
from dualrel.rules.plan import CompiledRule

__all__ = ["aggregate"]

#: Per counted share: the ids of the records counted, by the (variable, person) pairs
#: of their group.
ShareCounts = Mapping[str, Mapping[tuple[tuple[str, str], ...], set[str]]]


def aggregate(
    rules: Mapping[str, CompiledRule],
    results: Mapping[AnchorKey, set[Match]],
    share_counts: ShareCounts,
) -> dict[AnchorKey, set[Match]]:
    """Group the matches of ``per``/``count``/``share`` rules into their findings.  A
    share whose denominator is counted (``share_counts``) has numerator matches only."""
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
        kept = {m for m in _groups(rule, matches, numerator, counted) if m is not None}
        if kept:
            out[(name, anchor)] = kept
    return out


def _groups(
    rule: CompiledRule,
    matches: set[Match],
    numerator: set[Match],
    counted: Mapping[tuple[tuple[str, str], ...], set[str]] | None = None,
) -> Iterator[Match | None]:
    assert rule.per is not None
    per = set(rule.per)

    def key(m: Match) -> tuple[tuple[str, str], ...]:
        return tuple(s for s in m[0] if s[0] in per)

    def distinct(ms: Iterable[Match], alias: str) -> int:
        at = rule.record_evidence.index(alias)
        return len({m[2][at] for m in ms})

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
        if rule.count_of is not None and distinct(ms, rule.count_of) < rule.at_least:
            yield None
            continue
        if rule.share_of is not None:
            late = above.get(subjects, [])
            if counted is not None:
                whole = len(counted.get(tuple(sorted(s for s in subjects if s[0] in named)), ()))
            else:
                whole = distinct(ms, rule.share_of)
            if not whole or not distinct(late, rule.share_of) > rule.more_than * whole:
                yield None
                continue
            shown = late
        yield (
            subjects,
            tuple(sorted({t for m in shown for t in m[1]})),
            tuple(sorted({r for m in shown for r in m[2]})),
        )
