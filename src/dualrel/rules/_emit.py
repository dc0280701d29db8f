"""The compiler's ``emit`` and ``share`` stages: a rule's durable-rules conditions.

``emit`` turns one rule into its variants, one durable-rules rule per alternative of its
``where`` (``any``, ``in``, ``outside``; never the engine's broken ``|``), plus, for a
``share`` rule, one per alternative of its numerator.  Each clause becomes one condition:
its own tests (kind, direction, dates, attributes, section and fields, as fact fields
encoded by :mod:`dualrel.rules._encode`), then its joins to earlier clauses, then the
``where`` tests whose clauses are all joined by then.  It also records the tests each
record clause makes of a record alone, which the engine uses to leave records out.

``share`` decides whether a ``share`` rule's denominator can be counted while records are
indexed instead of matched (:class:`~dualrel.rules.plan.CountedShare`).

The fact fields and why the conditions take this shape: ``docs/compiler.md``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dualrel.rules._durable import RELEASE_FIELD
from dualrel.rules._encode import canonical, role_set
from dualrel.rules._fields import (
    END,
    FORWARD,
    HOURS_WRAP,
    KIND,
    LATE_PREFIXES,
    SOURCE,
    START,
    TARGET,
    TIE_NUMBER,
    attribute_field,
    attribute_set_field,
    count_field,
    given_field,
    kind_set_field,
    numeric_test_field,
    person_field,
    person_of_field,
    person_role_field,
    record_kind,
    role_field,
    value_field,
    value_set_field,
    word_field,
)
from dualrel.rules._order import ClauseOrder
from dualrel.rules._tester import ORDERS, exact_tester
from dualrel.rules._values import value_tests
from dualrel.rules._where import Atom, expand, field_places
from dualrel.rules.conditions import (
    field_kinds,
)
from dualrel.rules.loader import Rule
from dualrel.rules.plan import (
    NO_END,
    NO_START,
    Bound,
    CompiledRule,
    CountedShare,
    FactSchema,
    RecordRead,
    Variant,
)
from dualrel.rules.schema import FieldTest, RecordClause, TieClause
from dualrel.rules.sections import SECTIONS

__all__ = ["RELEASE_ALIAS", "Emitted", "count_share", "emit", "record_reads", "vetoable"]

#: The alias of the release fact a vetoable rule's variants wait for.
RELEASE_ALIAS = "g"

_Bindings = dict[str, tuple[str, str]]  # variable -> (alias, fact field)


@dataclass(frozen=True, slots=True)
class Emitted:
    """What the ``emit`` and ``share`` stages make of one rule."""

    variants: tuple[Variant, ...]
    bindings: Mapping[str, tuple[str, str]]  # variable -> (alias, fact field)
    #: per record clause of each variant: (section, the tests that read that record alone)
    filters: tuple[tuple[str, tuple[Mapping[str, Any], ...]], ...]
    alternatives: int  # how many alternatives the rule's ``where`` has
    #: the share's denominator, when it is counted (its variants are then left out)
    counted: CountedShare | None = None


def vetoable(rule: Rule) -> bool:
    """Whether a rule has a negated clause: a new tie or record can remove a match."""
    return any(not c.exists for c in rule.match.ties) or any(
        not c.exists for c in rule.match.records
    )


def emit(
    rule: Rule, name: str, order: ClauseOrder, kinds: Mapping[str, bool], schema: FactSchema
) -> Emitted:
    """The ``emit`` stage for one rule: its variants (named ``<name>_<k>``, and
    ``<name>_<k>_<m>n`` for a share's numerator) and what their record clauses test.
    ``kinds`` tells which tie kinds are directed."""
    match = rule.match
    recs = match.records
    kinds_of = field_kinds(match)
    places = field_places(rule, order)
    alternatives = expand(
        match.where, kinds_of, rule, alias_of=order.alias_of, places=places, schema=schema
    )
    numerators = (
        expand(
            match.share.where, kinds_of, rule, alias_of=order.alias_of, places=places, schema=schema
        )
        if match.share is not None
        else []
    )
    role_index = {rs: i for i, rs in enumerate(schema.role_sets)}
    gate = [{RELEASE_ALIAS: {RELEASE_FIELD: 1}}] if vetoable(rule) else []
    variants: list[Variant] = []
    bindings: _Bindings = {}
    for k, atoms in enumerate(alternatives):
        conditions, bindings = _conditions(
            rule, order, atoms, kinds=kinds, schema=schema, role_index=role_index
        )
        variants.append(Variant(f"{name}_{k}", False, {"all": gate + conditions}))
        for m, extra in enumerate(numerators):
            conditions, _ = _conditions(
                rule, order, atoms + extra, kinds=kinds, schema=schema, role_index=role_index
            )
            variants.append(Variant(f"{name}_{k}_{m}n", True, {"all": gate + conditions}))
    section_of = {order.rec_alias[j]: c.section for j, c in enumerate(recs)}
    positive = {order.rec_alias[j] for j, c in enumerate(recs) if c.exists}
    variants = [
        dataclasses.replace(
            v,
            needs=tuple(
                (section_of[alias], tuple(t for t in _tests_of(test) if _alone(t)))
                for cond in v.condition["all"]
                for alias, test in cond.items()
                if alias in positive
            ),
            reads=_record_reads_of(v, section_of, positive),
        )
        for v in variants
    ]
    filters = tuple(
        (section_of[alias], tuple(t for t in _tests_of(test) if _alone(t)))
        for v in variants
        for cond in v.condition["all"]
        for alias, test in cond.items()
        if alias in section_of
    )
    return Emitted(tuple(variants), bindings, _unique(filters), len(alternatives))


def _conditions(
    rule: Rule,
    order: ClauseOrder,
    atoms: Sequence[Atom],
    *,
    kinds: Mapping[str, bool],
    schema: FactSchema,
    role_index: Mapping[frozenset[str], int],
) -> tuple[list[dict[str, Any]], _Bindings]:
    """One variant's conditions, one per clause in ``order.sequence``, with the ``where``
    tests ``atoms`` placed on the first clause that has all they read; and where each
    variable is first bound."""
    bindings: _Bindings = {}
    joined: set[str] = set()
    placed: set[int] = set()
    conditions: list[dict[str, Any]] = []
    for what, idx in order.sequence:
        clause, alias, tests, ends = _own_tests(rule, order, what, idx, kinds=kinds, schema=schema)
        for end, var in ends:
            tests += _end_tests(
                rule, what, alias, end, var, bindings=bindings, role_index=role_index, schema=schema
            )
            if var not in bindings and clause.exists:
                bindings[var] = (alias, end)
        for k, (names, build) in enumerate(atoms):
            if k in placed or alias not in names:
                continue
            if all(n == alias or n in joined for n in names):
                tests.append(build(alias))
                placed.add(k)
        if clause.exists:
            joined.add(alias)
        # the clause's own tests first: durable-rules runs the tests after a clause's
        # first join test in the join, once per partial match it meets, so a contact
        # failing a constant test there still costs a join in every variant (measured)
        tests = [t for t in tests if _constant(t)] + [t for t in tests if not _constant(t)]
        conditions.append({alias: tests[0] if len(tests) == 1 else {"$and": tests}})
    assert len(placed) == len(atoms), "every condition is placed on a clause"
    return conditions, bindings


def _own_tests(
    rule: Rule,
    order: ClauseOrder,
    what: str,
    idx: int,
    *,
    kinds: Mapping[str, bool],
    schema: FactSchema,
) -> tuple[TieClause | RecordClause, str, list[dict[str, Any]], list[tuple[str, str]]]:
    """A clause of ``order.sequence`` (``what`` is "t" or "r"), its alias, the tests of
    its fact alone (and a record's tie number join) and its ends: (fact field, variable)."""
    if what == "t":
        tie = rule.match.ties[idx]
        ends: list[tuple[str, str]] = list(zip((SOURCE, TARGET), tie.ends, strict=True))
        tests = _tie_tests(tie, kinds, schema, rule.parameters)
        return tie, order.tie_alias[idx], tests, ends
    rec = rule.match.records[idx]
    alias = order.rec_alias[idx]
    tests = _record_tests(rec, schema)
    if rec.tie is not None:
        tests.append({TIE_NUMBER: {order.alias_of[rec.tie]: TIE_NUMBER}})
    return rec, alias, tests, [(person_field(f), var) for f, var in rec.people.items()]


def _end_tests(
    rule: Rule,
    what: str,
    alias: str,
    end: str,
    var: str,
    *,
    bindings: _Bindings,
    role_index: Mapping[frozenset[str], int],
    schema: FactSchema,
) -> list[dict[str, Any]]:
    """The tests of one end (fact field ``end``, naming ``var``) of the clause ``alias``:
    equal to the variable where it is bound already, else different from every other
    bound variable, a person, and in the variable's roles (or passing its person test)."""
    if var in bindings:
        b_alias, b_end = bindings[var]
        return [{end: {b_alias: b_end}}]
    tests: list[dict[str, Any]] = []
    for other, (o_alias, o_end) in bindings.items():
        # the other end of this very tie differs already: the loader refuses
        # self-ties, and one record's person fields name different variables
        if other != var and o_alias != alias:
            tests.append({"$neq": {end: {o_alias: o_end}}})
    if what == "r":  # a record field naming nobody (or no one here) reads -1
        tests.append({"$gte": {end: 0}})
    roles = role_set(rule, var, schema)
    if roles:
        i = role_index[roles]
        flag = role_field(end, i) if what == "t" else person_role_field(i, person_of_field(end))
        tests.append({flag: 1})
    return tests


def count_share(rule: Rule, order: ClauseOrder, emitted: Emitted) -> Emitted:
    """The ``share`` stage for one rule: a share's denominator is counted (and its
    variants left out) when its ``of`` clause is a positive record clause whose section no
    other record clause reads, in a rule without alternatives, and
    :func:`_counted_share` finds it countable."""
    match = rule.match
    recs = match.records
    counted = None
    of = next(
        (j for j, c in enumerate(recs) if match.share and c.as_ == match.share.of and c.exists),
        None,
    )
    if (
        of is not None
        and emitted.alternatives == 1
        and not any(c.section == recs[of].section for j, c in enumerate(recs) if j != of)
    ):
        per_vars = match.per if match.per is not None else list(match.people)
        counted = _counted_share(emitted.variants[0], order.rec_alias[of], recs[of], per_vars)
    if counted is None:
        return emitted
    # ``filters`` keep the denominator's tests: a record failing what every clause
    # tests, the denominator's included, is counted by no group either
    return dataclasses.replace(
        emitted,
        variants=tuple(v for v in emitted.variants if v.numerator),
        counted=counted,
    )


def record_reads(rules: Iterable[CompiledRule]) -> Mapping[str, frozenset[str]]:
    """Per section, the fact fields some condition of ``rules`` reads: record facts carry
    no others (:attr:`FactSchema.record_reads`)."""
    reads: dict[str, set[str]] = {}

    def read(alias: str, field: str, sections: Mapping[str, str]) -> None:
        if alias in sections:
            reads.setdefault(sections[alias], set()).add(field)

    def operand(node: Any, sections: Mapping[str, str]) -> None:
        # ``{alias: field}``, or an expression ``{"$add": {"$l": ..., "$r": ...}}``
        if isinstance(node, Mapping):
            for key, value in node.items():
                if isinstance(value, str):
                    read(key, value, sections)
                else:
                    operand(value, sections)

    for rule in rules:
        sections = {p.alias: p.section for p in rule.records}
        for alias, field in rule.bindings.values():  # subjects are read from the facts
            read(alias, field, sections)
        for v in rule.variants:
            for cond in v.condition["all"]:
                for here, test in cond.items():
                    for one in _tests_of(test):
                        for key, value in one.items():
                            inner = value if key.startswith("$") else {key: value}
                            for field, other in inner.items():
                                read(here, field, sections)
                                operand(other, sections)
    return {s: frozenset(f) for s, f in reads.items()}


def _record_reads_of(
    variant: Variant, section_of: Mapping[str, str], positive: set[str]
) -> tuple[RecordRead, ...]:
    """:attr:`Variant.reads`: each record clause's section, alone tests and bounds."""
    alone = {
        alias: tuple(t for t in _tests_of(test) if _alone(t))
        for cond in variant.condition["all"]
        for alias, test in cond.items()
        if alias in section_of
    }
    out: list[RecordRead] = []
    for cond in variant.condition["all"]:
        for alias, test in cond.items():
            if alias not in section_of:
                continue
            bounds: list[Bound] = []
            for one in _tests_of(test) if alias in positive else []:
                ((op, inner),) = one.items()
                if op not in ORDERS or not isinstance(inner, Mapping) or len(inner) != 1:
                    continue
                ((field, operand),) = inner.items()
                if not isinstance(operand, Mapping) or len(operand) != 1:
                    continue
                ((partner, partner_field),) = operand.items()
                if partner in positive and partner != alias and isinstance(partner_field, str):
                    bounds.append(
                        Bound(field, op, section_of[partner], alone[partner], partner_field)
                    )
            out.append(RecordRead(section_of[alias], alone[alias], tuple(bounds), alias))
    return tuple(out)


def _counted_share(
    denominator: Variant, alias: str, clause: RecordClause, per: Iterable[str]
) -> CountedShare | None:
    """:class:`CountedShare` for the record clause ``alias`` of a share's one denominator
    variant, or None when its denominator must be matched: the clause must name only
    people of the group, each already bound by an earlier clause (its only joins are
    ``p_<field>`` equal to them), no other clause may read it, and the engine's tests
    of it alone must be ones :func:`exact_tester` makes exactly.  (The caller makes sure
    no other record clause reads its section: see ``docs/compiler.md``.)"""
    if clause.tie is not None or not set(clause.people.values()) <= set(per):
        return None
    joins = {person_field(f) for f in clause.people}
    own: list[Mapping[str, Any]] = []
    for cond in denominator.condition["all"]:
        for here, test in cond.items():
            for one in _tests_of(test):
                if here != alias:
                    if _reads_alias(one, alias):
                        return None
                    continue
                ((key, value),) = one.items()
                if key in joins and isinstance(value, Mapping) and len(value) == 1:
                    ((other, _end),) = value.items()
                    if other != alias:
                        joins.discard(key)  # each person field joined once
                        continue
                if not _alone(one):
                    return None
                own.append(one)
    if joins or exact_tester(own) is None:
        return None
    return CountedShare(
        section=clause.section,
        tests=tuple(own),
        people=tuple(sorted(((f, v) for f, v in clause.people.items()), key=lambda p: p[1])),
    )


def _reads_alias(node: Any, alias: str) -> bool:
    """Whether a test (or a part of one) reads a field of the clause ``alias``."""
    if isinstance(node, Mapping):
        return any(k == alias or _reads_alias(v, alias) for k, v in node.items())
    return False


def _tests_of(test: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return list(test["$and"]) if "$and" in test else [test]


def _alone(test: Mapping[str, Any]) -> bool:
    """Whether a test reads its own fact only (no other clause, no person or tie number,
    no role flag: those are not known while records are indexed)."""
    for key, value in test.items():
        inner = value if key.startswith("$") else {key: value}
        if not isinstance(inner, Mapping):
            return False
        for field, operand in inner.items():
            if isinstance(operand, Mapping) or field.startswith(LATE_PREFIXES):
                return False
    return True


def _constant(test: Mapping[str, Any]) -> bool:
    """Whether a test reads its own fact only (no join)."""
    for key, value in test.items():
        inner = value if key.startswith("$") else {key: value}
        if not isinstance(inner, Mapping):
            return False
        for _field, operand in inner.items():
            if isinstance(operand, Mapping):
                return False
    return True


def _unique(items: Iterable[Any]) -> tuple[Any, ...]:
    out: list[Any] = []
    for item in items:
        if item not in out:
            out.append(item)
    return tuple(out)


def _tie_tests(
    clause: TieClause,
    kinds: Mapping[str, bool],
    schema: FactSchema,
    parameters: Mapping[str, float],
) -> list[dict[str, Any]]:
    """A tie clause's own tests: kind, direction, dates, attributes."""
    tests: list[dict[str, Any]] = [_kind_test(clause.kinds, schema)]
    if clause.directed and all(kinds.get(k, True) for k in clause.kinds):
        tests.append({FORWARD: 1})
    if clause.active:
        tests += [{"$lte": {START: 0}}, {"$gte": {END: 0}}]
    if "start" in clause.known:
        tests.append({"$gt": {START: NO_START}})
    if "end" in clause.known:
        tests.append({"$lt": {END: NO_END}})
    if clause.ended is True:
        tests.append({"$lt": {END: 0}})
    elif clause.ended is False:
        tests.append({"$gte": {END: 0}})
    return tests + _attribute_tests(clause, schema, parameters)


def _record_tests(clause: RecordClause, schema: FactSchema) -> list[dict[str, Any]]:
    """A record clause's own tests: section and field tests."""
    fields = SECTIONS[clause.section]
    tests: list[dict[str, Any]] = [{KIND: record_kind(clause.section)}]
    for name, test in clause.fields.items():
        tests += _field_tests(clause.section, name, test, fields.kind_of(name), schema)
    return tests


def _field_tests(
    section: str, name: str, test: FieldTest, kind: str | None, schema: FactSchema
) -> list[dict[str, Any]]:
    if kind == "list":
        if test.present:
            return [{"$gt": {count_field(name): 0}}]
        if test.absent:
            return [{count_field(name): 0}]
        return [{word_field(name, w): 1} for w in test.contains or []] + [
            {"$nex": {word_field(name, w): 1}} for w in test.lacks or []
        ]
    if kind == "window":
        return [{"$lt": {HOURS_WRAP: 2}}] if test.present else [{HOURS_WRAP: 2}]
    if kind in ("time", "number"):
        return [{given_field(name): 1}] if test.present else [{"$nex": {given_field(name): 1}}]
    field = value_field(name)
    if test.present:
        return [{given_field(name): 1}]
    if test.absent:
        return [{"$nex": {given_field(name): 1}}]
    if test.equals is not None:
        return [{field: str(test.equals)}]
    values = frozenset(str(v) for v in test.in_ or [])
    if len(values) == 1:
        return [{field: next(iter(values))}]
    return [{value_set_field(schema.record_value_sets.index((section, name, values))): 1}]


def _kind_test(kinds: tuple[str, ...], schema: FactSchema) -> dict[str, Any]:
    if len(kinds) == 1:
        return {KIND: kinds[0]}
    # one flag per set of kinds: never the engine's broken '$or', never a leaking '$mt'
    return {kind_set_field(schema.kind_sets.index(frozenset(kinds))): 1}


def _attribute_tests(
    clause: TieClause, schema: FactSchema, parameters: Mapping[str, float]
) -> list[dict[str, Any]]:
    tests: list[dict[str, Any]] = []
    for name, test in clause.attributes.items():
        field = attribute_field(schema.attributes.index(name))
        table = schema.values.get(name, {})
        if test.present:
            tests.append({"$ex": {field: 1}})
        elif test.absent:
            tests.append({"$nex": {field: 1}})
        elif test.bounds:
            for vt in value_tests(test, parameters):
                tests.append({numeric_test_field(schema.numeric_tests.index((name, vt))): 1})
        elif test.equals is not None:
            tests.append({field: table[canonical(test.equals)]})
        else:
            tokens = frozenset(table[canonical(v)] for v in test.in_ or [])
            if len(tokens) == 1:
                tests.append({field: next(iter(tokens))})
            else:
                index = schema.value_sets.index((schema.attributes.index(name), tokens))
                tests.append({attribute_set_field(index): 1})
    return tests
