"""Comparing what two versions of a rule find, by search (``dualrel diff``'s semantic part).

:func:`compare_rules` asks, for one rule of the old policy and the rules of the new one
that take its place (the rule of the same id, or the rules it was split into): does the
new find a superset, a subset, the same, or neither, of the old one's matches?  A match is
who plays which part (a finding's subjects).  The answer is searched for, not proved: the
registries tried are those :func:`~dualrel.testing.registries_matching` plants for each
rule, the same planted with dates that break one date condition of the other side's rule
(a moved window shows between the two bounds), and random registries of the kinds the
rules read, drawn by hypothesis with a fixed seed (the same registries on every run).
Each direction in which the two differ comes with the smallest registry found that shows
it (shrunk by hypothesis), written as a test case in the format of
``docs/policy-testing.md``, ready to paste into the new ruleset's tests.

>>> from dualrel.rules import load_ruleset
>>> old, new = load_ruleset("coaching-core"), load_ruleset("counselling-windows")
>>> c = compare_rules(old, "romance-former-client", new, "romance-former-client")
>>> c.verdict, [w.direction for w in c.witnesses]
('superset', ['new-only'])
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, Literal

import yaml
from hypothesis import HealthCheck, Verbosity, find, settings
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample

from dualrel.errors import InvalidArgument
from dualrel.findings import Finding
from dualrel.graph.model import Registry
from dualrel.rules.compiler import compile_ruleset
from dualrel.rules.engine import evaluate
from dualrel.rules.loader import Rule, Ruleset
from dualrel.rules.plan import CompiledRuleset
from dualrel.testing._pattern import constraints, date_attributes, positive
from dualrel.testing._strategies.planted import registries_avoiding
from dualrel.testing.strategies import plantable, registries, registries_matching, registry_json

__all__ = [
    "DEFAULT_EXAMPLES",
    "DEFAULT_SEED",
    "Direction",
    "Match",
    "SemanticComparison",
    "Verdict",
    "Witness",
    "compare_rules",
    "witness_case",
]

#: Registries tried in each direction when not told otherwise: a few seconds a comparison.
DEFAULT_EXAMPLES = 100
DEFAULT_SEED = 0

#: ``old-only``: the old rule finds a match the new rules do not; ``new-only``: the reverse.
Direction = Literal["old-only", "new-only"]
#: ``superset``: the new rules find every match the old one finds, and more.
Verdict = Literal["same", "superset", "subset", "neither", "not-compared"]

_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

#: One match: the rule's variables and the people bound to them, sorted by variable.
Match = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Witness:
    """The smallest registry found on which the old and new rules differ one way.

    ``old`` and ``new`` are the matches each finds there; ``case`` is the registry as a
    test case of the new ruleset, pinning what the new rules find; ``tried`` is how many
    registries were drawn before the first one that differs (shrinking not counted).
    """

    direction: Direction
    registry: Registry
    old: tuple[Match, ...]
    new: tuple[Match, ...]
    case: str
    tried: int


@dataclass(frozen=True, slots=True)
class SemanticComparison:
    """What the new rules find compared with the old rule, and how that was established.

    Up to ``examples`` registries were tried in each direction with ``seed``: a verdict
    of ``same`` means only that none of them showed a difference (a search, not a proof).
    ``reason`` says why a pair was not compared.
    """

    old_rule: str
    new_rules: tuple[str, ...]
    verdict: Verdict
    examples: int
    seed: int
    witnesses: tuple[Witness, ...] = ()
    reason: str = ""
    #: registries tried in each direction (old-only, new-only): all of them when no
    #: difference showed, else those drawn until the first one that differs
    tried: tuple[int, int] = (0, 0)

    def witness(self, direction: Direction) -> Witness | None:
        """The witness of ``direction``, if the search found one."""
        return next((w for w in self.witnesses if w.direction == direction), None)


def _alone(ruleset: Ruleset, rules: Sequence[Rule]) -> Ruleset:
    # the rules compared, without what they supersede: each is judged on its own matches
    return replace(ruleset, rules=tuple(replace(r, supersedes=()) for r in rules))


def _rules(ruleset: Ruleset, refs: str | Rule | Sequence[str | Rule]) -> list[Rule]:
    wanted = [refs] if isinstance(refs, str | Rule) else list(refs)
    try:
        return [ruleset.rule(r) if isinstance(r, str) else r for r in wanted]
    except KeyError as exc:
        raise InvalidArgument(str(exc.args[0])) from None


def _matches(findings: Sequence[Finding]) -> frozenset[Match]:
    return frozenset(tuple(sorted(f.subjects.items())) for f in findings)


class _Pair:
    """The compiled old rule and new rules, evaluated side by side on one registry."""

    def __init__(self, old: Ruleset, new: Ruleset) -> None:
        self.old = old
        self.new = new
        self.old_compiled: CompiledRuleset = compile_ruleset(old)
        self.new_compiled: CompiledRuleset = compile_ruleset(new)
        # a registry both directions draw is evaluated once
        self.seen: dict[str, tuple[frozenset[Match], frozenset[Match]]] = {}

    def findings(self, registry: Registry) -> tuple[tuple[Finding, ...], tuple[Finding, ...]]:
        return (
            tuple(evaluate(registry, self.old_compiled).findings),
            tuple(evaluate(registry, self.new_compiled).findings),
        )

    def differs(self, registry: Registry, direction: Direction) -> bool:
        key = registry_json(registry)
        if key not in self.seen:
            old_f, new_f = self.findings(registry)
            self.seen[key] = (_matches(old_f), _matches(new_f))
        old, new = self.seen[key]
        return bool(old - new) if direction == "old-only" else bool(new - old)


def _strategy(pair: _Pair, direction: Direction, as_of: date) -> st.SearchStrategy[Registry]:
    """Registries planted with each rule's pattern, and random ones of the kinds they read.
    The side that should find more comes first, planted outside the other side's date
    conditions (:func:`_outside`), then planted twice as often as the other: its extra
    match is most often an instance of its own pattern."""
    kinds = sorted(
        {k for rs in (pair.old, pair.new) for r in rs.rules for c in r.match.ties for k in c.kinds}
    )
    extra = {**pair.old.kinds, **pair.new.kinds}

    def planted(rs: Ruleset) -> list[st.SearchStrategy[Registry]]:
        # each rule from a ruleset of its own: two forms of one rule share its id
        return [
            registries_matching(
                _alone(rs, [r]), r.id, max_extra_people=3, max_noise_ties=6, as_of=as_of
            )
            for r in rs.rules
        ]

    more, less = (pair.old, pair.new) if direction == "old-only" else (pair.new, pair.old)
    noise = registries(
        max_people=6, max_ties=12, kinds=kinds or ["romance"], as_of=as_of, extra_kinds=extra
    )
    return st.one_of(
        *_outside(more, less, as_of), *planted(more), *planted(more), *planted(less), noise
    )


def _layout(rule: Rule) -> tuple[object, ...]:
    # the date variables of a pattern: its positive clauses' names and the attributes read
    # as dates; two patterns of one layout number their date variables alike
    return (tuple(c.as_ for c in positive(rule)), tuple(date_attributes(rule)))


def _outside(more: Ruleset, less: Ruleset, as_of: date) -> list[st.SearchStrategy[Registry]]:
    """Registries planted with a rule of ``more`` whose dates break one date condition of
    a rule of ``less`` with the same date variables (a window moved: the dates between the
    two bounds), for each condition that can be broken so."""
    out: list[st.SearchStrategy[Registry]] = []
    for rule in more.rules:
        mine = set(constraints(rule, as_of))
        for other in less.rules:
            if _layout(other) != _layout(rule):
                continue
            for a, b, c in constraints(other, as_of):
                if (a, b, c) in mine:
                    continue
                try:
                    out.append(
                        registries_avoiding(
                            _alone(more, [rule]),
                            rule,
                            [(b, a, -c - 1)],  # not x[a] - x[b] <= c
                            max_extra_people=2,
                            max_noise_ties=3,
                            as_of=as_of,
                        )
                    )
                except InvalidArgument:
                    continue  # the rule's own conditions forbid breaking this one
    return out


def _search(
    pair: _Pair, direction: Direction, examples: int, seed: int, as_of: date
) -> tuple[Registry | None, int]:
    calls = [0, 0]  # registries tried; tried when the first difference showed

    def condition(registry: Registry) -> bool:
        calls[0] += 1
        hit = pair.differs(registry, direction)
        if hit and not calls[1]:
            calls[1] = calls[0]
        return hit

    config = settings(
        max_examples=examples,
        database=None,
        deadline=None,
        derandomize=True,
        verbosity=Verbosity.quiet,
        suppress_health_check=list(HealthCheck),
    )
    try:
        found: Registry = find(
            _strategy(pair, direction, as_of),
            condition,
            settings=config,
            random=random.Random(seed),
        )
    except NoSuchExample:
        return None, calls[0]
    return found, calls[1]


def compare_rules(
    old: Ruleset,
    old_rules: str | Rule | Sequence[str | Rule],
    new: Ruleset,
    new_rules: str | Rule | Sequence[str | Rule],
    *,
    examples: int = DEFAULT_EXAMPLES,
    seed: int = DEFAULT_SEED,
    as_of: date = date(2026, 1, 1),
) -> SemanticComparison:
    """Compare the matches of ``old_rules`` (rules of ``old``, by id or as loaded: the old
    rule, or the forms of it that composed rulesets bring) with those of ``new_rules``
    (rules of ``new``, together): up to ``examples`` registries in each direction, drawn
    with ``seed``, dated around ``as_of``.

    Raises :class:`~dualrel.errors.InvalidArgument` for an unknown rule or a bad count.
    """
    if isinstance(examples, bool) or not isinstance(examples, int) or examples < 1:
        raise InvalidArgument(f"examples={examples!r} must be a positive integer")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise InvalidArgument(f"seed={seed!r} must be an integer")
    before = _rules(old, old_rules)
    after = _rules(new, new_rules)
    if not before:
        raise InvalidArgument("old_rules: give at least one rule")
    name = f"{before[0].origin.id}/{before[0].id}"
    names = tuple(dict.fromkeys(f"{r.origin.id}/{r.id}" for r in after))
    if not after:
        return SemanticComparison(name, names, "not-compared", 0, seed, reason="no new rule")
    unplantable = [r for r in (*before, *after) if not plantable(r)]
    if unplantable:
        return SemanticComparison(
            name,
            names,
            "not-compared",
            0,
            seed,
            reason=f"{unplantable[0].id} reads practice records or groups matches (per, count, "
            "share): the search plants ties only, so its test cases must show the difference",
        )
    pair = _Pair(_alone(old, before), _alone(new, after))
    witnesses: list[Witness] = []
    counts: list[int] = []
    for direction in ("old-only", "new-only"):
        found, tried = _search(pair, direction, examples, seed, as_of)
        counts.append(tried)
        if found is not None:
            old_f, new_f = pair.findings(found)
            witnesses.append(
                Witness(
                    direction,
                    found,
                    tuple(sorted(_matches(old_f))),
                    tuple(sorted(_matches(new_f))),
                    witness_case(found, new_f, direction, before[0], after),
                    tried,
                )
            )
    directions = {w.direction for w in witnesses}
    verdict: Verdict = (
        "neither"
        if len(directions) == 2
        else "subset"
        if "old-only" in directions
        else "superset"
        if "new-only" in directions
        else "same"
    )
    return SemanticComparison(
        name, names, verdict, examples, seed, tuple(witnesses), tried=(counts[0], counts[1])
    )


def _scalar(value: Any) -> str:
    """A value as YAML reads it back: plain when it reads back as itself, else quoted."""
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        if _ISO_DATE.fullmatch(value) or (_PLAIN.fullmatch(value) and _reads_as(value)):
            return value
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_scalar(v) for v in value) + "]"
    if isinstance(value, dict):
        return _flow(value)
    return json.dumps(str(value), ensure_ascii=False)


def _reads_as(text: str) -> bool:
    return bool(yaml.safe_load(text) == text)


def _flow(value: Mapping[str, Any]) -> str:
    # one flow mapping a line, as the guide writes cases
    return "{" + ", ".join(f"{_scalar(k)}: {_scalar(v)}" for k, v in value.items()) + "}"


def witness_case(
    registry: Registry,
    new_findings: Sequence[Finding],
    direction: Direction,
    old_rule: Rule,
    new_rules: Sequence[Rule],
) -> str:
    """``registry`` as a case file for the new ruleset's tests: it expects what the new
    rules find there (``only: false``: other rules may fire too) and, when they find
    nothing, says they must not fire (``absent``)."""
    ids = sorted({r.id for r in new_rules})
    if direction == "old-only":
        what = f"{old_rule.id} used to find a match here that the new policy does not"
    else:
        what = f"the new policy finds a match here that {old_rule.id} did not"
    as_of = registry.as_of.isoformat() if registry.as_of is not None else None
    lines = [f"as_of: {as_of}" if as_of else "", "cases:", f"  - name: {json.dumps(what)}"]
    lines += ["    people:"]
    for p in registry.people:
        person: dict[str, Any] = {"id": p.id}
        if p.roles:
            person["roles"] = list(p.roles)
        lines.append(f"      - {_flow(person)}")
    lines.append("    ties:" if registry.ties else "    ties: []")
    for t in registry.ties:
        tie: dict[str, Any] = {"id": t.id, "kind": t.kind, "source": t.source, "target": t.target}
        if t.start is not None:
            tie["start"] = t.start.isoformat()
        if t.end is not None:
            tie["end"] = t.end.isoformat()
        if t.attributes:
            tie["attributes"] = dict(t.attributes)
        lines.append(f"      - {_flow(tie)}")
    # two forms of one rule (composed rulesets) may find one match: expect it once
    unique = {(f.rule, tuple(sorted(f.subjects.items()))): f for f in new_findings}
    mine = sorted(
        (f for f in unique.values() if f.rule in ids),
        key=lambda f: (f.rule, sorted(f.subjects.items())),
    )
    if mine:
        lines.append("    expect:")
        for f in mine:
            expected = {
                "rule": f.rule,
                "subjects": dict(sorted(f.subjects.items())),
                "level": f.level,
            }
            lines.append(f"      - {_flow(expected)}")
    else:
        lines += ["    expect: []", f"    absent: {_scalar(ids)}"]
    lines.append("    only: false")
    return "\n".join(line for line in lines if line) + "\n"
