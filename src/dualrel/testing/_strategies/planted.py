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

from dualrel._internal.datebounds import tightest
from dualrel.errors import InvalidArgument
from dualrel.graph.model import DATE_ATTRIBUTES, FAMILY_RELATIONS, Person, Registry, Tie
from dualrel.rules.loader import Rule, Ruleset, load_ruleset
from dualrel.testing._pattern import (
    FAR,
    Constraint,
    constraints,
    date_attributes,
    fields_compared,
    holds,
    planted_fields_hold,
    positive,
    vetoed,
)
from dualrel.testing._strategies.people_ties import _ROLES, _check_bounds, ties

__all__ = ["plantable", "registries_avoiding", "registries_matching"]


_BOUNDS = {"greater_than": 1, "at_least": 0, "less_than": -1, "at_most": 0}


def _value_for(draw: Any, test: Any, parameters: Any) -> tuple[bool, Any]:
    """``(present, value)`` passing one attribute test (numbers as CSV gives them: text)."""
    if test.absent:
        return False, None
    if test.equals is not None:
        return True, test.equals
    if test.in_ is not None:
        return True, draw(st.sampled_from(test.in_))
    bounds = [
        (name, float(parameters[b]) if isinstance(b, str) else float(b))
        for name in _BOUNDS
        if (b := getattr(test, name)) is not None
    ]
    if not bounds:
        return True, "yes"
    lo = max((b for n, b in bounds if n in ("greater_than", "at_least")), default=None)
    hi = min((b for n, b in bounds if n in ("less_than", "at_most")), default=None)
    if lo is None:
        assert hi is not None
        lo = hi - 10
    if hi is None:
        hi = lo + 10
    # the middle passes strict bounds too when the range is open; a closed one-point range
    # (at_least: x, at_most: x) holds x only
    middle = (lo + hi) / 2
    return True, str(int(middle) if middle.is_integer() else middle)


def _fields_for(draw: Any, spec: Any, parameters: Any) -> tuple[str | None, dict[str, Any]]:
    """An organisation and attributes passing a person variable's tests."""
    organisation = None
    if spec.organisation is not None:
        present, value = _value_for(draw, spec.organisation, parameters)
        organisation = str(value) if present else None
    attributes: dict[str, Any] = {}
    for key, test in spec.attributes.items():
        present, value = _value_for(draw, test, parameters)
        if present:
            attributes[key] = value
    return organisation, attributes


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
    clause reads.  A path is planted as a chain of ``min_hops`` undated ties of its kinds
    through people of its own (ids from the path's ``as`` name), and noise never uses the
    kinds of a path that needs two or more hops (a shortcut would make it too short).
    Then up to ``max_extra_people`` people and ``max_noise_ties`` random ties.

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

    return registries_avoiding(
        rs,
        rule,
        (),
        max_extra_people=max_extra_people,
        max_noise_ties=max_noise_ties,
        as_of=as_of,
        spread_days=spread_days,
    )


def registries_avoiding(
    rs: Ruleset,
    rule: Rule,
    extra: Sequence[Constraint],
    *,
    max_extra_people: int = 4,
    max_noise_ties: int = 8,
    as_of: date = date(2026, 1, 1),
    spread_days: int = 1_500,
) -> st.SearchStrategy[Registry]:
    """:func:`registries_matching` for a rule already checked plantable, its planted dates
    also meeting the difference constraints ``extra`` (over the pattern's date variables,
    as :func:`~dualrel.testing._pattern.constraints` numbers them): ``dualrel diff`` plants
    a new rule's pattern outside an old rule's window this way."""
    clauses = positive(rule)
    dated = date_attributes(rule)  # attributes read as dates: variables after the ties'
    n = 1 + 2 * len(clauses) + len(dated)
    own = constraints(rule, as_of) + list(extra)
    spread = spread_days + sum(abs(c) for _, _, c in own)
    cons = own + [(v, 0, spread) for v in range(1, n)] + [(0, v, spread) for v in range(1, n)]
    if tightest(n, cons) is None:
        raise InvalidArgument(
            f"rule_id={rule.id!r}: the rule's date conditions contradict each other, so it "
            "can never fire"
        )
    kinds_directed = dict(rs.kinds)
    negated_kinds = {k for c in rule.match.ties if not c.exists for k in c.kinds}
    shortcut_kinds = {k for p in rule.match.paths if p.min_hops > 1 for k in p.kinds}
    read_kinds = sorted(
        {k for r in rs.rules for c in [*r.match.ties, *r.match.paths] for k in c.kinds}
    )
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
            organisation, person_attributes = _fields_for(
                draw, rule.match.people[var], rule.parameters
            )
            persons.append(
                Person(
                    var, roles=tuple(roles), organisation=organisation, attributes=person_attributes
                )
            )
        # dates: fix the variables one at a time inside the feasible region
        fixed: dict[int, int] = {0: 0}
        for v in draw(st.permutations(list(range(1, n)))):
            pinned = [
                *cons,
                *((u, 0, x) for u, x in fixed.items()),
                *((0, u, -x) for u, x in fixed.items()),
            ]
            d = tightest(n, pinned)
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
                if holds(own, trial):
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
                if test.bounds:
                    attributes[name] = _value_for(draw, test, rule.parameters)[1]
                elif test.equals is not None:
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
        # paths: a chain of exactly min_hops undated ties through people of their own
        taken = set(variables)
        used = set(tie_ids)
        chain_people: list[Person] = []
        for j, path in enumerate(rule.match.paths):
            name = path.as_ or f"path{j + 1}"
            stops = [path.ends[0]]
            for h in range(1, path.min_hops):
                pid = f"{name}_{h}"
                while pid in taken:
                    pid += "x"
                taken.add(pid)
                chain_people.append(Person(pid))
                stops.append(pid)
            stops.append(path.ends[1])
            for h in range(len(stops) - 1):
                u, v = stops[h], stops[h + 1]
                tid = f"{name}{h + 1}"
                while tid in used:
                    tid += "x"
                used.add(tid)
                if not path.directed and draw(st.booleans()):
                    u, v = v, u
                planted.append(Tie(tid, draw(st.sampled_from(sorted(path.kinds))), u, v))
        persons += chain_people
        # noise
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
        noise: list[Tie] = []
        for t in raw:
            if t.kind in negated_kinds and (t.source in variables or t.target in variables):
                continue
            if t.kind in shortcut_kinds:  # it could make a planted chain too short
                continue
            k = len(noise) + 1
            tid = f"t{len(planted) + k}"
            while tid in used:
                tid += "x"
            used.add(tid)
            noise.append(Tie(tid, t.kind, t.source, t.target, t.start, t.end, t.attributes))
        persons, planted = fields_compared(rule, persons, planted, tie_ids)
        # a comparison may undo a test or an earlier comparison: such draws are dropped
        assume(planted_fields_hold(rule, persons, planted, tie_ids))
        registry = Registry(
            people=tuple(persons), ties=tuple(planted + noise), as_of=as_of, kinds=kinds_directed
        )
        # a planted tie may itself be what a negated clause forbids: such draws are dropped
        assume(not vetoed(rule, registry, {v: v for v in variables}, as_of, planted))
        return registry

    return build()
