"""``where`` as durable-rules tests: each condition of a rule's ``where`` (and of a
``share``'s numerator) becomes alternatives of tests placed on the clause where all the
facts it reads are joined (part of the compiler's ``emit`` stage, :mod:`dualrel.rules._emit`).

Dates compare as whole days from the evaluation date, a missing one as its sentinel; field
comparisons of people and tie attributes read the slots the facts carry
(``docs/compiler.md``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from dualrel.rules._encode import slot_of
from dualrel.rules._fields import (
    END,
    HOURS_FROM,
    HOURS_TO,
    HOURS_WRAP,
    SOURCE,
    START,
    TARGET,
    TIE_PLACE,
    count_field,
    date_attribute_field,
    date_known_field,
    given_field,
    minute_field,
    pair_field,
    record_field,
    slot_field,
    value_field,
    weekday_field,
    word_field,
)
from dualrel.rules._order import ClauseOrder
from dualrel.rules._values import Pair
from dualrel.rules.conditions import (
    ATTRIBUTE,
    Compare,
    Condition,
    Member,
    Outside,
    Ref,
    Relate,
    date_attributes,
    parse_condition,
)
from dualrel.rules.loader import Rule
from dualrel.rules.plan import (
    FIXED_DAY,
    FactSchema,
)
from dualrel.rules.schema import AnyOf
from dualrel.rules.sections import SECTIONS

__all__ = ["Atom", "expand", "field_places"]

_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "=="}
_OPS = {"<": "$lt", "<=": "$lte", ">": "$gt", ">=": "$gte"}

#: A test placed on one clause: (the clause names it reads, builder of the durable test
#: given the aliases of those clauses).
Atom = tuple[tuple[str, ...], Any]


def _fact_field(
    ref: Ref, kinds_of: Mapping[str, Mapping[str, str]], match_ties: set[str], schema: FactSchema
) -> str:
    if ref.clause in match_ties:
        if kinds_of[ref.clause][ref.field] == ATTRIBUTE:
            return date_attribute_field(schema.date_attributes.index(ref.field))
        return START if ref.field == "start" else END
    kind = kinds_of[ref.clause or ""][ref.field]
    return record_field(kind, ref.field)


def field_places(rule: Rule, order: ClauseOrder) -> dict[str, tuple[str, str]]:
    """Where ``where`` reads each person's and named tie clause's fields: (alias, place),
    a person at an end of the first tie clause that binds them (``_fields.slot_field``)."""
    places: dict[str, tuple[str, str]] = {}
    for what, idx in order.sequence:
        if what != "t":
            continue
        tie = rule.match.ties[idx]
        alias = order.tie_alias[idx]
        if tie.as_:
            places[tie.as_] = (alias, TIE_PLACE)
        if tie.exists:
            for place, var in zip((SOURCE, TARGET), tie.ends, strict=True):
                places.setdefault(var, (alias, place))
    return places


def expand(
    items: Iterable[str | AnyOf],
    kinds_of: Mapping[str, Mapping[str, str]],
    rule: Rule,
    *,
    alias_of: Mapping[str, str],
    places: Mapping[str, tuple[str, str]],
    schema: FactSchema,
) -> list[list[Atom]]:
    """``where`` as alternatives (a disjunction of conjunctions of placed tests)."""
    tie_names = {c.as_ for c in rule.match.ties if c.as_}
    negated = {alias_of[c.as_] for c in rule.match.ties if c.as_ and not c.exists} | {
        alias_of[r.as_] for r in rule.match.records if r.as_ and not r.exists
    }
    out: list[list[Atom]] = [[]]
    for item in items:
        texts = item.any if isinstance(item, AnyOf) else [item]
        options = [
            alt
            for text in texts
            for alt in _condition_atoms(
                parse_condition(text, kinds_of),
                kinds_of=kinds_of,
                tie_names=tie_names,
                alias_of=alias_of,
                negated=negated,
                rule=rule,
                places=places,
                schema=schema,
            )
        ]
        out = [done + alt for done in out for alt in options]
    return out


def _condition_atoms(
    cond: Condition,
    *,
    kinds_of: Mapping[str, Mapping[str, str]],
    tie_names: set[str],
    alias_of: Mapping[str, str],
    negated: set[str],
    rule: Rule,
    places: Mapping[str, tuple[str, str]],
    schema: FactSchema,
) -> list[list[Atom]]:
    """One condition as alternatives of placed tests."""

    def const(clause: str, test: dict[str, Any]) -> Atom:
        return ((alias_of[clause],), lambda _here: test)

    if isinstance(cond, Relate):
        return [_relate_atoms(cond, rule, places, schema)]

    if isinstance(cond, Compare):
        left, right, op = cond.left, cond.right, cond.op
        offset = cond.offset.resolve(rule.parameters) if cond.offset else 0.0
        atoms: list[Atom] = []
        kind = "time" if left.clause is None else kinds_of[left.clause][left.field]
        for ref in (left, right):
            # numbers and values may be missing: a missing one makes the comparison false
            if ref.clause is not None and kind in ("number", "value"):
                a = alias_of[ref.clause]
                other = right if ref is left else left
                other_negated = other.clause is not None and alias_of[other.clause] in negated
                if a in negated or not other_negated:
                    atoms.append(const(ref.clause, {given_field(ref.field): 1}))
        for ref in date_attributes(cond, kinds_of):
            # an attribute holding no date makes the comparison false (the checks keep
            # it on the negated clause when the other side is one)
            i = schema.date_attributes.index(ref.field)
            atoms.append(const(ref.clause or "", {date_known_field(i): 1}))
        lf = None if left.clause is None else _fact_field(left, kinds_of, tie_names, schema)
        rf = None if right.clause is None else _fact_field(right, kinds_of, tie_names, schema)
        lfix, rfix = (None if r.fixed is None else r.fixed.toordinal() for r in (left, right))
        la = None if left.clause is None else alias_of[left.clause]
        ra = None if right.clause is None else alias_of[right.clause]
        names = tuple(a for a in (la, ra) if a is not None)

        def build(
            here: str,
            *,
            lf: str | None = lf,
            rf: str | None = rf,
            la: str | None = la,
            ra: str | None = ra,
            op: str = op,
            offset: float = offset,
            lfix: int | None = lfix,
            rfix: int | None = rfix,
        ) -> dict[str, Any]:
            if la != here:
                # left op right + k  <=>  right flip(op) left - k
                lf, rf, la, ra, op, offset = rf, lf, ra, la, _FLIP.get(op, op), -offset
                lfix, rfix = rfix, lfix
            assert lf is not None
            other: Any
            if rfix is not None:  # days from as_of once the evaluation date is known
                other = {FIXED_DAY: _number(rfix + offset)}
            elif ra is None:
                other = _number(offset)  # as_of is day 0
            else:
                ref = {ra: rf}
                other = {"$add": {"$l": ref, "$r": _number(offset)}} if offset else ref
            if op == "==":
                return {lf: other}
            if op == "!=":
                return {"$neq": {lf: other}}
            return {_OPS[op]: {lf: other}}

        return [[*atoms, (names, build)]]
    if isinstance(cond, Member):
        value, listed = cond.value, cond.listed
        assert value.clause is not None and listed.clause is not None
        words = SECTIONS[_section(rule, listed.clause)].vocabulary[listed.field]
        flag = "$nex" if cond.negated else None
        return [
            [
                const(value.clause, {value_field(value.field): w}),
                const(
                    listed.clause,
                    {flag: {word_field(listed.field, w): 1}}
                    if flag
                    else {word_field(listed.field, w): 1},
                ),
            ]
            for w in words
        ]
    assert isinstance(cond, Outside)
    at, window = cond.at, cond.window
    assert at.clause is not None and window.clause is not None
    a_at, a_win = alias_of[at.clause], alias_of[window.clause]
    wd, mn = weekday_field(at.field), minute_field(at.field)

    def join(op: str, field: str) -> Atom:
        def build(here: str) -> dict[str, Any]:
            if here == a_at:
                return {_OPS[op]: {mn: {a_win: field}}}
            return {_OPS[_FLIP[op]]: {field: {a_at: mn}}}

        return ((a_at, a_win), build)

    from dualrel.graph.practice import WEEKDAYS  # noqa: PLC0415 (one vocabulary)

    given = const(at.clause, {given_field(at.field): 1})  # a missing instant is outside nothing
    days: list[list[Atom]] = [
        [
            given,
            const(at.clause, {wd: d}),
            const(window.clause, {"$gt": {count_field("days"): 0}}),
            const(window.clause, {"$nex": {word_field("days", word): 1}}),
        ]
        for d, word in enumerate(WEEKDAYS)
    ]
    hours: list[list[Atom]] = [
        [given, const(window.clause, {HOURS_WRAP: 0}), join("<", HOURS_FROM)],
        [given, const(window.clause, {HOURS_WRAP: 0}), join(">=", HOURS_TO)],
        [given, const(window.clause, {HOURS_WRAP: 1}), join(">=", HOURS_TO), join("<", HOURS_FROM)],
    ]
    return days + hours


def _relate_atoms(
    cond: Relate, rule: Rule, places: Mapping[str, tuple[str, str]], schema: FactSchema
) -> list[Atom]:
    """A comparison of two fields: a flag when one fact holds both, else the fields' given
    tests on their facts and a join."""
    offset = cond.offset.resolve(rule.parameters) if cond.offset else 0.0
    (la, lp), (ra, rp) = places[cond.left.clause or ""], places[cond.right.clause or ""]
    lk = schema.slots.index(slot_of(rule, cond.left))
    rk = schema.slots.index(slot_of(rule, cond.right))
    if la == ra:
        j = schema.pairs.index(Pair((lp, lk), cond.op, (rp, rk), offset))
        flag = {pair_field(j): 1}
        return [((la,), lambda _here: flag)]
    # a value (g 1) for == and !=, a number (g 2) for the orders
    lg, rg = slot_field("g", lp, lk), slot_field("g", rp, rk)
    given = [
        ((la,), lambda _here: {lg: 2} if cond.numeric else {"$gte": {lg: 1}}),
        ((ra,), lambda _here: {rg: 2} if cond.numeric else {"$gte": {rg: 1}}),
    ]
    what = "n" if cond.numeric else "x"
    lf, rf = slot_field(what, lp, lk), slot_field(what, rp, rk)

    def build(here: str) -> dict[str, Any]:
        field, alias, other, op, k = lf, ra, rf, cond.op, offset
        if here != la:  # left op right + k  <=>  right flip(op) left - k
            field, alias, other, op, k = rf, la, lf, _FLIP.get(op, op), -offset
        ref: Any = {alias: other}
        if k:
            ref = {"$add": {"$l": ref, "$r": _number(k)}}
        if op == "==":
            return {field: ref}
        if op == "!=":
            return {"$neq": {field: ref}}
        return {_OPS[op]: {field: ref}}

    return [*given, ((la, ra), build)]


def _section(rule: Rule, name: str) -> str:
    return next(c.section for c in rule.match.records if c.as_ == name)


def _number(x: float) -> int | float:
    return int(x) if float(x).is_integer() else x
