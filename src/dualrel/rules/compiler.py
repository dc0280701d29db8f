"""Compiling a loaded ruleset into durable-rules conditions and an evaluation plan.

The compiler is an ordered list of stages over each rule, as in OPA: ``order`` (a join
order where every clause shares a variable with earlier ones), ``anchor`` (the variable
whose value partitions evaluation, and how far from it each clause reaches), ``encode``
(which tie kinds, roles and attributes facts must carry) and ``emit`` (durable-rules
conditions).  The result is data; nothing from a ruleset is ever executed.

Facts are *oriented ties*: a tie ``a -> b`` becomes the fact ``s=a, d=b, f=1`` and, when a
clause reads it in either direction (``between``, or an undirected kind), also
``s=b, d=a, f=0``.  Dates travel as days relative to the evaluation date, so one compiled
ruleset serves every ``as_of``: "active" is ``st <= 0 <= en``.

Practice records are facts of kind ``@<section>``: person fields ``p_<f>`` (person numbers,
-1 for nobody), times ``t_<f>`` (days from the evaluation date; ``e_<f>`` when the field is
given), numbers ``n_<f>`` (``e_<f>`` when given), values ``v_<f>``, lists ``l_<f>_<word>``
flags and ``c_<f>`` (how many words), the agreement's hours ``hf``/``ht`` (minutes of the
day) and ``hw`` (0: within one day, 1: past midnight, 2: no hours), an instant's local
weekday ``wd_<f>`` and minute of the day ``mn_<f>``, and ``tn``, the number of the tie a
record names.  Every field a join may read is always present: durable-rules fails an
assert (error 311) when a join reads a field an earlier fact lacks (measured).  A record
fact carries no field that no condition reads.  In every clause, the tests of its own fact
come before its join tests: durable-rules runs whatever follows the first join test inside
the join, once per partial match (measured).

A rule whose ``where`` has alternatives (``any``, ``in``, ``outside``) becomes several
durable-rules rules, one per alternative (never the engine's broken ``|``); a ``share``
rule adds the rules of its numerator.  The engine merges what they find.

A ``share`` rule's denominator is the number of distinct records of its ``of`` clause in a
group.  When that clause joins the rest of the match only by naming the group's people
(:class:`CountedShare`), the denominator of a group is the number of records naming those
people that pass the clause's own tests, whenever the rest of the match exists, and a
numerator match (a denominator match with more tests) shows it does.  Such a denominator
is counted while records are indexed instead of matched one record at a time: the engine
runs the numerator rules only (a month's contacts are most of a practice check's facts).
No other record clause of the rule may read the same section: the engine never puts one
fact in two clauses of a match, nor lets a fact of the match veto it through a negated
clause, and those tie records of one section together (found in review).
"""

from __future__ import annotations

import dataclasses
import json
import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dualrel.rules._durable import RELEASE_FIELD
from dualrel.rules.conditions import (
    Compare,
    Condition,
    Member,
    Outside,
    Ref,
    field_kinds,
    parse_condition,
)
from dualrel.rules.loader import Rule, Ruleset
from dualrel.rules.schema import AnyOf, CountSpec, FieldTest, RecordClause, TieClause
from dualrel.rules.sections import SECTIONS

__all__ = [
    "Bound",
    "CompiledRule",
    "CompiledRuleset",
    "CountedShare",
    "FactSchema",
    "RecordPlan",
    "RecordRead",
    "Variant",
    "compile_ruleset",
]

#: Stand-ins for a missing start ("since always") and a missing end ("ongoing").
NO_START = -1_000_000_000
NO_END = 1_000_000_000

RELEASE_ALIAS = "g"
_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "=="}
_OPS = {"<": "$lt", "<=": "$lte", ">": "$gt", ">=": "$gte"}


@dataclass(frozen=True, slots=True)
class ClausePlan:
    """One clause as the engine sees it."""

    index: int  # position in the rule as written
    alias: str  # durable-rules alias (positive) or ``n<index>$not`` (negated)
    kinds: tuple[str, ...]
    ends: tuple[str, str]
    exists: bool
    reach: int  # how many hops from the anchor the nearer end of this clause can be


@dataclass(frozen=True, slots=True)
class RecordPlan:
    """One record clause as the engine sees it."""

    index: int  # position in ``match.records``
    alias: str  # ``r<index>`` (positive) or ``m<index>$not`` (negated)
    section: str
    exists: bool


@dataclass(frozen=True, slots=True)
class Variant:
    """One durable-rules rule of a compiled rule: one alternative of its ``where``."""

    name: str
    numerator: bool  # one of a ``share`` rule's numerator rules
    condition: Mapping[str, Any]
    #: per positive record clause: (section, the tests that read that record alone); a
    #: variant none of whose records of some clause passes these can never fire
    needs: tuple[tuple[str, tuple[Mapping[str, Any], ...]], ...] = ()
    #: per record clause, positive or negated: what a record must pass to take part
    reads: tuple[RecordRead, ...] = ()


@dataclass(frozen=True, slots=True)
class Bound:
    """A join test of a record clause that compares one of its fields with a field of a
    positive record clause of the same variant: ``<field> <op> <partner>.<partner_field>``.
    Such a record needs some partner record (one passing ``partner_tests``) to compare
    with, so it must compare so with the largest (``<``, ``<=``) or the smallest (``>``,
    ``>=``) value of that field among them."""

    field: str
    op: str  # "$lt", "$lte", "$gt" or "$gte"
    partner_section: str
    partner_tests: tuple[Mapping[str, Any], ...]
    partner_field: str


@dataclass(frozen=True, slots=True)
class RecordRead:
    """One record clause of a variant: its section, the tests it makes of a record alone
    and its bounds (positive clauses only)."""

    section: str
    tests: tuple[Mapping[str, Any], ...]
    bounds: tuple[Bound, ...] = ()


@dataclass(frozen=True, slots=True)
class CountedShare:
    """How to count a ``share`` rule's denominator without the engine (module docstring):
    per group, the records of ``section`` that pass ``tests`` (tests of the record alone,
    exactly as the engine makes them, see :func:`exact_tester`), by the people they name."""

    section: str
    tests: tuple[Mapping[str, Any], ...]
    people: tuple[tuple[str, str], ...]  # (record person field, variable), by variable


@dataclass(frozen=True, slots=True)
class CompiledRule:
    """A rule, its durable-rules conditions and its partitioning plan."""

    rule: Rule
    name: str  # the rule's name in the engine; its variants' names start with it
    clauses: tuple[ClausePlan, ...]  # tie clauses, in join order; positive ones first
    records: tuple[RecordPlan, ...]  # record clauses, positive ones first
    bindings: Mapping[str, tuple[str, str]]  # variable -> (alias, fact field)
    evidence: tuple[str, ...]  # aliases of positive tie clauses in the order they are written
    record_evidence: tuple[str, ...]  # aliases of positive record clauses, as written
    anchor: str  # variable whose value owns a match
    anchor_alias: str
    anchor_end: str  # the fact field holding the anchor in its first clause
    anchor_kinds: tuple[str, ...]  # empty for a rule of records only
    anchor_directed: bool
    walk_kinds: frozenset[str]  # kinds whose ties link people within one match
    radius: int  # the largest ``reach`` of any clause
    negated: bool  # has a negated clause or an attribute ``absent`` test
    vetoable: bool  # has a negated clause: a new tie can remove a match
    variants: tuple[Variant, ...]
    #: per record clause of each variant: (section, the tests that read that record alone);
    #: a record passing none of its section's lists can take part in no match
    record_filters: tuple[tuple[str, tuple[Mapping[str, Any], ...]], ...] = ()
    per: tuple[str, ...] | None = None  # variables a finding groups matches by
    count_of: str | None = None  # alias of the counted record clause
    at_least: int = 0
    share_of: str | None = None
    more_than: float = 0.0
    #: the share's denominator, when it is counted rather than matched (its variants are
    #: then left out of ``variants``)
    counted_share: CountedShare | None = None

    @property
    def condition(self) -> Mapping[str, Any]:
        """The first variant's condition (most rules have one)."""
        return self.variants[0].condition

    @property
    def records_only(self) -> bool:
        return not self.clauses


@dataclass(frozen=True, slots=True)
class FactSchema:
    """What a fact must carry for the compiled rules to read it."""

    kinds: frozenset[str]  # kinds any clause reads: other ties never reach the engine
    reverse_kinds: frozenset[str]  # kinds also asserted in the reverse orientation
    role_sets: tuple[frozenset[str], ...]  # fact field ``rs<i>``/``rd<i>``: end has a role in set i
    attributes: tuple[str, ...]  # fact field ``a<i>`` carries attribute i, encoded
    values: Mapping[str, Mapping[str, str]]  # attribute -> canonical value -> token
    # Alternatives become flags, never regular expressions: durable-rules never frees the
    # state machines of ``$mt`` tests (about 0.3 MB per test and engine, measured).
    kind_sets: tuple[frozenset[str], ...] = ()  # fact field ``ks<i>``: kind is in set i
    value_sets: tuple[tuple[int, frozenset[str]], ...] = ()  # ``av<j>``: attr i's token in set
    dates: bool = True
    sections: frozenset[str] = frozenset()  # practice sections any clause reads
    tie_numbers: bool = False  # ties carry ``tn`` (a record clause names a tie clause)
    # ``vs<j>``: a record's value field is in a set (section, field, values)
    record_value_sets: tuple[tuple[str, str, frozenset[str]], ...] = ()
    record_reads: Mapping[str, frozenset[str]] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CompiledRuleset:
    """A ruleset compiled once, evaluated many times (see :func:`dualrel.evaluate`)."""

    ruleset: Ruleset
    rules: tuple[CompiledRule, ...]
    schema: FactSchema

    @property
    def definition(self) -> dict[str, Any]:
        """The durable-rules ruleset definition (plain JSON data)."""
        return {v.name: dict(v.condition) for r in self.rules for v in r.variants}


def canonical(value: Any) -> str:
    """The canonical text of an attribute value, used to compare values of any type.

    >>> canonical("a"), canonical(3), canonical(True)
    ('"a"', '3', 'true')
    """
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def compile_ruleset(ruleset: Ruleset) -> CompiledRuleset:
    """Compile every enabled rule of ``ruleset``.

    >>> from dualrel.rules.loader import load_ruleset
    >>> c = compile_ruleset(load_ruleset("coaching-core"))
    >>> "coaching" in c.schema.kinds
    True
    """
    schema = _encode(ruleset)
    compiled = tuple(
        _compile_rule(rule, f"r{i}", ruleset.kinds, schema) for i, rule in enumerate(ruleset.rules)
    )
    if schema.sections:
        schema = dataclasses.replace(schema, record_reads=_record_reads(compiled))
    return CompiledRuleset(ruleset=ruleset, rules=compiled, schema=schema)


def _record_reads(rules: Iterable[CompiledRule]) -> Mapping[str, frozenset[str]]:
    """Per section, the fact fields some condition reads: record facts carry no others."""
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


# -- stage: encode --------------------------------------------------------------------------


def _encode(ruleset: Ruleset) -> FactSchema:
    kinds: set[str] = set()
    reverse: set[str] = set()
    role_sets: list[frozenset[str]] = []
    attributes: list[str] = []
    values: dict[str, dict[str, str]] = {}
    kind_sets: list[frozenset[str]] = []
    value_sets: list[tuple[int, frozenset[str]]] = []
    for rule in ruleset.rules:
        for spec in rule.match.people.values():
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
                table = values.setdefault(name, {})
                for v in (test.in_ or []) + ([test.equals] if test.equals is not None else []):
                    table.setdefault(canonical(v), f"v{len(table) + 1}")
                tokens = frozenset(table[canonical(v)] for v in test.in_ or [])
                entry = (attributes.index(name), tokens)
                if len(tokens) > 1 and entry not in value_sets:
                    value_sets.append(entry)
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
                rs = frozenset(rule.match.people[var].roles)
                if rs and rs not in role_sets:
                    role_sets.append(rs)
    return FactSchema(
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
    )


# -- stage: order and anchor ----------------------------------------------------------------


def _join_order(rule: Rule) -> list[int]:
    """Positive clauses, each sharing a variable with an earlier one, then negated ones."""
    ties = rule.match.ties
    positive = [i for i, c in enumerate(ties) if c.exists]
    if not positive:
        return [i for i, c in enumerate(ties) if not c.exists]
    order = [positive[0]]
    seen = set(ties[positive[0]].ends)
    rest = positive[1:]
    while rest:
        nxt = next((i for i in rest if seen & set(ties[i].ends)), rest[0])
        rest.remove(nxt)
        order.append(nxt)
        seen.update(ties[nxt].ends)
    return order + [i for i, c in enumerate(ties) if not c.exists]


def variable_distances(edges: Iterable[tuple[str, str]], *start: str) -> dict[str, int]:
    """Hops from the variables ``start`` to every variable, through clause ``edges``.

    >>> variable_distances([("coach", "client"), ("client", "via")], "coach")
    {'coach': 0, 'client': 1, 'via': 2}
    """
    edges = list(edges)
    dist = dict.fromkeys(start, 0)
    frontier = list(dist)
    while frontier:
        nxt = []
        for v in frontier:
            for a, b in edges:
                for x, y in ((a, b), (b, a)):
                    if x == v and y not in dist:
                        dist[y] = dist[v] + 1
                        nxt.append(y)
        frontier = nxt
    return dist


def _choose_anchor(rule: Rule) -> tuple[str, dict[str, int]]:
    """The variable with the smallest eccentricity over the positive clauses.

    Ties are broken by the number of clauses touching it, then by first appearance, so
    the choice is deterministic.  A rule that groups matches (``per``) anchors on one of
    its ``per`` variables, so that every group lies in one anchor's session.
    """
    per = (
        rule.match.per
        if rule.match.per is not None
        else (list(rule.match.people) if rule.match.count or rule.match.share else None)
    )
    edges = [c.ends for c in rule.match.ties if c.exists]
    variables: list[str] = []
    for a, b in edges:
        for v in (a, b):
            if v not in variables:
                variables.append(v)
    best: tuple[tuple[int, int, int], str, dict[str, int]] | None = None
    for pos, v in enumerate(variables):
        if per is not None and v not in per:
            continue
        dist = variable_distances(edges, v)
        degree = sum(v in e for e in edges)
        key = (max(dist.values()), -degree, pos)
        if best is None or key < best[0]:
            best = (key, v, dist)
    assert best is not None
    return best[1], best[2]


# -- stage: emit ----------------------------------------------------------------------------

#: A test placed on one clause: (the clause names it reads, builder of the durable test
#: given the aliases of those clauses).
_Atom = tuple[tuple[str, ...], Any]


def _compile_rule(
    rule: Rule, name: str, kinds: Mapping[str, bool], schema: FactSchema
) -> CompiledRule:
    match = rule.match
    ties, recs = match.ties, match.records
    order = _join_order(rule)
    tie_alias = {i: (f"c{i}" if ties[i].exists else f"n{i}$not") for i in order}
    rec_alias = {j: (f"r{j}" if c.exists else f"m{j}$not") for j, c in enumerate(recs)}
    alias_of: dict[str, str] = {c.as_: tie_alias[i] for i, c in enumerate(ties) if c.as_}
    alias_of.update({c.as_: rec_alias[j] for j, c in enumerate(recs) if c.as_})
    sequence: list[tuple[str, int]] = (
        [("t", i) for i in order if ties[i].exists]
        + [("r", j) for j, c in enumerate(recs) if c.exists]
        + [("t", i) for i in order if not ties[i].exists]
        + [("r", j) for j, c in enumerate(recs) if not c.exists]
    )
    kinds_of = field_kinds(match)
    alternatives = _expand(match.where, kinds_of, rule, alias_of)
    numerators = (
        _expand(match.share.where, kinds_of, rule, alias_of) if match.share is not None else []
    )
    role_index = {rs: i for i, rs in enumerate(schema.role_sets)}

    def emit(atoms: list[_Atom]) -> tuple[list[dict[str, Any]], dict[str, tuple[str, str]]]:
        bindings: dict[str, tuple[str, str]] = {}
        joined: set[str] = set()
        placed: set[int] = set()
        conditions: list[dict[str, Any]] = []
        for what, idx in sequence:
            if what == "t":
                clause: TieClause | RecordClause = ties[idx]
                alias = tie_alias[idx]
                tests = _tie_tests(ties[idx], kinds, schema)
                ends: list[tuple[str, str]] = list(zip(("s", "d"), ties[idx].ends, strict=True))
            else:
                clause = recs[idx]
                alias = rec_alias[idx]
                tests = _record_tests(recs[idx], schema)
                ends = [(f"p_{f}", var) for f, var in recs[idx].people.items()]
                tie_name = recs[idx].tie
                if tie_name is not None:
                    tests.append({"tn": {alias_of[tie_name]: "tn"}})
            for end, var in ends:
                if var in bindings:
                    b_alias, b_end = bindings[var]
                    tests.append({end: {b_alias: b_end}})
                    continue
                for other, (o_alias, o_end) in bindings.items():
                    # the other end of this very tie differs already: the loader refuses
                    # self-ties, and one record's person fields name different variables
                    if other != var and o_alias != alias:
                        tests.append({"$neq": {end: {o_alias: o_end}}})
                if what == "r":  # a record field naming nobody (or no one here) reads -1
                    tests.append({"$gte": {end: 0}})
                roles = frozenset(match.people[var].roles)
                if roles:
                    flag = (
                        f"r{end}{role_index[roles]}"
                        if what == "t"
                        else f"q{role_index[roles]}_{end[2:]}"
                    )
                    tests.append({flag: 1})
                if clause.exists:
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
            # failing a constant test there still costs a join in every variant (the contact
            # rules' 15 variants: 12.3 -> 9.6 us a contact fact, measured)
            tests = [t for t in tests if _constant(t)] + [t for t in tests if not _constant(t)]
            conditions.append({alias: tests[0] if len(tests) == 1 else {"$and": tests}})
        assert len(placed) == len(atoms), "every condition is placed on a clause"
        return conditions, bindings

    vetoable = any(not c.exists for c in ties) or any(not c.exists for c in recs)
    gate = [{RELEASE_ALIAS: {RELEASE_FIELD: 1}}] if vetoable else []
    variants: list[Variant] = []
    bindings: dict[str, tuple[str, str]] = {}
    for k, atoms in enumerate(alternatives):
        conditions, bindings = emit(atoms)
        variants.append(Variant(f"{name}_{k}", False, {"all": gate + conditions}))
        for m, extra in enumerate(numerators):
            conditions, _ = emit(atoms + extra)
            variants.append(Variant(f"{name}_{k}_{m}n", True, {"all": gate + conditions}))
    section_of = {rec_alias[j]: c.section for j, c in enumerate(recs)}
    positive = {rec_alias[j] for j, c in enumerate(recs) if c.exists}
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

    counted = None
    of = next(
        (j for j, c in enumerate(recs) if match.share and c.as_ == match.share.of and c.exists),
        None,
    )
    if (
        of is not None
        and len(alternatives) == 1
        and not any(c.section == recs[of].section for j, c in enumerate(recs) if j != of)
    ):
        per_vars = match.per if match.per is not None else list(match.people)
        counted = _counted_share(variants[0], rec_alias[of], recs[of], per_vars)
    if counted is not None:
        # ``filters`` keep the denominator's tests: a record failing what every clause
        # tests, the denominator's included, is counted by no group either
        variants = [v for v in variants if v.numerator]

    plans: list[ClausePlan] = []
    if any(c.exists for c in ties):
        anchor, dist = _choose_anchor(rule)
    else:
        anchor, dist = _records_anchor(rule), {}
    for i in order:
        clause_ = ties[i]
        reach = min(dist.get(clause_.ends[0], 99), dist.get(clause_.ends[1], 99))
        plans.append(
            ClausePlan(
                index=i,
                alias=tie_alias[i],
                kinds=clause_.kinds,
                ends=clause_.ends,
                exists=clause_.exists,
                reach=reach,
            )
        )
    negated = vetoable or any(t.absent for c in ties for t in c.attributes.values())
    anchor_alias, anchor_end = bindings[anchor]
    if anchor_alias.startswith("c"):
        anchor_clause = ties[int(anchor_alias[1:])]
        anchor_kinds, anchor_directed = anchor_clause.kinds, anchor_clause.directed
    else:
        anchor_kinds, anchor_directed = (), True
    grouped = match.per is not None or match.count is not None or match.share is not None
    per = tuple(match.per if match.per is not None else match.people) if grouped else None
    limit = match.count or match.share
    count_of = alias_of[match.count.of] if match.count is not None else None
    share_of = alias_of[match.share.of] if match.share is not None else None
    at_least = more_than = 0.0
    if isinstance(limit, CountSpec):
        raw = limit.at_least
        at_least = float(rule.parameters[raw]) if isinstance(raw, str) else float(raw)
    elif limit is not None:
        raw_share = limit.more_than
        more_than = (
            float(rule.parameters[raw_share]) if isinstance(raw_share, str) else float(raw_share)
        )
    return CompiledRule(
        rule=rule,
        name=name,
        clauses=tuple(plans),
        records=tuple(
            RecordPlan(j, rec_alias[j], recs[j].section, recs[j].exists)
            for what, j in sequence
            if what == "r"
        ),
        bindings=bindings,
        evidence=tuple(tie_alias[i] for i in range(len(ties)) if ties[i].exists),
        record_evidence=tuple(rec_alias[j] for j, c in enumerate(recs) if c.exists),
        anchor=anchor,
        anchor_alias=anchor_alias,
        anchor_end=anchor_end,
        anchor_kinds=anchor_kinds,
        anchor_directed=anchor_directed,
        walk_kinds=frozenset(k for c in ties if c.exists for k in c.kinds),
        radius=max((p.reach for p in plans), default=0),
        negated=negated,
        vetoable=vetoable,
        variants=tuple(variants),
        record_filters=_unique(filters),
        per=per,
        count_of=count_of,
        at_least=int(at_least),
        share_of=share_of,
        more_than=more_than,
        counted_share=counted,
    )


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
                if op not in _COMPARE or not isinstance(inner, Mapping) or len(inner) != 1:
                    continue
                ((field, operand),) = inner.items()
                if not isinstance(operand, Mapping) or len(operand) != 1:
                    continue
                ((partner, partner_field),) = operand.items()
                if partner in positive and partner != alias and isinstance(partner_field, str):
                    bounds.append(
                        Bound(field, op, section_of[partner], alone[partner], partner_field)
                    )
            out.append(RecordRead(section_of[alias], alone[alias], tuple(bounds)))
    return tuple(out)


def _counted_share(
    denominator: Variant, alias: str, clause: RecordClause, per: Iterable[str]
) -> CountedShare | None:
    """:class:`CountedShare` for the record clause ``alias`` of a share's one denominator
    variant, or None when its denominator must be matched: the clause must name only
    people of the group, each already bound by an earlier clause (its only joins are
    ``p_<field>`` equal to them), no other clause may read it, and the engine's tests
    of it alone must be ones :func:`exact_tester` makes exactly.  (The caller makes sure
    no other record clause reads its section: see the module docstring.)"""
    if clause.tie is not None or not set(clause.people.values()) <= set(per):
        return None
    joins = {f"p_{f}" for f in clause.people}
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
            if isinstance(operand, Mapping) or field.startswith(("p_", "q", "tn")):
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


def passes(fact: Mapping[str, Any], tests: Iterable[Mapping[str, Any]]) -> bool:
    """Whether ``fact`` passes every one of ``tests`` (tests that read one fact only).

    Never stricter than the engine: a form it does not know counts as passed.

    >>> passes({"k": "@records", "t_retain_until": -3}, [{"$lt": {"t_retain_until": 0}}])
    True
    >>> passes({"k": "@records"}, [{"$ex": {"e_destroyed": 1}}])
    False
    """
    return tester(tests)(fact)


def exact_tester(
    tests: Iterable[Mapping[str, Any]],
) -> Callable[[Mapping[str, Any]], bool] | None:
    """A test of one fact that agrees with the engine on every fact the compiler makes,
    or None when ``tests`` hold a form it cannot promise that of.  Unlike :func:`tester`,
    never more lenient either: a comparison fails on a missing field.  Each form is taken
    only on the fields whose values always have one type: comparisons on numbers (times,
    numbers, counts, weekdays, minutes), equality with a text on the kind and values,
    with a number on flags.  Across types the engine has rules of its own (measured:
    ``"s" > 1`` holds, and ``1 == "1"`` and ``1 == true``).

    >>> check = exact_tester([{"v_by": "client"}, {"$gt": {"t_at": -30}}])
    >>> check({"v_by": "client", "t_at": -2.5}), check({"v_by": "client"})
    (True, False)
    >>> exact_tester([{"$gt": {"v_by": 1}}]) is None
    True
    """
    checks: list[tuple[Any, str, Any]] = []
    for test in tests:
        ((key, value),) = test.items()
        if not key.startswith("$"):
            texts = type(value) is str and (key == "k" or key.startswith("v_"))
            flags = type(value) is int and key.startswith(_FLAG_FIELDS)
            if not (texts or flags):
                return None
            checks.append(("==", key, value))
            continue
        if not isinstance(value, Mapping) or len(value) != 1:
            return None
        ((field, operand),) = value.items()
        if key in ("$ex", "$nex"):
            checks.append((key, field, None))
        elif (
            key in _COMPARE
            and field.startswith(_NUMBER_FIELDS)
            and isinstance(operand, int | float)
            and not isinstance(operand, bool)
        ):
            checks.append((_COMPARE[key], field, operand))
        else:
            return None
    return _checker(checks, exact=True)


#: Record fact fields that always hold a number, and flags (always 1 when present): a
#: given field ``e_``, a list's word ``l_``, a value among a set ``vs``.
_NUMBER_FIELDS = ("t_", "n_", "c_", "wd_", "mn_")
_FLAG_FIELDS = ("e_", "l_", "vs")

_COMPARE: Mapping[str, Callable[[Any, Any], bool]] = {
    "$lt": operator.lt,
    "$lte": operator.le,
    "$gt": operator.gt,
    "$gte": operator.ge,
}


def tester(tests: Iterable[Mapping[str, Any]]) -> Callable[[Mapping[str, Any]], bool]:
    """:func:`passes` with ``tests`` read once, for testing many facts."""
    checks: list[tuple[Any, str, Any]] = []  # (what, fact field, operand)
    for test in tests:
        ((key, value),) = test.items()
        if not key.startswith("$"):
            checks.append(("==", key, value))
            continue
        ((field, operand),) = value.items()
        if key in ("$ex", "$nex"):
            checks.append((key, field, None))
        elif key in _COMPARE and isinstance(operand, int | float):
            checks.append((_COMPARE[key], field, operand))
    return _checker(checks, exact=False)


def _checker(
    checks: Sequence[tuple[Any, str, Any]], *, exact: bool
) -> Callable[[Mapping[str, Any]], bool]:
    """Whether a fact passes every (what, fact field, operand) of ``checks``: ``what`` is
    ``"=="``, ``"$ex"``, ``"$nex"`` or a comparison.  A comparison of a field that holds no
    number passes, unless ``exact`` (then the field is one that holds a number whenever it
    is there, and a missing one fails, as in the engine)."""

    def check(fact: Mapping[str, Any]) -> bool:
        for what, field, operand in checks:
            have = fact.get(field)
            if what == "==":
                if have != operand:
                    return False
            elif what == "$ex":
                if have is None:
                    return False
            elif what == "$nex":
                if have is not None:
                    return False
            elif isinstance(have, int | float):
                if not what(have, operand):
                    return False
            elif exact:
                return False
        return True

    return check


def _records_anchor(rule: Rule) -> str:
    """In a rule of records only: the first variable every record clause names (the
    loader checks there is one), preferring a ``per`` variable."""
    recs = rule.match.records
    shared = set(recs[0].people.values())
    for c in recs[1:]:
        shared &= set(c.people.values())
    per = rule.match.per or []
    ordered = [v for v in recs[0].people.values() if v in shared]
    return next((v for v in ordered if v in per), ordered[0])


def _tie_tests(
    clause: TieClause, kinds: Mapping[str, bool], schema: FactSchema
) -> list[dict[str, Any]]:
    """A tie clause's own tests: kind, direction, dates, attributes."""
    tests: list[dict[str, Any]] = [_kind_test(clause.kinds, schema)]
    if clause.directed and all(kinds.get(k, True) for k in clause.kinds):
        tests.append({"f": 1})
    if clause.active:
        tests += [{"$lte": {"st": 0}}, {"$gte": {"en": 0}}]
    if clause.ended is True:
        tests.append({"$lt": {"en": 0}})
    elif clause.ended is False:
        tests.append({"$gte": {"en": 0}})
    return tests + _attribute_tests(clause, schema)


def _record_tests(clause: RecordClause, schema: FactSchema) -> list[dict[str, Any]]:
    """A record clause's own tests: section and field tests."""
    fields = SECTIONS[clause.section]
    tests: list[dict[str, Any]] = [{"k": f"@{clause.section}"}]
    for name, test in clause.fields.items():
        tests += _field_tests(clause.section, name, test, fields.kind_of(name), schema)
    return tests


def _field_tests(
    section: str, name: str, test: FieldTest, kind: str | None, schema: FactSchema
) -> list[dict[str, Any]]:
    if kind == "list":
        if test.present:
            return [{"$gt": {f"c_{name}": 0}}]
        if test.absent:
            return [{f"c_{name}": 0}]
        return [{f"l_{name}_{w}": 1} for w in test.contains or []] + [
            {"$nex": {f"l_{name}_{w}": 1}} for w in test.lacks or []
        ]
    if kind == "window":
        return [{"$lt": {"hw": 2}}] if test.present else [{"hw": 2}]
    if kind in ("time", "number"):
        return [{f"e_{name}": 1}] if test.present else [{"$nex": {f"e_{name}": 1}}]
    field = f"v_{name}"
    if test.present:
        return [{f"e_{name}": 1}]
    if test.absent:
        return [{"$nex": {f"e_{name}": 1}}]
    if test.equals is not None:
        return [{field: str(test.equals)}]
    values = frozenset(str(v) for v in test.in_ or [])
    if len(values) == 1:
        return [{field: next(iter(values))}]
    return [{f"vs{schema.record_value_sets.index((section, name, values))}": 1}]


def _fact_field(ref: Ref, kinds_of: Mapping[str, Mapping[str, str]], match_ties: set[str]) -> str:
    if ref.clause in match_ties:
        return "st" if ref.field == "start" else "en"
    kind = kinds_of[ref.clause or ""][ref.field]
    return {"time": "t_", "number": "n_", "value": "v_"}[kind] + ref.field


def _expand(
    items: Iterable[str | AnyOf],
    kinds_of: Mapping[str, Mapping[str, str]],
    rule: Rule,
    alias_of: Mapping[str, str],
) -> list[list[_Atom]]:
    """``where`` as alternatives (a disjunction of conjunctions of placed tests)."""
    tie_names = {c.as_ for c in rule.match.ties if c.as_}
    negated = {alias_of[c.as_] for c in rule.match.ties if c.as_ and not c.exists} | {
        alias_of[r.as_] for r in rule.match.records if r.as_ and not r.exists
    }
    out: list[list[_Atom]] = [[]]
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
) -> list[list[_Atom]]:
    """One condition as alternatives of placed tests."""

    def const(clause: str, test: dict[str, Any]) -> _Atom:
        return ((alias_of[clause],), lambda _here: test)

    if isinstance(cond, Compare):
        left, right, op = cond.left, cond.right, cond.op
        offset = cond.offset.resolve(rule.parameters) if cond.offset else 0.0
        atoms: list[_Atom] = []
        kind = "time" if left.clause is None else kinds_of[left.clause][left.field]
        for ref in (left, right):
            # numbers and values may be missing: a missing one makes the comparison false
            if ref.clause is not None and kind in ("number", "value"):
                a = alias_of[ref.clause]
                other = right if ref is left else left
                other_negated = other.clause is not None and alias_of[other.clause] in negated
                if a in negated or not other_negated:
                    atoms.append(const(ref.clause, {f"e_{ref.field}": 1}))
        lf = None if left.clause is None else _fact_field(left, kinds_of, tie_names)
        rf = None if right.clause is None else _fact_field(right, kinds_of, tie_names)
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
        ) -> dict[str, Any]:
            if la != here:
                # left op right + k  <=>  right flip(op) left - k
                lf, rf, la, ra, op, offset = rf, lf, ra, la, _FLIP.get(op, op), -offset
            assert lf is not None
            other: Any
            if ra is None:
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
                const(value.clause, {f"v_{value.field}": w}),
                const(
                    listed.clause,
                    {flag: {f"l_{listed.field}_{w}": 1}} if flag else {f"l_{listed.field}_{w}": 1},
                ),
            ]
            for w in words
        ]
    assert isinstance(cond, Outside)
    at, window = cond.at, cond.window
    assert at.clause is not None and window.clause is not None
    a_at, a_win = alias_of[at.clause], alias_of[window.clause]
    wd, mn = f"wd_{at.field}", f"mn_{at.field}"

    def join(op: str, field: str) -> _Atom:
        def build(here: str) -> dict[str, Any]:
            if here == a_at:
                return {_OPS[op]: {mn: {a_win: field}}}
            return {_OPS[_FLIP[op]]: {field: {a_at: mn}}}

        return ((a_at, a_win), build)

    from dualrel.graph.practice import WEEKDAYS  # noqa: PLC0415 (one vocabulary)

    given = const(at.clause, {f"e_{at.field}": 1})  # a missing instant is outside nothing
    days: list[list[_Atom]] = [
        [
            given,
            const(at.clause, {wd: d}),
            const(window.clause, {"$gt": {"c_days": 0}}),
            const(window.clause, {"$nex": {f"l_days_{word}": 1}}),
        ]
        for d, word in enumerate(WEEKDAYS)
    ]
    hours: list[list[_Atom]] = [
        [given, const(window.clause, {"hw": 0}), join("<", "hf")],
        [given, const(window.clause, {"hw": 0}), join(">=", "ht")],
        [given, const(window.clause, {"hw": 1}), join(">=", "ht"), join("<", "hf")],
    ]
    return days + hours


def _section(rule: Rule, name: str) -> str:
    return next(c.section for c in rule.match.records if c.as_ == name)


def _number(x: float) -> int | float:
    return int(x) if float(x).is_integer() else x


def _kind_test(kinds: tuple[str, ...], schema: FactSchema) -> dict[str, Any]:
    if len(kinds) == 1:
        return {"k": kinds[0]}
    # one flag per set of kinds: never the engine's broken '$or', never a leaking '$mt'
    return {f"ks{schema.kind_sets.index(frozenset(kinds))}": 1}


def _attribute_tests(clause: TieClause, schema: FactSchema) -> list[dict[str, Any]]:
    tests: list[dict[str, Any]] = []
    for name, test in clause.attributes.items():
        field = f"a{schema.attributes.index(name)}"
        table = schema.values.get(name, {})
        if test.present:
            tests.append({"$ex": {field: 1}})
        elif test.absent:
            tests.append({"$nex": {field: 1}})
        elif test.equals is not None:
            tests.append({field: table[canonical(test.equals)]})
        else:
            tokens = frozenset(table[canonical(v)] for v in test.in_ or [])
            if len(tokens) == 1:
                tests.append({field: next(iter(tokens))})
            else:
                index = schema.value_sets.index((schema.attributes.index(name), tokens))
                tests.append({f"av{index}": 1})
    return tests
