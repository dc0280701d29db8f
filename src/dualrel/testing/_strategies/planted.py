"""Registries that hold an instance of a rule's pattern, derived from the pattern itself.

The planted people and ties satisfy the pattern's clauses and ``where`` conditions (dates
chosen inside the region the conditions leave feasible), then random noise is added that
never touches the planted people with a kind a negated clause reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from hypothesis import assume
from hypothesis import strategies as st

from dualrel.errors import InvalidArgument
from dualrel.graph.model import DATE_ATTRIBUTES, FAMILY_RELATIONS, Person, Registry, Tie
from dualrel.rules.loader import Ruleset, load_ruleset
from dualrel.testing._pattern import (
    FAR,
    constraints,
    date_attributes,
    holds,
    positive,
    vetoed,
)
from dualrel.testing._strategies.people_ties import _ROLES, _check_bounds, ties

__all__ = ["plantable", "registries_matching"]


def _shortest(n: int, cons: Sequence[tuple[int, int, int]]) -> list[list[float]] | None:
    """``d[b][a]``: the tightest bound on ``x[a] - x[b]``; None if the system is infeasible."""
    inf = float("inf")
    d = [[0.0 if i == j else inf for j in range(n)] for i in range(n)]
    for a, b, c in cons:
        d[b][a] = min(d[b][a], c)
    for k in range(n):
        dk = d[k]
        for i in range(n):
            dik = d[i][k]
            if dik == inf:
                continue
            di = d[i]
            for j in range(n):
                di[j] = min(di[j], dik + dk[j])
    if any(d[i][i] < 0 for i in range(n)):
        return None
    return d


def _resolve_ruleset(ruleset: Any) -> Any:
    if isinstance(ruleset, Ruleset):
        return ruleset
    if isinstance(ruleset, str | Path):
        return load_ruleset(ruleset)
    raise InvalidArgument(
        f"ruleset={ruleset!r} must be a Ruleset, a shipped ruleset name or a path"
    )


def plantable(rule: Any) -> bool:
    """Whether :func:`registries_matching` can plant ``rule``: a pattern of ties only,
    each match its own finding.

    >>> from dualrel.rules import load_ruleset
    >>> rs = load_ruleset("coaching-practice")
    >>> plantable(rs.rule("romance-active-client")), plantable(rs.rule("late-responses"))
    (True, False)
    """
    m = rule.match
    return not m.records and m.per is None and m.count is None and m.share is None


def registries_matching(
    ruleset: Any,
    rule_id: str,
    *,
    max_extra_people: int = 4,
    max_noise_ties: int = 8,
    as_of: date = date(2026, 1, 1),
    spread_days: int = 1_500,
) -> st.SearchStrategy[Registry]:
    """A registry holding at least one instance of ``rule_id``'s pattern, among noise.

    The instance is derived from the pattern: one person per variable (its id is the
    variable's name, with one of the roles the pattern asks), one tie per clause that must
    exist (its id is the clause's ``as`` name when it has one), with a kind of the clause,
    its direction, dates that satisfy ``active``, ``ended`` and every ``where`` condition
    under the ruleset's parameters, and attributes that pass its tests.  Negated clauses
    are never planted, and noise never touches the planted people with a kind a negated
    clause reads.  Then up to ``max_extra_people`` people and ``max_noise_ties`` random ties.

    Shrinks towards no noise, no optional dates (missing where the pattern allows) and
    dates near ``as_of``.

    >>> from hypothesis import given, settings
    >>> from dualrel.rules import evaluate, load_ruleset
    >>> rs = load_ruleset("coaching-core")
    >>> @settings(max_examples=10, database=None)
    ... @given(registries_matching(rs, "romance-former-client"))
    ... def fires(reg):
    ...     assert "romance-former-client" in {f.rule for f in evaluate(reg, rs).findings}
    >>> fires()
    """
    rs = _resolve_ruleset(ruleset)
    if not isinstance(rule_id, str):
        raise InvalidArgument(f"rule_id={rule_id!r} must be a rule id (a string)")
    try:
        rule = rs.rule(rule_id)
    except KeyError as exc:
        raise InvalidArgument(f"rule_id={rule_id!r}: {exc.args[0]}") from None
    if not plantable(rule):
        raise InvalidArgument(
            f"rule_id={rule_id!r} reads practice records or groups matches: "
            "registries_matching plants ties only; draw from practice_registries() instead"
        )
    _check_bounds("max_extra_people", max_extra_people, "max_extra_people", max_extra_people)
    _check_bounds("max_noise_ties", max_noise_ties, "max_noise_ties", max_noise_ties)
    _check_bounds("spread_days", spread_days, "spread_days", spread_days)
    if not isinstance(as_of, date):
        raise InvalidArgument(f"as_of={as_of!r} must be a datetime.date")

    clauses = positive(rule)
    dated = date_attributes(rule)  # attributes read as dates: variables after the ties'
    n = 1 + 2 * len(clauses) + len(dated)
    spread = spread_days + sum(abs(c) for _, _, c in constraints(rule, as_of))
    cons = (
        constraints(rule, as_of)
        + [(v, 0, spread) for v in range(1, n)]
        + [(0, v, spread) for v in range(1, n)]
    )
    if _shortest(n, cons) is None:
        raise InvalidArgument(
            f"rule_id={rule_id!r}: the rule's date conditions contradict each other, so it "
            "can never fire"
        )
    kinds_directed = dict(rs.kinds)
    negated_kinds = {k for c in rule.match.ties if not c.exists for k in c.kinds}
    read_kinds = sorted({k for r in rs.rules for c in r.match.ties for k in c.kinds})
    variables = list(rule.match.people)
    tie_ids = [c.as_ or f"t{i + 1}" for i, c in enumerate(clauses)]

    @st.composite
    def build(draw: Any) -> Registry:
        # people: one per variable, with a role the pattern asks for
        persons: list[Person] = []
        for var in variables:
            wanted = rule.match.people[var].roles
            roles = [draw(st.sampled_from(sorted(wanted)))] if wanted else []
            extra = draw(st.lists(st.sampled_from(_ROLES), unique=True, max_size=1))
            roles += [r for r in extra if r not in roles]
            persons.append(Person(var, roles=tuple(roles)))
        # dates: fix the variables one at a time inside the feasible region
        fixed: dict[int, int] = {0: 0}
        for v in draw(st.permutations(list(range(1, n)))):
            pinned = [
                *cons,
                *((u, 0, x) for u, x in fixed.items()),
                *((0, u, -x) for u, x in fixed.items()),
            ]
            d = _shortest(n, pinned)
            assert d is not None  # feasible before, and every value chosen stays feasible
            lo, hi = int(-d[v][0]), int(d[0][v])
            fixed[v] = draw(st.sampled_from(sorted({lo, hi})) | st.integers(lo, hi))
        values = [fixed[v] for v in range(n)]
        # leave dates out where the pattern allows it (shrinks to leaving them out)
        for v in range(1, 1 + 2 * len(clauses)):
            if ("start" if v % 2 == 1 else "end") in clauses[(v - 1) // 2].known:
                continue  # the clause needs that date
            if not draw(st.booleans()):
                trial = list(values)
                trial[v] = -FAR if v % 2 == 1 else FAR
                if holds(constraints(rule, as_of), trial):
                    values = trial
        planted: list[Tie] = []
        for i, clause in enumerate(clauses):
            kind = draw(st.sampled_from(list(clause.kinds)))
            a, b = clause.ends
            if not clause.directed and draw(st.booleans()):
                a, b = b, a
            start_v, end_v = values[2 * i + 1], values[2 * i + 2]
            start = None if start_v <= -FAR else as_of + timedelta(days=start_v)
            end = None if end_v >= FAR else as_of + timedelta(days=end_v)
            attributes: dict[str, Any] = {}
            for name, test in clause.attributes.items():
                if test.equals is not None:
                    attributes[name] = test.equals
                elif test.in_ is not None:
                    attributes[name] = draw(st.sampled_from(test.in_))
                elif test.present:
                    if name in DATE_ATTRIBUTES:
                        attributes[name] = (start or as_of).isoformat()
                    elif name == "relation":
                        attributes[name] = draw(st.sampled_from(sorted(FAMILY_RELATIONS)))
                    else:
                        attributes[name] = "yes"
            if (
                kind == "coaching"
                and "agreement_signed" not in clause.attributes
                and draw(st.booleans())
            ):
                attributes["agreement_signed"] = (start or as_of).isoformat()
            for j, (ci, name) in enumerate(dated):
                if ci == i:
                    when = as_of + timedelta(days=values[1 + 2 * len(clauses) + j])
                    attributes[name] = when.isoformat()
            planted.append(Tie(tie_ids[i], kind, a, b, start, end, attributes))
        # noise
        taken = set(variables)
        extra_ids = []
        for j in range(draw(st.integers(0, max_extra_people))):
            pid = f"p{j + 1}"
            while pid in taken:
                pid += "x"
            taken.add(pid)
            extra_ids.append(pid)
        persons += [
            Person(
                pid,
                roles=draw(st.lists(st.sampled_from(_ROLES), unique=True, max_size=1).map(tuple)),
            )
            for pid in extra_ids
        ]
        everyone = [p.id for p in persons]
        noise_kinds = read_kinds or sorted(kinds_directed)
        raw = draw(
            st.lists(
                ties(
                    everyone,
                    kinds=noise_kinds,
                    as_of=as_of,
                    spread_days=spread_days,
                    extra_kinds=kinds_directed,
                ),
                max_size=max_noise_ties,
            )
        )
        used = set(tie_ids)
        noise: list[Tie] = []
        for t in raw:
            if t.kind in negated_kinds and (t.source in variables or t.target in variables):
                continue
            k = len(noise) + 1
            tid = f"t{len(planted) + k}"
            while tid in used:
                tid += "x"
            used.add(tid)
            noise.append(Tie(tid, t.kind, t.source, t.target, t.start, t.end, t.attributes))
        registry = Registry(
            people=tuple(persons), ties=tuple(planted + noise), as_of=as_of, kinds=kinds_directed
        )
        # a planted tie may itself be what a negated clause forbids: such draws are dropped
        assume(not vetoed(rule, registry, {v: v for v in variables}, as_of, planted))
        return registry

    return build()
