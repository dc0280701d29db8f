"""What a rule's pattern says about ties, read directly from the pattern (private).

Used to plant instances of a pattern (:func:`dualrel.testing.registries_matching`) and to
check that a finding's evidence is what the pattern says (the ``evidence`` property).  It
shares nothing with the compiler: dates are days relative to the evaluation date, a missing
start is "since always" and a missing end "ongoing".
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from dualrel._internal.datebounds import Constraint, bounds
from dualrel.graph.model import Registry, Tie
from dualrel.rules.loader import Rule
from dualrel.rules.schema import TieClause

__all__ = [
    "FAR",
    "Constraint",
    "clause_holds",
    "constraints",
    "ends_fit",
    "vetoed",
    "where_holds",
]

#: Stand-in for a missing date, in days from the evaluation date (as the engine does).
FAR = 1_000_000_000


def _canon(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def positive(rule: Rule) -> list[TieClause]:
    return [c for c in rule.match.ties if c.exists]


def _days(d: date | None, as_of: date, missing: int) -> int:
    return missing if d is None else d.toordinal() - as_of.toordinal()


def clause_holds(clause: TieClause, tie: Tie, as_of: date) -> bool:
    """Kind, activity, ending and attribute tests of one clause on one tie."""
    if tie.kind not in clause.kinds:
        return False
    if clause.active and not tie.is_active(as_of):
        return False
    if clause.ended is not None and clause.ended != tie.has_ended(as_of):
        return False
    for name, test in clause.attributes.items():
        present = name in tie.attributes
        if test.present and not present:
            return False
        if test.absent and present:
            return False
        value = _canon(tie.attributes.get(name))
        if test.equals is not None and (not present or value != _canon(test.equals)):
            return False
        if test.in_ is not None and (not present or value not in {_canon(v) for v in test.in_}):
            return False
    return True


def ends_fit(clause: TieClause, tie: Tie, a: str, b: str, kinds: Mapping[str, bool]) -> bool:
    """Whether ``tie`` joins ``a`` (the clause's first end) and ``b`` as the clause says."""
    if clause.directed and kinds.get(tie.kind, True):
        return (tie.source, tie.target) == (a, b)
    return {tie.source, tie.target} == {a, b} and a != b


def constraints(rule: Rule) -> list[Constraint]:
    """Every date condition of the pattern's positive clauses as difference constraints."""
    return [b.constraint for b in bounds(rule.match, rule.parameters)]


def holds(cons: Sequence[Constraint], values: Sequence[int]) -> bool:
    return all(values[a] - values[b] <= c for a, b, c in cons)


def where_holds(rule: Rule, evidence: Sequence[Tie], as_of: date) -> bool:
    """The date conditions (``where``, ``active``, ``ended``) on the evidence ties."""
    values = [0]
    for t in evidence:
        values += [_days(t.start, as_of, -FAR), _days(t.end, as_of, FAR)]
    return holds(constraints(rule), values)


def vetoed(rule: Rule, registry: Registry, subjects: Mapping[str, str], as_of: date) -> bool:
    """Whether a negated clause of the rule holds for these subjects."""
    kinds = registry.kinds
    roles = {p.id: set(p.roles) for p in registry.people}
    for clause in rule.match.ties:
        if clause.exists:
            continue
        a, b = clause.ends
        for tie in registry.ties:
            if not clause_holds(clause, tie, as_of):
                continue
            pairs = [(tie.source, tie.target)]
            if not (clause.directed and kinds.get(tie.kind, True)):
                pairs.append((tie.target, tie.source))
            for x, y in pairs:
                ok = True
                for var, person in ((a, x), (b, y)):
                    if var in subjects:
                        ok = ok and subjects[var] == person
                    else:
                        want = rule.match.people[var].roles
                        ok = (
                            ok
                            and person not in subjects.values()
                            and (not want or bool(roles.get(person, set()) & set(want)))
                        )
                if ok and x != y:
                    return True
    return False
