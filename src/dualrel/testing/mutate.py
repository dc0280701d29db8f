"""Mutation check: small changes to each rule that the test cases should catch.

Each mutant changes one thing in one rule: its level one step down or up, a tie or record
clause dropped, a condition dropped (``active``, ``ended``, an attribute or field test, a
date condition), a window parameter or offset one day wider or narrower, a comparison
made strict or loose (``<`` and ``<=``, ``>`` and ``>=``), one kind of a clause replaced by
another, a direction flipped, a role dropped or replaced, a tested attribute or field
value changed, a ``count``/``share`` threshold one step higher or lower, or ``per`` given
one variable less or more.  A mutant is *killed* when at least one test case of the
ruleset fails against it; a surviving mutant is a change to the policy no test notices,
unless a case file accepts it as equivalent, with the reason no case can tell it apart.

Each mutant has an id, ``<rule>/<operator>-<n>`` (the n-th mutant of that operator of that
rule), which ``equivalent_mutants`` in a case file names.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from dualrel.findings import Finding
from dualrel.rules.compiler import compile_ruleset
from dualrel.rules.engine import evaluate
from dualrel.rules.loader import Rule, Ruleset, load_ruleset
from dualrel.rules.schema import CountSpec
from dualrel.testing import _mutations as edit
from dualrel.testing._cases import Case
from dualrel.testing._mutations import Change, Number
from dualrel.testing.runner import TestResults, check_case

__all__ = ["Mutant", "MutantResult", "MutationReport", "mutant_ids", "mutants", "run_mutants"]


@dataclass(frozen=True, slots=True)
class Mutant:
    """One small change to one rule; ``apply`` returns None where it does not apply."""

    rule: str
    # level-down, level-up, drop-clause, drop-condition, window, strictness, kind, direction,
    # role, value, threshold, per
    operator: str
    description: str
    apply: Change
    id: str = ""  # <rule>/<operator>-<n>, given by mutants()


@dataclass(frozen=True, slots=True)
class MutantResult:
    ruleset: str
    mutant: Mutant
    killed_by: str | None  # the first case that failed against the mutant
    accepted: str | None = None  # the reason a case file gives for its being equivalent

    @property
    def killed(self) -> bool:
        return self.killed_by is not None

    @property
    def survived(self) -> bool:
        """No case notices it, and no case file accepts it as equivalent."""
        return not self.killed and self.accepted is None

    @property
    def wrongly_accepted(self) -> bool:
        """Accepted as equivalent, yet a case tells it apart: the reason is wrong."""
        return self.killed and self.accepted is not None


@dataclass(frozen=True, slots=True)
class MutationReport:
    results: tuple[MutantResult, ...]

    @property
    def survivors(self) -> tuple[MutantResult, ...]:
        return tuple(r for r in self.results if r.survived)

    @property
    def accepted(self) -> tuple[MutantResult, ...]:
        """Mutants a case file accepts as equivalent (and no case kills)."""
        return tuple(r for r in self.results if r.accepted is not None and not r.killed)

    @property
    def wrongly_accepted(self) -> tuple[MutantResult, ...]:
        return tuple(r for r in self.results if r.wrongly_accepted)

    @property
    def ok(self) -> bool:
        return not self.survivors and not self.wrongly_accepted

    def counts(self) -> dict[str, tuple[int, int, int]]:
        """Per ruleset id: (mutants, killed, survived); accepted mutants are neither."""
        out: dict[str, tuple[int, int, int]] = {}
        for r in self.results:
            total, killed, survived = out.get(r.ruleset, (0, 0, 0))
            out[r.ruleset] = (total + 1, killed + r.killed, survived + r.survived)
        return out


# -- operators -------------------------------------------------------------------------------


def mutants(ruleset: Ruleset) -> list[Mutant]:
    """Every mutant of every rule of ``ruleset``, in rule order."""
    out: list[Mutant] = []
    kinds = dict(ruleset.kinds)
    for rule in ruleset.rules:
        rid = rule.id

        def add(operator: str, description: str, apply: Change, rid: str = rid) -> None:
            out.append(Mutant(rid, operator, description, apply))

        if rule.level > 1:
            add(
                "level-down",
                f"level {rule.level} -> {rule.level - 1}",
                lambda r: dataclasses.replace(r, level=r.level - 1),
            )
        if rule.level < 3:
            add(
                "level-up",
                f"level {rule.level} -> {rule.level + 1}",
                lambda r: dataclasses.replace(r, level=r.level + 1),
            )
        for j, clause in enumerate(rule.match.ties):
            label = clause.as_ or f"clause {j + 1}"
            if edit.drop_clause(j)(rule) is not None:
                add("drop-clause", f"drop the tie clause {label!r}", edit.drop_clause(j))
            if clause.active:
                add(
                    "drop-condition",
                    f"drop 'active: true' from {label!r}",
                    edit.replace_clause(j, edit.drop_key("active")),
                )
            if clause.ended is not None:
                add(
                    "drop-condition",
                    f"drop 'ended: {str(clause.ended).lower()}' from {label!r}",
                    edit.replace_clause(j, edit.drop_key("ended")),
                )
            for name in clause.attributes:
                add(
                    "drop-condition",
                    f"drop the test of attribute {name!r} from {label!r}",
                    edit.replace_clause(j, edit.drop_attribute(name)),
                )
            for k in clause.kinds:
                new = edit.substitute(k, clause, kinds)
                if new is not None:
                    add(
                        "kind",
                        f"{label!r}: kind {k} -> {new}",
                        edit.replace_clause(j, edit.kind(j, k, new)),
                    )
            if clause.directed:
                a, b = clause.ends
                add(
                    "direction",
                    f"{label!r}: from {a} to {b} -> from {b} to {a}",
                    edit.replace_clause(j, edit.direct(b, a)),
                )
            elif all(kinds.get(k, True) for k in clause.kinds):
                a, b = clause.ends
                add(
                    "direction",
                    f"{label!r}: either direction -> only from {a} to {b}",
                    edit.replace_clause(j, edit.direct(a, b)),
                )
                add(
                    "direction",
                    f"{label!r}: either direction -> only from {b} to {a}",
                    edit.replace_clause(j, edit.direct(b, a)),
                )
        for i, text in enumerate(rule.match.where):
            add("drop-condition", f"drop the date condition {text!r}", edit.drop_where(i))
            m = edit.OFFSET.search(text) if isinstance(text, str) else None
            if m is not None:
                off = m.group("offset")
                add("window", f"{text!r}: {off} one day larger", edit.window(i, +1))
                add("window", f"{text!r}: {off} one day smaller", edit.window(i, -1))
        _more_mutants(rule, ruleset, add)
    counter: dict[tuple[str, str], int] = {}
    numbered: list[Mutant] = []
    for mutant in out:
        key = (mutant.rule, mutant.operator)
        n = counter[key] = counter.get(key, 0) + 1
        numbered.append(dataclasses.replace(mutant, id=f"{mutant.rule}/{mutant.operator}-{n}"))
    return numbered


def mutant_ids(ruleset: Ruleset) -> list[str]:
    """The ids of every mutant of ``ruleset``: what ``equivalent_mutants`` may name."""
    return [m.id for m in mutants(ruleset)]


def _more_mutants(rule: Rule, ruleset: Ruleset, add: Callable[[str, str, Change], None]) -> None:
    """Comparison strictness, roles, tested values, thresholds, ``per`` and record clauses."""
    match = rule.match
    for i, text in enumerate(match.where):
        m = edit.COMPARISON.search(text) if isinstance(text, str) else None
        if m is not None:
            op = m.group(0)
            add("strictness", f"{text!r}: {op} -> {edit.FLIP[op]}", edit.strictness(i))
    for var, spec in match.people.items():
        if spec.roles:
            add("role", f"{var}: drop the roles {', '.join(spec.roles)}", edit.roles(var, None))
        others = sorted(set(ruleset.roles) - set(spec.roles))
        for role in spec.roles:
            if others:
                add(
                    "role", f"{var}: role {role} -> {others[0]}", edit.roles(var, (role, others[0]))
                )
    for j, clause in enumerate(match.ties):
        label = clause.as_ or f"clause {j + 1}"
        for name, test in clause.attributes.items():
            for description, change in edit.value_changes(test.model_dump(by_alias=True)):
                add(
                    "value",
                    f"{label!r}: attribute {name!r} {description}",
                    edit.replace_clause(j, edit.test_change("attributes", name, change)),
                )
    for j, record in enumerate(match.records):
        label = record.as_ or f"record clause {j + 1}"
        if edit.drop_record(j)(rule) is not None:
            add("drop-clause", f"drop the record clause {label!r}", edit.drop_record(j))
        for name, ftest in record.fields.items():
            add(
                "drop-condition",
                f"drop the test of field {name!r} from {label!r}",
                edit.replace_record(j, edit.drop_test("fields", name)),
            )
            for description, change in edit.value_changes(ftest.model_dump(by_alias=True)):
                add(
                    "value",
                    f"{label!r}: field {name!r} {description}",
                    edit.replace_record(j, edit.test_change("fields", name, change)),
                )
    for key, grouping in (("count", match.count), ("share", match.share)):
        if grouping is None:
            continue
        limit = grouping.at_least if isinstance(grouping, CountSpec) else grouping.more_than
        step: Number = 1 if key == "count" else edit.SHARE_STEP
        word = "at_least" if key == "count" else "more_than"
        for sign, way in ((1, "higher"), (-1, "lower")):
            add(
                "threshold",
                f"{key}: {word} {limit} one step {way}",
                edit.threshold(key, sign * step),
            )
    if match.per is not None:
        for var in match.per:
            if len(match.per) > 1:
                add("per", f"per: drop {var}", edit.per([v for v in match.per if v != var]))
        bound = {v for c in match.ties if c.exists for v in c.ends} | {
            v for r in match.records if r.exists for v in r.people.values()
        }
        for var in sorted(bound - set(match.per)):
            add("per", f"per: add {var}", edit.per([*match.per, var]))


# -- running ---------------------------------------------------------------------------------


class _Variants:
    """Each case's ruleset (with the case's parameters), loaded once."""

    def __init__(self) -> None:
        self.cache: dict[tuple[str, tuple[tuple[str, float], ...]], Ruleset] = {}

    def get(self, case: Case) -> Ruleset:
        key = (case.ruleset_ref, tuple(sorted(case.parameters.items())))
        if key not in self.cache:
            self.cache[key] = load_ruleset(
                case.ruleset_ref, parameters=dict(case.parameters) or None
            )
        return self.cache[key]


def _mutant_findings(ruleset: Ruleset, rule: Rule, case: Case) -> tuple[Finding, ...]:
    alone = dataclasses.replace(ruleset, rules=(rule,))
    return tuple(
        evaluate(case.registry, compile_ruleset(alone), as_of=case.registry.as_of).findings
    )


def run_mutants(
    results: TestResults,
    *,
    rulesets: Iterable[str] | None = None,
    on_result: Callable[[MutantResult], None] | None = None,
) -> MutationReport:
    """Run every mutant of every ruleset in ``results`` (which must all have passed)
    against that ruleset's cases.  A mutant that does not apply under a case's parameters
    leaves that case unchanged; known gaps kill nothing (they fail already).  A mutant a
    case file of the ruleset accepts as equivalent carries the reason given."""
    variants = _Variants()
    out: list[MutantResult] = []
    refs = list(results.rulesets) if rulesets is None else list(rulesets)
    for ref in refs:
        base = results.rulesets[ref]
        cases = [
            r for r in results.results if r.case.ruleset_ref == ref and r.case.known_gap is None
        ]
        accepted = {
            e.mutant: e.reason
            for f in results.files
            if f.ruleset_ref == ref
            for e in f.equivalent_mutants
        }
        for mutant in mutants(base):
            killer = _first_killer(mutant, cases, variants)
            res = MutantResult(base.id, mutant, killer, accepted.get(mutant.id))
            out.append(res)
            if on_result is not None:
                on_result(res)
    return MutationReport(tuple(out))


def _first_killer(mutant: Mutant, cases: Sequence[Any], variants: _Variants) -> str | None:
    # level changes need no evaluation: the same matches, another level
    for result in cases:
        case: Case = result.case
        ruleset = variants.get(case)
        try:
            rule = ruleset.rule(mutant.rule)
        except KeyError:
            continue
        changed = mutant.apply(rule)
        if changed is None:
            continue
        kept = [f for f in result.findings if f.rule != mutant.rule]
        if mutant.operator in ("level-down", "level-up"):
            new = [
                dataclasses.replace(f, level=changed.level)
                for f in result.findings
                if f.rule == mutant.rule
            ]
        else:
            new = list(_mutant_findings(ruleset, changed, case))
        if not check_case(case, kept + new).matched:
            return f"{case.where}  {case.name}"
    return None
