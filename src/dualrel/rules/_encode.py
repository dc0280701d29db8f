"""The compiler's ``encode`` stage: what facts must carry for a ruleset's rules to read them.

Tie kinds, roles and attribute values are encoded once per ruleset into a
:class:`~dualrel.rules.plan.FactSchema`; the emitted conditions then test those fields
by their index in it (``rs<i>``, ``a<i>``, ``ks<i>``, ``av<j>``, ``vs<j>``).
"""

from __future__ import annotations

from dualrel.rules._fields import SOURCE, TARGET, TIE_PLACE
from dualrel.rules._values import Pair, PersonTest, ValueTest, canonical, person_test, value_tests
from dualrel.rules.conditions import (
    PERSON_FIELD,
    Compare,
    Ref,
    Relate,
    date_attributes,
    field_kinds,
    parse_condition,
)
from dualrel.rules.loader import Rule, Ruleset
from dualrel.rules.plan import FactSchema
from dualrel.rules.schema import AnyOf

__all__ = ["canonical", "encode", "person_token", "relations", "role_set", "slot_of"]


def relations(rule: Rule) -> list[Relate]:
    """The comparisons of people's and ties' fields in ``rule``'s ``where`` (and its share's)."""
    kinds_of = field_kinds(rule.match)
    items = list(rule.match.where) + (
        list(rule.match.share.where) if rule.match.share is not None else []
    )
    texts = [t for item in items for t in (item.any if isinstance(item, AnyOf) else [item])]
    return [c for t in texts if isinstance(c := parse_condition(t, kinds_of), Relate)]


def slot_of(rule: Rule, ref: Ref) -> tuple[str, str]:
    """The slot of a compared field: ("person" or "tie", its path)."""
    top = ref.field.split(".", 1)[0]
    owner = field_kinds(rule.match)[ref.clause or ""][top]
    return ("person" if owner == PERSON_FIELD else "tie", ref.field)


def _places(slot: tuple[str, str]) -> tuple[str, ...]:
    return (SOURCE, TARGET) if slot[0] == "person" else (TIE_PLACE,)


def person_token(i: int) -> str:
    """The token among a person's roles saying they pass the schema's ``person_tests[i]``
    (no role is spelt so: role names are identifiers)."""
    return f"@p{i}"


def role_set(rule: Rule, var: str, schema: FactSchema) -> frozenset[str]:
    """The role set the flag of ``var``'s end tests: the variable's roles, or the token of
    its person test when it tests more than roles (empty: nothing to test)."""
    spec = rule.match.people[var]
    test = person_test(spec, rule.parameters)
    if test is None:
        return frozenset(spec.roles)
    return frozenset({person_token(schema.person_tests.index(test))})


def encode(ruleset: Ruleset) -> FactSchema:
    """What facts must carry for the rules of ``ruleset`` to read them: the tie kinds any
    clause reads (and those read in both directions), the role sets, the attributes with
    a token per value, the sets of kinds and values tested as one flag, and the practice
    sections and value sets of record clauses.  The fields record facts carry
    (:attr:`FactSchema.record_reads`) are known only once the conditions are emitted.

    >>> from dualrel.rules.loader import load_ruleset
    >>> "coaching" in encode(load_ruleset("coaching-core")).kinds
    True
    """
    kinds: set[str] = set()
    reverse: set[str] = set()
    role_sets: list[frozenset[str]] = []
    attributes: list[str] = []
    values: dict[str, dict[str, str]] = {}
    kind_sets: list[frozenset[str]] = []
    value_sets: list[tuple[int, frozenset[str]]] = []
    person_tests: list[PersonTest] = []
    numeric_tests: list[tuple[str, ValueTest]] = []
    for rule in ruleset.rules:
        for spec in rule.match.people.values():
            ptest = person_test(spec, rule.parameters)
            if ptest is not None:
                if ptest not in person_tests:
                    person_tests.append(ptest)
                rs = frozenset({person_token(person_tests.index(ptest))})
            else:
                rs = frozenset(spec.roles)
            if rs and rs not in role_sets:
                role_sets.append(rs)
        for clause in rule.match.ties:
            kinds.update(clause.kinds)
            if len(clause.kinds) > 1 and frozenset(clause.kinds) not in kind_sets:
                kind_sets.append(frozenset(clause.kinds))
            for k in clause.kinds:
                if not clause.directed or not ruleset.kinds.get(k, True):
                    reverse.add(k)
            for name, test in clause.attributes.items():
                if name not in attributes:
                    attributes.append(name)
                if test.bounds:
                    for vt in value_tests(test, rule.parameters):
                        if (name, vt) not in numeric_tests:
                            numeric_tests.append((name, vt))
                table = values.setdefault(name, {})
                for v in (test.in_ or []) + ([test.equals] if test.equals is not None else []):
                    table.setdefault(canonical(v), f"v{len(table) + 1}")
                tokens = frozenset(table[canonical(v)] for v in test.in_ or [])
                entry = (attributes.index(name), tokens)
                if len(tokens) > 1 and entry not in value_sets:
                    value_sets.append(entry)
    slots: list[tuple[str, str]] = []
    pairs: list[Pair] = []
    for rule in ruleset.rules:
        for rel in relations(rule):
            ends = (slot_of(rule, rel.left), slot_of(rule, rel.right))
            for slot in ends:
                if slot not in slots:
                    slots.append(slot)
            offset = rel.offset.resolve(rule.parameters) if rel.offset else 0.0
            # both fields may be read off one fact (the coach and client of one coaching
            # tie): the engine cannot compare a fact with itself, so a flag says it holds
            for lp in _places(ends[0]):
                for rp in _places(ends[1]):
                    pair = Pair(
                        (lp, slots.index(ends[0])), rel.op, (rp, slots.index(ends[1])), offset
                    )
                    if pair not in pairs:
                        pairs.append(pair)
    sections: set[str] = set()
    tie_numbers = False
    record_value_sets: list[tuple[str, str, frozenset[str]]] = []
    for rule in ruleset.rules:
        for rec in rule.match.records:
            sections.add(rec.section)
            tie_numbers = tie_numbers or rec.tie is not None
            for name, ftest in rec.fields.items():
                if ftest.in_ is not None and len(ftest.in_) > 1:
                    rentry = (rec.section, name, frozenset(str(v) for v in ftest.in_))
                    if rentry not in record_value_sets:
                        record_value_sets.append(rentry)
            for var in rec.people.values():
                spec = rule.match.people[var]
                ptest = person_test(spec, rule.parameters)
                rs = (
                    frozenset(spec.roles)
                    if ptest is None
                    else frozenset({person_token(person_tests.index(ptest))})
                )
                if rs and rs not in role_sets:
                    role_sets.append(rs)
    date_attributes, fixed_dates = _dates_read(ruleset)
    return FactSchema(
        date_attributes=date_attributes,
        fixed_dates=fixed_dates,
        sections=frozenset(sections),
        tie_numbers=tie_numbers,
        record_value_sets=tuple(record_value_sets),
        kinds=frozenset(kinds),
        reverse_kinds=frozenset(reverse),
        role_sets=tuple(role_sets),
        attributes=tuple(attributes),
        values=values,
        kind_sets=tuple(kind_sets),
        value_sets=tuple(value_sets),
        person_tests=tuple(person_tests),
        numeric_tests=tuple(numeric_tests),
        slots=tuple(slots),
        pairs=tuple(pairs),
    )


def _dates_read(ruleset: Ruleset) -> tuple[tuple[str, ...], bool]:
    """The tie attributes some condition reads as dates, and whether some condition
    compares with a fixed date."""
    names: list[str] = []
    fixed = False
    for rule in ruleset.rules:
        match = rule.match
        kinds_of = field_kinds(match)
        items = list(match.where) + (list(match.share.where) if match.share else [])
        for item in items:
            for text in item.any if isinstance(item, AnyOf) else [item]:
                cond = parse_condition(text, kinds_of)
                for ref in sorted(date_attributes(cond, kinds_of), key=str):
                    if ref.field not in names:
                        names.append(ref.field)
                if isinstance(cond, Compare):
                    fixed = fixed or any(r.fixed is not None for r in (cond.left, cond.right))
    return tuple(names), fixed
