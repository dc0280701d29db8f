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
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from dualrel.errors import Problem, RulesetError
from dualrel.rules._durable import RELEASE_FIELD
from dualrel.rules.loader import Rule, Ruleset
from dualrel.rules.schema import WHERE_RE, TieClause

__all__ = ["CompiledRule", "CompiledRuleset", "FactSchema", "compile_ruleset"]

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
class CompiledRule:
    """A rule, its durable-rules condition and its partitioning plan."""

    rule: Rule
    name: str  # the durable-rules rule name
    clauses: tuple[ClausePlan, ...]  # in join order; positive ones first
    bindings: Mapping[str, tuple[str, str]]  # variable -> (alias, "s" | "d")
    evidence: tuple[str, ...]  # aliases of positive clauses in the order they are written
    anchor: str  # variable whose value owns a match
    anchor_alias: str
    anchor_end: str  # "s" or "d" in the anchor's first clause
    anchor_kinds: tuple[str, ...]
    anchor_directed: bool
    walk_kinds: frozenset[str]  # kinds whose ties link people within one match
    radius: int  # the largest ``reach`` of any clause
    negated: bool  # has a negated clause or an attribute ``absent`` test
    vetoable: bool  # has a negated clause: a new tie can remove a match
    condition: Mapping[str, Any]


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


@dataclass(frozen=True, slots=True)
class CompiledRuleset:
    """A ruleset compiled once, evaluated many times (see :func:`dualrel.evaluate`)."""

    ruleset: Ruleset
    rules: tuple[CompiledRule, ...]
    schema: FactSchema

    @property
    def definition(self) -> dict[str, Any]:
        """The durable-rules ruleset definition (plain JSON data)."""
        return {r.name: dict(r.condition) for r in self.rules}


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
    # never compile a record clause away: a rule that ignored it would report wrongly
    unsupported = [
        Problem(file=r.file, line=r.line, pointer=f"{r.pointer}/match/records",
                code="not-supported", record=r.id, field="records",
                message=f"rule {r.id}: record clauses (match.records) are not evaluated by "
                "this version of the engine yet")
        for r in ruleset.rules if r.match.records
    ]
    if unsupported:
        raise RulesetError(unsupported)
    schema = _encode(ruleset)
    compiled = tuple(
        _compile_rule(rule, f"r{i}", ruleset.kinds, schema) for i, rule in enumerate(ruleset.rules)
    )
    return CompiledRuleset(ruleset=ruleset, rules=compiled, schema=schema)


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
    return FactSchema(
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
    the choice is deterministic.
    """
    edges = [c.ends for c in rule.match.ties if c.exists]
    variables: list[str] = []
    for a, b in edges:
        for v in (a, b):
            if v not in variables:
                variables.append(v)
    best: tuple[tuple[int, int, int], str, dict[str, int]] | None = None
    for pos, v in enumerate(variables):
        dist = variable_distances(edges, v)
        degree = sum(v in e for e in edges)
        key = (max(dist.values()), -degree, pos)
        if best is None or key < best[0]:
            best = (key, v, dist)
    assert best is not None
    return best[1], best[2]


# -- stage: emit ----------------------------------------------------------------------------


def _compile_rule(
    rule: Rule, name: str, kinds: Mapping[str, bool], schema: FactSchema
) -> CompiledRule:
    ties = rule.match.ties
    order = _join_order(rule)
    anchor, dist = _choose_anchor(rule)
    aliases = {i: (f"c{i}" if ties[i].exists else f"n{i}$not") for i in order}
    bindings: dict[str, tuple[str, str]] = {}
    named = {c.as_: i for i, c in enumerate(ties) if c.as_}
    wheres = [WHERE_RE.match(w) for w in rule.match.where]
    placed: set[int] = set()
    conditions: list[dict[str, Any]] = []
    plans: list[ClausePlan] = []
    role_index = {rs: i for i, rs in enumerate(schema.role_sets)}
    negated = False

    for i in order:
        clause = ties[i]
        alias = aliases[i]
        tests: list[dict[str, Any]] = []
        tests.append(_kind_test(clause.kinds, schema))
        if clause.directed and all(kinds.get(k, True) for k in clause.kinds):
            tests.append({"f": 1})
        if clause.active:
            tests += [{"$lte": {"st": 0}}, {"$gte": {"en": 0}}]
        if clause.ended is True:
            tests.append({"$lt": {"en": 0}})
        elif clause.ended is False:
            tests.append({"$gte": {"en": 0}})
        tests += _attribute_tests(clause, schema)
        if not clause.exists or any(t.absent for t in clause.attributes.values()):
            negated = True
        new_here: list[str] = []
        for end, var in zip(("s", "d"), clause.ends, strict=True):
            if var in bindings:
                b_alias, b_end = bindings[var]
                tests.append({end: {b_alias: b_end}})
                continue
            for other, (o_alias, o_end) in bindings.items():
                # the other end of this very tie differs already: the loader refuses self-ties
                if other != var and o_alias != alias:
                    tests.append({"$neq": {end: {o_alias: o_end}}})
            roles = frozenset(rule.match.people[var].roles)
            if roles:
                tests.append({f"r{end}{role_index[roles]}": 1})
            new_here.append(var)
            if clause.exists:
                bindings[var] = (alias, end)
        for j, m in enumerate(wheres):
            if j in placed or m is None or not clause.exists:
                continue
            refs = [m.group("left"), m.group("right")]
            clause_ids = [named[r.split(".")[0]] for r in refs if r != "as_of"]
            if i in clause_ids and all(c in placed_clauses(order, i) or c == i for c in clause_ids):
                tests.append(_where_test(m, i, named, aliases, rule))
                placed.add(j)
        ends = clause.ends
        reach = min(dist.get(ends[0], 99), dist.get(ends[1], 99))
        plans.append(
            ClausePlan(index=i, alias=alias, kinds=clause.kinds, ends=ends, exists=clause.exists,
                       reach=reach)
        )
        conditions.append({alias: tests[0] if len(tests) == 1 else {"$and": tests}})

    vetoable = any(not c.exists for c in ties)
    anchor_alias, anchor_end = bindings[anchor]
    anchor_clause = ties[int(anchor_alias[1:])]
    walk = frozenset(k for c in ties if c.exists for k in c.kinds)
    evidence = tuple(aliases[i] for i in range(len(ties)) if ties[i].exists)
    return CompiledRule(
        rule=rule,
        name=name,
        clauses=tuple(plans),
        bindings=bindings,
        evidence=evidence,
        anchor=anchor,
        anchor_alias=anchor_alias,
        anchor_end=anchor_end,
        anchor_kinds=anchor_clause.kinds,
        anchor_directed=anchor_clause.directed,
        walk_kinds=walk,
        radius=max(p.reach for p in plans),
        negated=negated,
        vetoable=vetoable,
        # durable-rules never withdraws a match that a later fact vetoes through a negated
        # clause: gate such rules on a release fact asserted after all the data
        condition={"all": ([{RELEASE_ALIAS: {RELEASE_FIELD: 1}}] if vetoable else []) + conditions},
    )


def placed_clauses(order: list[int], upto: int) -> set[int]:
    """Clauses joined before ``upto`` in ``order``."""
    return set(order[: order.index(upto)])


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


def _where_test(
    m: Any, here: int, named: Mapping[str, int], aliases: Mapping[int, str], rule: Rule
) -> dict[str, Any]:
    """``left op right +/- offset``, written as a test on the clause joined last."""
    left, op, right = m.group("left"), m.group("op"), m.group("right")
    offset = 0
    if m.group("offset") is not None:
        raw = m.group("offset")
        offset = int(raw) if raw.isdigit() else int(rule.parameters[raw])
        if m.group("sign") == "-":
            offset = -offset

    def field(ref: str) -> str:
        return "st" if ref.endswith(".start") else "en"

    def is_here(ref: str) -> bool:
        return ref != "as_of" and named[ref.split(".", maxsplit=1)[0]] == here

    if not is_here(left):
        # left op right + k  <=>  right flip(op) left - k
        left, right, op, offset = right, left, _FLIP[op], -offset
    other: Any
    if right == "as_of":
        other = offset  # dates are days relative to as_of
    else:
        ref = {aliases[named[right.split(".")[0]]]: field(right)}
        other = {"$add": {"$l": ref, "$r": offset}} if offset else ref
    if op == "==":
        return {field(left): other}
    return {_OPS[op]: {field(left): other}}
