"""Built-in properties every ruleset must have, checked with hypothesis.

``dualrel test --properties`` runs them; :func:`check_properties` is the Python API.

- ``determinism``: the same registry twice gives the same findings;
- ``invariance``: renaming people and ties and shuffling the input changes only the ids;
- ``satisfiability``: every rule fires on :func:`~dualrel.testing.registries_matching`;
- ``evidence``: every finding's evidence ties exist and join its subjects as the pattern
  says (kinds, directions, activity, attributes, date conditions, no negated tie);
- ``monotonicity``: for rules without negated clauses or ``absent`` tests, adding ties never
  removes a finding;
- ``escalation``: every finding has its rule's level and severity (after overrides), and
  remediation due dates are the evaluation date plus ``within_days``;
- ``incremental``: a :class:`~dualrel.Monitor` fed the ties one by one, in any order, then
  some of them removed, ends with the findings of a batch evaluation.

They are checked on the rules over ties (see :func:`~dualrel.testing.strategies.plantable`);
rules that read practice records, group matches or have paths are left to their test cases, and
:func:`unchecked_rules` names them with the reason.  A rule whose date conditions
contradict each other can never fire: ``satisfiability`` fails once for it, naming the
conditions, and the other properties check the remaining rules.

A failure carries the shrunk registry, printable as a file ``dualrel check`` reads.

>>> results = check_properties("coaching-core", max_examples=5, properties=["escalation"])
>>> [(r.name, r.passed) for r in results]
[('escalation', True)]
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Verbosity, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

from dualrel._internal.datebounds import bounds, conflict
from dualrel.errors import InvalidArgument
from dualrel.findings import Finding
from dualrel.graph.model import Registry, Tie
from dualrel.rules.compiler import compile_ruleset
from dualrel.rules.engine import evaluate
from dualrel.rules.loader import Rule, Ruleset, load_ruleset
from dualrel.rules.monitor import Monitor
from dualrel.rules.plan import CompiledRuleset
from dualrel.testing._pattern import clause_holds, ends_fit, positive, vetoed, where_holds
from dualrel.testing.strategies import (
    plantable,
    registries,
    registries_matching,
    registry_json,
    ties,
)

__all__ = [
    "PROPERTIES",
    "PropertyFailure",
    "PropertyResult",
    "UncheckedRule",
    "check_properties",
    "format_property_result",
    "unchecked_rules",
]

#: The built-in properties, in the order they run.
PROPERTIES = (
    "determinism",
    "invariance",
    "satisfiability",
    "evidence",
    "monotonicity",
    "escalation",
    "incremental",
)
DEFAULT_EXAMPLES = 50

#: Whether ``incremental`` also removes some ties through ``Monitor.remove_tie``.
_REMOVE_TIES = True


class PropertyFailure(AssertionError):
    """A property does not hold; ``registry`` is the example that shows it."""

    def __init__(self, message: str, registry: Registry | None = None) -> None:
        super().__init__(message)
        self.registry = registry


@dataclass(frozen=True, slots=True)
class PropertyResult:
    """One property of one ruleset: held, or broke on the (shrunk) ``example``."""

    name: str
    ruleset: str
    passed: bool
    examples: int
    message: str = ""
    example: Registry | None = None
    saved: str | None = None


@dataclass(frozen=True, slots=True)
class UncheckedRule:
    """A rule the properties do not check, and why; ``never_fires`` when its date
    conditions contradict each other (a failure, reported once)."""

    ruleset: str
    rule: str
    reason: str
    never_fires: bool = False


def unchecked_rules(ruleset: Ruleset) -> tuple[UncheckedRule, ...]:
    """The rules of ``ruleset`` that :func:`check_properties` leaves out, with the reason.

    >>> [u.rule for u in unchecked_rules(load_ruleset("coaching-core"))]
    []
    """
    out: list[UncheckedRule] = []
    for rule in ruleset.rules:
        m = rule.match
        if not plantable(rule):
            if m.records:
                why = "it reads practice records (the properties plant ties only)"
            elif m.per is not None or m.count is not None or m.share is not None:
                why = "it groups matches (per, count or share; the properties take each match"
                why += " as a finding)"
            else:
                why = "registries_matching cannot plant its pattern"
            out.append(UncheckedRule(ruleset.id, rule.id, why + ": its cases check it"))
            continue
        found = bounds(m, rule.parameters)
        cycle = conflict(1 + 2 * len(positive(rule)), [b.constraint for b in found])
        if cycle is not None:
            named = "; ".join(dict.fromkeys(found[i].label for i in cycle))
            out.append(
                UncheckedRule(
                    ruleset.id,
                    rule.id,
                    f"its date conditions contradict each other, so it can never fire: {named}",
                    never_fires=True,
                )
            )
    return tuple(out)


_Key = tuple[str, tuple[tuple[str, str], ...], tuple[str, ...]]


def _key(f: Finding) -> _Key:
    return (f.rule, tuple(sorted(f.subjects.items())), f.evidence)


def _describe(keys: Iterable[_Key]) -> str:
    return "; ".join(f"{r} {dict(s)} evidence {list(e)}" for r, s, e in sorted(keys)) or "none"


class _Checker:
    def __init__(self, ruleset: Ruleset, max_examples: int, seed: int) -> None:
        # the properties are stated over patterns of ties; rules that read practice
        # records or group matches are held to their cases and to the engine-vs-oracle
        # differential tests (a Monitor does not take them, and a share is not monotone);
        # so are rules with paths: the chain a finding lists depends on tie ids, a new tie
        # can shorten a chain below min_hops, and a Monitor does not take them
        ruleset = replace(
            ruleset, rules=tuple(r for r in ruleset.rules if plantable(r) and not r.match.paths)
        )
        self.ruleset = ruleset
        self.compiled: CompiledRuleset = compile_ruleset(ruleset)
        self.max_examples = max_examples
        self.seed = seed
        self.read_kinds = sorted({k for r in ruleset.rules for c in r.match.ties for k in c.kinds})
        self.extra_kinds = dict(ruleset.kinds)

    # -- strategies -------------------------------------------------------------------------

    def any_registry(self) -> st.SearchStrategy[Registry]:
        rules = [r.id for r in self.ruleset.rules]
        random_ones = registries(
            max_people=6,
            max_ties=12,
            kinds=self.read_kinds or ["romance"],
            extra_kinds=self.extra_kinds,
        )
        if not rules:
            return random_ones
        planted = st.sampled_from(rules).flatmap(
            lambda rid: registries_matching(self.ruleset, rid, max_extra_people=3, max_noise_ties=6)
        )
        return st.one_of(planted, random_ones)

    def run(
        self,
        strategy: st.SearchStrategy[Any],
        check: Callable[[Any], None],
        examples: int | None = None,
    ) -> tuple[bool, str, Registry | None]:
        failing: list[Registry | None] = [None]

        def body(value: Any) -> None:
            try:
                check(value)
            except PropertyFailure as exc:
                failing[0] = exc.registry
                raise

        test = hypothesis_seed(self.seed)(
            settings(
                max_examples=examples or self.max_examples,
                database=None,
                deadline=None,
                verbosity=Verbosity.quiet,
                print_blob=False,
                suppress_health_check=list(HealthCheck),
            )(given(strategy)(body))
        )
        try:
            test()
        except PropertyFailure as exc:
            return False, str(exc), exc.registry or failing[0]
        except InvalidArgument as exc:
            return False, str(exc), None
        return True, "", None

    def findings(self, registry: Registry) -> tuple[Finding, ...]:
        return tuple(evaluate(registry, self.compiled).findings)

    # -- properties -------------------------------------------------------------------------

    def determinism(self) -> tuple[bool, str, Registry | None]:
        def check(reg: Registry) -> None:
            first = self.findings(reg)
            again = self.findings(reg)
            fresh = evaluate(reg, compile_ruleset(self.ruleset)).findings
            if not first == again == fresh:
                raise PropertyFailure(
                    f"two evaluations differ: {_describe(map(_key, first))} / "
                    f"{_describe(map(_key, again))} / {_describe(map(_key, fresh))}",
                    reg,
                )

        return self.run(self.any_registry(), check)

    def invariance(self) -> tuple[bool, str, Registry | None]:
        @st.composite
        def renamed(draw: Any) -> tuple[Registry, Registry, dict[str, str], dict[str, str]]:
            reg = draw(self.any_registry())
            pnew = draw(st.permutations(range(len(reg.people))))
            tnew = draw(st.permutations(range(len(reg.ties))))
            pmap = {p.id: f"person-{n}" for p, n in zip(reg.people, pnew, strict=True)}
            tmap = {t.id: f"tie-{n}" for t, n in zip(reg.ties, tnew, strict=True)}
            people = [replace(p, id=pmap[p.id]) for p in reg.people]
            ties_ = [
                replace(t, id=tmap[t.id], source=pmap[t.source], target=pmap[t.target])
                for t in reg.ties
            ]
            people = draw(st.permutations(people))
            ties_ = draw(st.permutations(ties_))
            other = Registry(tuple(people), tuple(ties_), reg.as_of, kinds=reg.kinds)
            return reg, other, pmap, tmap

        # a symmetric pattern reports each match in the ordering of the smallest person
        # ids, which renaming may change: compare its findings as unordered
        symmetric = {r.rule.id for r in self.compiled.rules if r.symmetries}

        def unordered(key: _Key) -> _Key:
            rule, subjects, evidence = key
            if rule not in symmetric:
                return key
            return (
                rule,
                tuple(("", p) for p in sorted(p for _, p in subjects)),
                tuple(sorted(evidence)),
            )

        def check(value: tuple[Registry, Registry, dict[str, str], dict[str, str]]) -> None:
            reg, other, pmap, tmap = value
            pback = {v: k for k, v in pmap.items()}
            tback = {v: k for k, v in tmap.items()}
            want = sorted((unordered(_key(f)), f.level, f.severity) for f in self.findings(reg))
            got = sorted(
                (
                    unordered(
                        (
                            f.rule,
                            tuple(sorted((k, pback[v]) for k, v in f.subjects.items())),
                            tuple(tback[t] for t in f.evidence),
                        )
                    ),
                    f.level,
                    f.severity,
                )
                for f in self.findings(other)
            )
            if want != got:
                raise PropertyFailure(
                    f"renaming and shuffling changed the findings: before "
                    f"{_describe(k for k, _, _ in want)}; after, renamed back, "
                    f"{_describe(k for k, _, _ in got)}",
                    reg,
                )

        return self.run(renamed(), check)

    def satisfiability(self) -> tuple[bool, str, Registry | None]:
        examples = max(5, self.max_examples // 5)
        for rule in self.ruleset.rules:

            def check(reg: Registry, rule: Rule = rule) -> None:
                if not any(f.rule == rule.id for f in self.findings(reg)):
                    raise PropertyFailure(
                        f"rule {rule.id!r} did not fire on a registry planted with its own pattern",
                        reg,
                    )

            try:
                strategy = registries_matching(self.ruleset, rule.id)
            except InvalidArgument as exc:
                return False, str(exc), None
            ok, message, example = self.run(strategy, check, examples)
            if not ok:
                return ok, message, example
        return True, "", None

    def evidence(self) -> tuple[bool, str, Registry | None]:
        def check(reg: Registry) -> None:
            as_of = reg.as_of
            assert as_of is not None
            by_id = {t.id: t for t in reg.ties}
            roles = {p.id: set(p.roles) for p in reg.people}
            for f in self.findings(reg):
                problem = self._evidence_problem(f, by_id, roles, reg, as_of)
                if problem:
                    raise PropertyFailure(f"finding {_describe([_key(f)])}: {problem}", reg)

        return self.run(self.any_registry(), check)

    def _evidence_problem(
        self,
        f: Finding,
        by_id: dict[str, Tie],
        roles: dict[str, set[str]],
        reg: Registry,
        as_of: Any,
    ) -> str | None:
        rule = self.ruleset.rule(f.rule)
        clauses = positive(rule)
        if len(f.evidence) != len(clauses):
            return f"{len(f.evidence)} evidence ties for {len(clauses)} tie clauses"
        missing = [t for t in f.evidence if t not in by_id]
        if missing:
            return f"evidence ties {missing} are not in the registry"
        bound = {v for c in clauses for v in c.ends}
        if set(f.subjects) != bound:
            return f"subjects {sorted(f.subjects)} are not the variables {sorted(bound)}"
        if len(set(f.subjects.values())) != len(f.subjects):
            return "two variables are the same person"
        for var, person in f.subjects.items():
            want = rule.match.people[var].roles
            if want and not roles.get(person, set()) & set(want):
                return f"{var}={person} has none of the roles {want}"
        evidence = [by_id[t] for t in f.evidence]
        for clause, tie in zip(clauses, evidence, strict=True):
            a, b = clause.ends
            if not clause_holds(clause, tie, as_of):
                return f"tie {tie.id} does not pass the tests of clause {clause.as_ or a + '-' + b}"
            if not ends_fit(clause, tie, f.subjects[a], f.subjects[b], reg.kinds):
                return (
                    f"tie {tie.id} ({tie.source} -> {tie.target}) does not join "
                    f"{a}={f.subjects[a]} and {b}={f.subjects[b]} as the clause says"
                )
        if not where_holds(rule, evidence, as_of):
            return "the evidence ties' dates break a date condition"
        if vetoed(rule, reg, f.subjects, as_of, evidence):
            return "a tie that a negated clause forbids exists"
        return None

    def monotonicity(self) -> tuple[bool, str, Registry | None]:
        rules = {
            r.id
            for r in self.ruleset.rules
            if not any(
                not c.exists or any(t.absent for t in c.attributes.values()) for c in r.match.ties
            )
        }
        if not rules:
            return True, "no rule without negation or absence tests", None

        @st.composite
        def grown(draw: Any) -> tuple[Registry, Registry]:
            reg = draw(self.any_registry())
            ids = [p.id for p in reg.people]
            extra = draw(
                st.lists(
                    ties(
                        ids,
                        kinds=self.read_kinds,
                        as_of=reg.as_of or date(2026, 1, 1),
                        extra_kinds=self.extra_kinds,
                    ),
                    min_size=1,
                    max_size=4,
                )
            )
            more = tuple(replace(t, id=f"added{i + 1}") for i, t in enumerate(extra))
            return reg, replace(reg, ties=reg.ties + more)

        def check(value: tuple[Registry, Registry]) -> None:
            reg, bigger = value
            before = {_key(f) for f in self.findings(reg) if f.rule in rules}
            after = {_key(f) for f in self.findings(bigger) if f.rule in rules}
            lost = before - after
            if lost:
                added = [t.id for t in bigger.ties[len(reg.ties) :]]
                raise PropertyFailure(f"adding ties {added} removed {_describe(lost)}", bigger)

        return self.run(grown(), check)

    def escalation(self) -> tuple[bool, str, Registry | None]:
        def check(reg: Registry) -> None:
            report = evaluate(reg, self.compiled)
            for f in report.findings:
                rule = self.ruleset.rule(f.rule)
                if (f.level, f.severity) != (rule.level, rule.severity):
                    raise PropertyFailure(
                        f"finding {_describe([_key(f)])} has level {f.level} and severity "
                        f"{f.severity}; its rule says {rule.level} and {rule.severity}",
                        reg,
                    )
                steps = [(s.action, s.due) for s in f.remediation]
                want = [
                    (s.action, report.as_of + timedelta(days=s.within_days))
                    for s in rule.remediation
                ]
                if steps != want:
                    raise PropertyFailure(
                        f"finding {_describe([_key(f)])}: remediation {steps} is not the "
                        f"rule's {want}",
                        reg,
                    )

        return self.run(self.any_registry(), check)

    def incremental(self) -> tuple[bool, str, Registry | None]:
        @st.composite
        def story(draw: Any) -> tuple[Registry, list[Tie], list[str]]:
            reg = draw(self.any_registry())
            order = draw(st.permutations(list(reg.ties)))
            removed = (
                draw(st.lists(st.sampled_from([t.id for t in reg.ties]), unique=True, max_size=3))
                if reg.ties and _REMOVE_TIES
                else []
            )
            return reg, list(order), removed

        def check(value: tuple[Registry, list[Tie], list[str]]) -> None:
            reg, order, removed = value
            empty = replace(reg, ties=())
            monitor = Monitor(self.compiled, empty)
            try:
                for tie in order:
                    monitor.add_tie(tie)
                for tid in removed:
                    monitor.remove_tie(tid)
                got = {(_key(f), f.level, f.fingerprint) for f in monitor.findings()}
            finally:
                monitor.close()
            final = replace(reg, ties=tuple(t for t in reg.ties if t.id not in removed))
            want = {(_key(f), f.level, f.fingerprint) for f in self.findings(final)}
            if got != want:
                raise PropertyFailure(
                    f"after adding every tie and removing {removed}, the Monitor has "
                    f"{_describe(k for k, _, _ in got)}; a batch evaluation has "
                    f"{_describe(k for k, _, _ in want)}",
                    reg,
                )

        return self.run(story(), check)


def check_properties(
    ruleset: str | os.PathLike[str] | Ruleset,
    *,
    seed: int = 0,
    max_examples: int | None = None,
    properties: Sequence[str] | None = None,
    save_failures: str | os.PathLike[str] | None = None,
) -> tuple[PropertyResult, ...]:
    """Check the built-in properties of ``ruleset`` (a name, path or loaded ruleset).

    ``seed`` and ``max_examples`` (default 50 per property) make the run repeatable;
    ``properties`` picks some of :data:`PROPERTIES`; ``save_failures`` is a folder where
    each failing property's shrunk registry is written as ``<ruleset>-<property>.json``.
    """
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise InvalidArgument(f"seed={seed!r} must be an integer")
    examples = DEFAULT_EXAMPLES if max_examples is None else max_examples
    if isinstance(examples, bool) or not isinstance(examples, int) or examples < 1:
        raise InvalidArgument(f"max_examples={max_examples!r} must be a positive integer")
    names = list(PROPERTIES if properties is None else properties)
    unknown = [n for n in names if n not in PROPERTIES]
    if unknown or isinstance(properties, str):
        raise InvalidArgument(
            f"properties={properties!r}: give a list of names among {', '.join(PROPERTIES)}"
        )
    rs = (
        ruleset
        if isinstance(ruleset, Ruleset)
        else load_ruleset(ruleset if isinstance(ruleset, str) else Path(ruleset))
    )
    unchecked = unchecked_rules(rs)
    never = [u for u in unchecked if u.never_fires]
    left_out = {u.rule for u in never}
    checker = _Checker(
        replace(rs, rules=tuple(r for r in rs.rules if r.id not in left_out)), examples, seed
    )
    out: list[PropertyResult] = []
    for name in names:
        if name == "satisfiability" and never:
            # one failure naming each rule that can never fire, not one per property
            message = "; ".join(f"rule {u.rule!r}: {u.reason}" for u in never)
            out.append(PropertyResult(name, rs.id, False, examples, message))
            continue
        ok, message, example = getattr(checker, name)()
        saved = None
        if not ok and example is not None and save_failures is not None:
            folder = Path(save_failures)
            folder.mkdir(parents=True, exist_ok=True)
            saved = str(folder / f"{rs.id}-{name}.json")
            folder.joinpath(f"{rs.id}-{name}.json").write_text(registry_json(example))
        out.append(PropertyResult(name, rs.id, ok, examples, message, example, saved))
    return tuple(out)


def format_property_result(result: PropertyResult) -> str:
    """``PASS name (ruleset)``, or the failure with the shrunk registry as JSON."""
    head = f"  {'PASS' if result.passed else 'FAIL'}  {result.ruleset}  {result.name}"
    if result.passed:
        return head + (f"  ({result.message})" if result.message else "")
    lines = [head, f"      {result.message}"]
    if result.example is not None:
        lines.append(
            "      smallest registry that shows it"
            + (
                f" (saved as {result.saved}; run dualrel check on it):"
                if result.saved
                else " (dualrel check reads it as a .json file):"
            )
        )
        lines += ["        " + line for line in registry_json(result.example).splitlines()]
    return "\n".join(lines)
