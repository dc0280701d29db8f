"""What a rule's pattern says about ties, read directly from the pattern (private).

Used to plant instances of a pattern (:func:`dualrel.testing.registries_matching`) and to
check that a finding's evidence is what the pattern says (the ``evidence`` property).  It
shares nothing with the compiler: dates are days relative to the evaluation date, a missing
start is "since always" and a missing end "ongoing".
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from dualrel.graph.model import Registry, Tie
from dualrel.rules.loader import Rule
from dualrel.rules.schema import WHERE_RE, TieClause

__all__ = [
    "FAR",
    "Constraint",
    "attribute_days",
    "clause_holds",
    "constraints",
    "date_attributes",
    "ends_fit",
    "vetoed",
    "where_holds",
]

#: Stand-in for a missing date, in days from the evaluation date (as the engine does).
FAR = 1_000_000_000

#: ``x[a] - x[b] <= c`` over date variables: 0 is the evaluation date, ``2i+1`` the start
#: and ``2i+2`` the end of the i-th positive clause.
Constraint = tuple[int, int, int]


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
    if ("start" in clause.known and tie.start is None) or (
        "end" in clause.known and tie.end is None
    ):
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


def _offset(rule: Rule, m: Any) -> int:
    raw = m.group("offset")
    if raw is None:
        return 0
    value = int(raw) if raw.isdigit() else int(rule.parameters[raw])
    return -value if m.group("sign") == "-" else value


def date_attributes(rule: Rule) -> list[tuple[int, str]]:
    """(positive clause index, attribute) of each tie attribute a ``where`` condition of
    the pattern reads as a date; each is the date variable ``1 + 2 * len(clauses) + j``."""
    pos = positive(rule)
    index = {c.as_: i for i, c in enumerate(pos) if c.as_}
    out: list[tuple[int, str]] = []
    for text in rule.match.where:
        m = WHERE_RE.match(text) if isinstance(text, str) else None
        if m is None:
            continue
        for ref in (m.group("left"), m.group("right")):
            name, _, field = ref.partition(".")
            pair = (index.get(name, -1), field)
            if name in index and field not in ("", "start", "end") and pair not in out:
                out.append(pair)
    return out


def constraints(rule: Rule, as_of: date) -> list[Constraint]:
    """Every date condition of the pattern's positive clauses as difference constraints."""
    pos = positive(rule)
    index = {c.as_: i for i, c in enumerate(pos) if c.as_}
    attrs = {a: 1 + 2 * len(pos) + j for j, a in enumerate(date_attributes(rule))}
    out: list[Constraint] = []
    for i, c in enumerate(pos):
        s, e = 2 * i + 1, 2 * i + 2
        out.append((s, e, 0))  # start <= end
        if c.active:
            out += [(s, 0, 0), (0, e, 0)]
        if c.ended is True:
            out.append((e, 0, -1))
        elif c.ended is False:
            out.append((0, e, 0))

    def var(ref: str) -> tuple[int, int] | None:
        """The date variable and the days to add (a fixed date is as_of plus some)."""
        if ref == "as_of":
            return 0, 0
        if "." not in ref:
            return 0, date.fromisoformat(ref).toordinal() - as_of.toordinal()
        name, which = ref.split(".")
        if name not in index:
            return None  # a record or a negated clause: not planted
        if which in ("start", "end"):
            return 2 * index[name] + (1 if which == "start" else 2), 0
        return attrs[(index[name], which)], 0

    for text in rule.match.where:
        m = WHERE_RE.match(text) if isinstance(text, str) else None
        if m is None:
            continue
        lv, rv = var(m.group("left")), var(m.group("right"))
        if lv is None or rv is None:
            continue
        (left, lk), (right, rk) = lv, rv
        k, op = _offset(rule, m) + rk - lk, m.group("op")
        # left op right + k
        if op in ("<=", "=="):
            out.append((left, right, k))
        if op == "<":
            out.append((left, right, k - 1))
        if op in (">=", "=="):
            out.append((right, left, -k))
        if op == ">":
            out.append((right, left, -k - 1))
    return out


def holds(cons: Sequence[Constraint], values: Sequence[float]) -> bool:
    # an attribute holding no date is NaN: every comparison with it is false
    return all(values[a] - values[b] <= c for a, b, c in cons)


def attribute_days(value: Any, as_of: date) -> float:
    """An attribute read as a date, in days from ``as_of``: NaN unless it holds one."""
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            return math.nan
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.toordinal() - as_of.toordinal()
    return math.nan


def where_holds(rule: Rule, evidence: Sequence[Tie], as_of: date) -> bool:
    """The date conditions (``where``, ``active``, ``ended``) on the evidence."""
    values: list[float] = [0]
    for t in evidence:
        values += [_days(t.start, as_of, -FAR), _days(t.end, as_of, FAR)]
    for i, name in date_attributes(rule):
        values.append(attribute_days(evidence[i].attributes.get(name), as_of))
    return holds(constraints(rule, as_of), values)


def _negated_holds(
    rule: Rule, clause: TieClause, tie: Tie, evidence: Sequence[Tie] | None, as_of: date
) -> bool:
    """The ``where`` conditions reading the negated ``clause`` hold with ``tie`` in it
    (without the evidence, when it is not given, they are taken to hold)."""
    if clause.as_ is None or evidence is None:
        return True
    named: dict[str, Tie] = {
        c.as_: t for c, t in zip(positive(rule), evidence, strict=True) if c.as_
    }
    named[clause.as_] = tie

    def day(ref: str) -> float | None:
        if ref == "as_of":
            return 0
        if "." not in ref:
            return date.fromisoformat(ref).toordinal() - as_of.toordinal()
        name, field = ref.split(".")
        t = named.get(name)
        if t is None:
            return None
        if field == "start":
            return _days(t.start, as_of, -FAR)
        if field == "end":
            return _days(t.end, as_of, FAR)
        return attribute_days(t.attributes.get(field), as_of)

    for text in rule.match.where:
        m = WHERE_RE.match(text) if isinstance(text, str) else None
        if m is None or clause.as_ not in (
            m.group("left").split(".")[0],
            m.group("right").split(".")[0],
        ):
            continue
        left, right = day(m.group("left")), day(m.group("right"))
        if left is None or right is None:
            continue
        right += _offset(rule, m)
        ok = {
            "<": left < right,
            "<=": left <= right,
            "==": left == right,
            ">=": left >= right,
            ">": left > right,
        }[m.group("op")]
        if not ok:
            return False
    return True


def vetoed(
    rule: Rule,
    registry: Registry,
    subjects: Mapping[str, str],
    as_of: date,
    evidence: Sequence[Tie] | None = None,
) -> bool:
    """Whether a negated clause of the rule holds for these subjects (its ``where``
    conditions too when the evidence ties are given; without them, it may hold)."""
    kinds = registry.kinds
    roles = {p.id: set(p.roles) for p in registry.people}
    for clause in rule.match.ties:
        if clause.exists:
            continue
        a, b = clause.ends
        for tie in registry.ties:
            if not clause_holds(clause, tie, as_of):
                continue
            if not _negated_holds(rule, clause, tie, evidence, as_of):
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
