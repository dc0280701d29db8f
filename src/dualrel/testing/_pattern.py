"""What a rule's pattern says about ties, read directly from the pattern (private).

Used to plant instances of a pattern (:func:`dualrel.testing.registries_matching`) and to
check that a finding's evidence is what the pattern says (the ``evidence`` property).  It
shares nothing with the compiler: dates are days relative to the evaluation date, a missing
start is "since always" and a missing end "ongoing".
"""

from __future__ import annotations

import json
import math
import operator
import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from dualrel._internal.datebounds import Constraint
from dualrel.graph.model import Person, Registry, Tie
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
    "fields_compared",
    "planted_fields_hold",
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


_FIELD_REF = r"[A-Za-z_]\w*\.(?:organisation|attributes\.[A-Za-z_]\w*)"
_FIELDS_RE = re.compile(
    rf"^\s*({_FIELD_REF})\s*(<=|>=|==|!=|<|>)\s*({_FIELD_REF})"
    r"(?:\s*([+-])\s*(\d+(?:\.\d+)?|[A-Za-z_]\w*))?\s*$"
)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def fields_compared(
    rule: Rule, persons: list[Person], planted: list[Tie], tie_ids: Sequence[str]
) -> tuple[list[Person], list[Tie]]:
    """The planted people and ties with values that make the ``where`` comparisons of
    people's fields and tie attributes hold (issue 15), set in the order written: a
    comparison's right side is made to fit its left, so later ones may undo earlier ones
    (the caller's ``assume`` drops such draws)."""
    people = {p.id: p for p in persons}
    ties = {t.id: t for t in planted}
    clause_tie = {
        c.as_: tie_ids[i] for i, c in enumerate(c for c in rule.match.ties if c.exists) if c.as_
    }

    def get(ref: str) -> tuple[bool, Any]:
        owner, path = ref.split(".", 1)
        item: Any = ties[clause_tie[owner]] if owner in clause_tie else people[owner]
        if path == "organisation":
            return item.organisation is not None, item.organisation
        key = path.split(".", 1)[1]
        return key in item.attributes, item.attributes.get(key)

    def put(ref: str, value: Any) -> None:
        owner, path = ref.split(".", 1)
        if owner in clause_tie:
            t = ties[clause_tie[owner]]
            attrs = {**t.attributes, path.split(".", 1)[1]: value}
            ties[t.id] = Tie(t.id, t.kind, t.source, t.target, t.start, t.end, attrs)
            return
        p = people[owner]
        if path == "organisation":
            people[owner] = Person(p.id, p.roles, p.name, str(value), p.attributes)
        else:
            attrs = {**p.attributes, path.split(".", 1)[1]: value}
            people[owner] = Person(p.id, p.roles, p.name, p.organisation, attrs)

    # of an ``any``, its first alternative is planted
    texts = [t if isinstance(t, str) else t.any[0] for t in rule.match.where]
    for text in texts:
        m = _FIELDS_RE.match(text)
        if m is None:
            continue
        left, op, right, sign, off = m.groups()
        k = 0.0 if off is None else float(rule.parameters[off]) if off[0].isalpha() else float(off)
        k = -k if sign == "-" else k
        present, value = get(left)
        if op == "==":
            put(right, value if present else "same")
            if not present:
                put(left, "same")
        elif op == "!=":
            if not present:
                put(left, "one")
                value = "one"
            put(right, f"{value}-other")
        else:
            number = _number(value) if present else None
            if number is None:
                number = 100.0
                put(left, "100")
            # left op right + k: right = left - k, moved one for the strict orders
            step = {"<": 1, "<=": 0, ">": -1, ">=": 0}[op]
            target = number - k + step
            put(right, str(int(target)) if target.is_integer() else str(target))
    return [people[p.id] for p in persons], [ties[t.id] for t in planted]


_ORDERS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
_TESTS = {"greater_than": ">", "at_least": ">=", "less_than": "<", "at_most": "<="}


def _test_holds(test: Any, present: bool, value: Any, parameters: Mapping[str, Any]) -> bool:
    if test.present or test.absent:
        return present == bool(test.present)
    if test.equals is not None or test.in_ is not None:
        wanted = [test.equals] if test.equals is not None else list(test.in_)
        return present and _canon(value) in {_canon(w) for w in wanted}
    number = _number(value) if present else None
    return number is not None and all(
        _ORDERS[op](number, float(parameters[b]) if isinstance(b, str) else float(b))
        for name, op in _TESTS.items()
        if (b := getattr(test, name)) is not None
    )


def planted_fields_hold(
    rule: Rule, persons: Sequence[Person], planted: Sequence[Tie], tie_ids: Sequence[str]
) -> bool:
    """Whether the planted people pass their variables' tests, the planted ties their
    numeric tests, and the comparisons of fields in ``where`` hold."""
    by_id = {p.id: p for p in persons}
    for var, spec in rule.match.people.items():
        p = by_id[var]
        if spec.organisation is not None and not _test_holds(
            spec.organisation, p.organisation is not None, p.organisation, rule.parameters
        ):
            return False
        for key, test in spec.attributes.items():
            if not _test_holds(test, key in p.attributes, p.attributes.get(key), rule.parameters):
                return False
    clauses = positive(rule)
    # the tie clauses' ties come first; the chains of paths, if any, follow them
    for clause, tie in zip(clauses, planted[: len(clauses)], strict=True):
        for name, test in clause.attributes.items():
            present = name in tie.attributes
            if test.bounds and not _test_holds(
                test, present, tie.attributes.get(name), rule.parameters
            ):
                return False
    ties = {t.id: t for t in planted}
    clause_tie = {c.as_: tie_ids[i] for i, c in enumerate(positive(rule)) if c.as_}

    def get(ref: str) -> tuple[bool, Any]:
        owner, path = ref.split(".", 1)
        item: Any = ties[clause_tie[owner]] if owner in clause_tie else by_id[owner]
        if path == "organisation":
            return item.organisation is not None, item.organisation
        key = path.split(".", 1)[1]
        return key in item.attributes, item.attributes.get(key)

    def compared(text: str) -> bool | None:
        """Whether a comparison of fields holds; None for the other conditions."""
        m = _FIELDS_RE.match(text)
        if m is None:
            return None
        left, op, right, sign, off = m.groups()
        k = 0.0 if off is None else float(rule.parameters[off]) if off[0].isalpha() else float(off)
        k = -k if sign == "-" else k
        (lp, lv), (rp, rv) = get(left), get(right)
        if not (lp and rp):
            return False
        if op in ("==", "!="):
            return (_canon(lv) == _canon(rv)) == (op == "==")
        a, b = _number(lv), _number(rv)
        return a is not None and b is not None and _ORDERS[op](a, b + k)

    for item in rule.match.where:
        texts = [item] if isinstance(item, str) else item.any
        # an alternative of another form may hold: only all-comparisons ``any`` can fail
        if all(compared(t) is False for t in texts):
            return False
    return True
