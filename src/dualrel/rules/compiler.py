"""Compiling a loaded ruleset into durable-rules conditions and an evaluation plan.

The compiler runs :data:`STAGES`, an ordered list of named stages as in Open Policy
Agent's compiler, each over every rule of the ruleset:

1. ``paths``: each path clause made a tie clause of a derived kind, whose ties are
   computed before evaluation (:mod:`dualrel.rules._paths`);
2. ``encode``: which tie kinds, roles, attributes and sections facts must carry
   (:mod:`dualrel.rules._encode`);
3. ``order``: a join order where every clause shares a variable with earlier ones, and
   each clause's alias (:mod:`dualrel.rules._order`);
4. ``anchor``: the variable whose value partitions evaluation, and how far from it each
   variable is (:mod:`dualrel.rules._order`);
5. ``emit``: the durable-rules conditions, one variant per alternative of ``where``
   (:mod:`dualrel.rules._emit`);
6. ``share``: whether a ``share`` rule's denominator is counted instead of matched
   (:mod:`dualrel.rules._emit`);
7. ``plan``: each rule's :class:`~dualrel.rules.plan.CompiledRule` (this module);
8. ``symmetry``: the swaps of variables that leave a rule's pattern unchanged, so that
   each unordered match is reported once (:mod:`dualrel.rules._symmetry`);
8. ``reads``: the fields record facts carry, those some condition reads
   (:mod:`dualrel.rules._emit`).

The result, a :class:`~dualrel.rules.plan.CompiledRuleset`, is data; nothing from a
ruleset is ever executed.  How facts are laid out and why the conditions take their shape:
``docs/compiler.md``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass

from dualrel._internal.timing import Stopwatch
from dualrel.errors import Problem, RulesetError
from dualrel.rules._emit import Emitted, count_share, emit, record_reads, vetoable
from dualrel.rules._encode import encode
from dualrel.rules._limits import check_limits, located_at
from dualrel.rules._order import Anchor, ClauseOrder, choose_anchor, order_clauses, reach
from dualrel.rules._paths import desugar
from dualrel.rules._symmetry import MOST_SYMMETRIES, TooSymmetric, symmetries
from dualrel.rules.loader import Rule, Ruleset
from dualrel.rules.plan import (
    ClausePlan,
    CompiledRule,
    CompiledRuleset,
    FactSchema,
    PathPlan,
    RecordPlan,
)
from dualrel.rules.schema import CountSpec

__all__ = ["STAGES", "compile_ruleset"]


@dataclass(frozen=True, slots=True)
class _Compilation:
    """A ruleset part way through the stages: each stage fills in what it makes, per rule
    in the order of ``ruleset.rules``."""

    ruleset: Ruleset
    paths: tuple[PathPlan, ...] = ()
    schema: FactSchema | None = None
    orders: tuple[ClauseOrder, ...] = ()
    anchors: tuple[Anchor, ...] = ()
    emitted: tuple[Emitted, ...] = ()
    rules: tuple[CompiledRule, ...] = ()


def _name(index: int) -> str:
    """A rule's name in the engine; its variants' names start with it."""
    return f"r{index}"


def _paths_stage(c: _Compilation) -> _Compilation:
    ruleset, paths = desugar(c.ruleset)
    return dataclasses.replace(c, ruleset=ruleset, paths=paths)


def _encode_stage(c: _Compilation) -> _Compilation:
    return dataclasses.replace(c, schema=encode(c.ruleset))


def _order_stage(c: _Compilation) -> _Compilation:
    return dataclasses.replace(c, orders=tuple(order_clauses(r) for r in c.ruleset.rules))


def _anchor_stage(c: _Compilation) -> _Compilation:
    return dataclasses.replace(c, anchors=tuple(choose_anchor(r) for r in c.ruleset.rules))


def _emit_stage(c: _Compilation) -> _Compilation:
    assert c.schema is not None
    emitted = tuple(
        emit(rule, _name(i), order, c.ruleset.kinds, c.schema)
        for i, (rule, order) in enumerate(zip(c.ruleset.rules, c.orders, strict=True))
    )
    return dataclasses.replace(c, emitted=emitted)


def _share_stage(c: _Compilation) -> _Compilation:
    emitted = tuple(
        count_share(rule, order, e)
        for rule, order, e in zip(c.ruleset.rules, c.orders, c.emitted, strict=True)
    )
    return dataclasses.replace(c, emitted=emitted)


def _plan_stage(c: _Compilation) -> _Compilation:
    rules = tuple(
        _plan(rule, _name(i), order, anchor, e)
        for i, (rule, order, anchor, e) in enumerate(
            zip(c.ruleset.rules, c.orders, c.anchors, c.emitted, strict=True)
        )
    )
    return dataclasses.replace(c, rules=rules)


def _symmetry_stage(c: _Compilation) -> _Compilation:
    rules: list[CompiledRule] = []
    problems: list[Problem] = []
    for r in c.rules:
        try:
            found = symmetries(r.rule.match)
        except TooSymmetric:
            problems.append(
                located_at(
                    r.rule,
                    "too-symmetric",
                    f"its pattern maps onto itself in more than {MOST_SYMMETRIES} ways "
                    "(interchangeable people), and each match would be compared with each "
                    "of its images: give the people different specs or split the pattern",
                )
            )
            continue
        rules.append(dataclasses.replace(r, symmetries=found) if found else r)
    if problems:
        raise RulesetError(problems)
    return dataclasses.replace(c, rules=tuple(rules))


def _reads_stage(c: _Compilation) -> _Compilation:
    assert c.schema is not None
    if not c.schema.sections:
        return c
    return dataclasses.replace(
        c, schema=dataclasses.replace(c.schema, record_reads=record_reads(c.rules))
    )


#: The compiler's stages, run in this order by :func:`compile_ruleset` (module docstring).
STAGES: tuple[tuple[str, Callable[[_Compilation], _Compilation]], ...] = (
    ("paths", _paths_stage),
    ("encode", _encode_stage),
    ("order", _order_stage),
    ("anchor", _anchor_stage),
    ("emit", _emit_stage),
    ("share", _share_stage),
    ("plan", _plan_stage),
    ("symmetry", _symmetry_stage),
    ("reads", _reads_stage),
)


def compile_ruleset(
    ruleset: Ruleset, *, timings: MutableMapping[str, float] | None = None
) -> CompiledRuleset:
    """Compile every enabled rule of ``ruleset``.

    When ``timings`` is given, the seconds each stage took are added to it, by the
    stage's name in :data:`STAGES`.

    >>> from dualrel.rules.loader import load_ruleset
    >>> times: dict[str, float] = {}
    >>> c = compile_ruleset(load_ruleset("coaching-core"), timings=times)
    >>> "coaching" in c.schema.kinds
    True
    >>> list(times) == [name for name, _ in STAGES]
    True
    """
    c = _Compilation(ruleset)
    watch = Stopwatch(timings)
    for name, stage in STAGES:
        c = stage(c)
        watch.lap(name)
    assert c.schema is not None
    check_limits(ruleset, c.rules)
    return CompiledRuleset(ruleset=ruleset, rules=c.rules, schema=c.schema, paths=c.paths)


def _plan(rule: Rule, name: str, order: ClauseOrder, anchor: Anchor, e: Emitted) -> CompiledRule:
    """The ``plan`` stage for one rule: what the engine needs to run it."""
    match = rule.match
    ties, recs = match.ties, match.records
    plans = [
        ClausePlan(
            index=i,
            alias=order.tie_alias[i],
            kinds=ties[i].kinds,
            ends=ties[i].ends,
            exists=ties[i].exists,
            reach=reach(anchor, ties[i].ends),
        )
        for i in order.order
    ]
    negated = vetoable(rule) or any(t.absent for c in ties for t in c.attributes.values())
    anchor_alias, anchor_end = e.bindings[anchor.variable]
    if anchor_alias.startswith("c"):
        anchor_clause = ties[int(anchor_alias[1:])]
        anchor_kinds, anchor_directed = anchor_clause.kinds, anchor_clause.directed
    else:
        anchor_kinds, anchor_directed = (), True
    grouped = match.per is not None or match.count is not None or match.share is not None
    per = tuple(match.per if match.per is not None else match.people) if grouped else None
    limit = match.count or match.share
    # a clause's alias, or the variable itself when people are counted
    count_of = share_of = None
    if match.count is not None:
        count_of = order.alias_of.get(match.count.of, match.count.of)
    if match.share is not None:
        share_of = order.alias_of.get(match.share.of, match.share.of)
    count_person = match.count is not None and match.count.of in match.people
    share_person = match.share is not None and match.share.of in match.people
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
            RecordPlan(j, order.rec_alias[j], recs[j].section, recs[j].exists)
            for what, j in order.sequence
            if what == "r"
        ),
        bindings=e.bindings,
        evidence=tuple(order.tie_alias[i] for i in range(len(ties)) if ties[i].exists),
        record_evidence=tuple(order.rec_alias[j] for j, c in enumerate(recs) if c.exists),
        anchor=anchor.variable,
        anchor_alias=anchor_alias,
        anchor_end=anchor_end,
        anchor_kinds=anchor_kinds,
        anchor_directed=anchor_directed,
        walk_kinds=frozenset(k for c in ties if c.exists for k in c.kinds),
        radius=max((p.reach for p in plans), default=0),
        negated=negated,
        vetoable=vetoable(rule),
        variants=e.variants,
        record_filters=e.filters,
        per=per,
        count_of=count_of,
        at_least=int(at_least),
        share_of=share_of,
        more_than=more_than,
        counted_share=e.counted,
        count_person=count_person,
        share_person=share_person,
        count_alike=match.count.alike if match.count is not None else None,
    )
