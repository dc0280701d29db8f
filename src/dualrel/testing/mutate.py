"""Mutation check: small changes to each rule that the test cases should catch.

Each mutant changes one thing in one rule: its level one step down or up, a tie clause
dropped, a condition dropped (``active``, ``ended``, an attribute test, a date condition),
a window parameter or offset one day wider or narrower, one kind of a clause replaced by
another, or a direction flipped.  A mutant is *killed* when at least one test case of the
ruleset fails against it; a surviving mutant is a change to the policy no test notices.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from dualrel.findings import Finding
from dualrel.rules.compiler import compile_ruleset
from dualrel.rules.conditions import clauses_of, field_kinds, parse_condition
from dualrel.rules.engine import evaluate
from dualrel.rules.loader import Rule, Ruleset, load_ruleset
from dualrel.rules.schema import AnyOf, Match, TieClause
from dualrel.testing._cases import Case
from dualrel.testing.runner import TestResults, check_case

__all__ = ["Mutant", "MutantResult", "MutationReport", "mutants", "run_mutants"]

Change = Callable[[Rule], Rule | None]


@dataclass(frozen=True, slots=True)
class Mutant:
    """One small change to one rule; ``apply`` returns None where it does not apply."""

    rule: str
    operator: str  # level-down, level-up, drop-clause, drop-condition, window, kind, direction
    description: str
    apply: Change


@dataclass(frozen=True, slots=True)
class MutantResult:
    ruleset: str
    mutant: Mutant
    killed_by: str | None  # the first case that failed against the mutant

    @property
    def killed(self) -> bool:
        return self.killed_by is not None


@dataclass(frozen=True, slots=True)
class MutationReport:
    results: tuple[MutantResult, ...]

    @property
    def survivors(self) -> tuple[MutantResult, ...]:
        return tuple(r for r in self.results if not r.killed)

    def counts(self) -> dict[str, tuple[int, int, int]]:
        """Per ruleset id: (mutants, killed, survived)."""
        out: dict[str, tuple[int, int, int]] = {}
        for r in self.results:
            total, killed, survived = out.get(r.ruleset, (0, 0, 0))
            out[r.ruleset] = (total + 1, killed + r.killed, survived + (not r.killed))
        return out


# -- operators -------------------------------------------------------------------------------


def _with_match(rule: Rule, **changes: Any) -> Rule | None:
    data = rule.match.model_dump(by_alias=True, exclude_none=True)
    data.update(changes)
    try:
        match = Match.model_validate(data)
    except ValueError:
        return None
    if not _valid(match):
        return None
    return dataclasses.replace(rule, match=match)


def _valid(match: Match) -> bool:
    """The checks of the loader a mutant could break: bound, connected variables, where
    conditions naming existing clauses."""
    positive = [c for c in match.ties if c.exists]
    if any(v not in match.people for r in match.records for v in r.people.values()):
        return False
    if any(v not in match.people for p in match.paths for v in p.ends):
        return False
    if not positive and not match.paths:  # records only: they name one same variable
        if match.ties or not match.records or any(r.tie for r in match.records):
            return False
        return bool(set.intersection(*(set(r.people.values()) for r in match.records)))
    links = [c.ends for c in positive] + [p.ends for p in match.paths]  # paths link too
    bound = {v for ends in links for v in ends}
    reached = {links[0][0]}
    grew = True
    while grew:
        grew = False
        for a, b in links:
            if (a in reached) != (b in reached):
                reached.update((a, b))
                grew = True
    if reached != bound:
        return False
    if any(not c.exists and not set(c.ends) & bound for c in match.ties):
        return False
    names = {c.as_ for c in positive if c.as_}
    if any(r.tie is not None and r.tie not in names for r in match.records):
        return False  # a record clause names a tie clause the mutant dropped or renamed
    negated_ties = {c.as_ for c in match.ties if c.as_ and not c.exists}
    kinds_of = field_kinds(match)
    for item in match.where:
        for text in [item] if isinstance(item, str) else item.any:
            try:
                read = clauses_of(parse_condition(text, kinds_of))
            except ValueError:
                return False
            if set(read) & negated_ties:
                return False
    return True


def _clauses(rule: Rule) -> list[dict[str, Any]]:
    return [c.model_dump(by_alias=True, exclude_none=True) for c in rule.match.ties]


def _people_used(rule: Rule, ties: list[dict[str, Any]]) -> dict[str, Any]:
    used = {v for t in ties for v in (t.get("between") or [t.get("from"), t.get("to")])}
    return {k: v.model_dump() for k, v in rule.match.people.items() if k in used}


def _replace_clause(j: int, change: Callable[[dict[str, Any]], dict[str, Any] | None]) -> Change:
    def apply(rule: Rule) -> Rule | None:
        ties = _clauses(rule)
        new = change(dict(ties[j]))
        if new is None:
            return None
        ties[j] = new
        return _with_match(rule, ties=ties)

    return apply


def _drop_clause(j: int) -> Change:
    def apply(rule: Rule) -> Rule | None:
        ties = _clauses(rule)
        dropped = ties.pop(j)
        name = dropped.get("as")
        where = [w for w in rule.match.where if name is None or name not in _refs(w, rule.match)]
        return _with_match(rule, ties=ties, where=where, people=_people_used(rule, ties))

    return apply


def _refs(item: str | AnyOf, match: Match) -> list[str]:
    """The clauses a ``where`` item reads."""
    kinds_of = field_kinds(match)
    refs: list[str] = []
    for text in [item] if isinstance(item, str) else item.any:
        try:
            refs += clauses_of(parse_condition(text, kinds_of))
        except ValueError:
            continue
    return refs


def _drop_key(key: str) -> Callable[[dict[str, Any]], dict[str, Any] | None]:
    def change(c: dict[str, Any]) -> dict[str, Any] | None:
        c.pop(key, None)
        return c

    return change


def _drop_attribute(name: str) -> Callable[[dict[str, Any]], dict[str, Any] | None]:
    def change(c: dict[str, Any]) -> dict[str, Any] | None:
        attrs = dict(c.get("attributes") or {})
        attrs.pop(name, None)
        c["attributes"] = attrs
        return c

    return change


def _drop_where(i: int) -> Change:
    def apply(rule: Rule) -> Rule | None:
        where = list(rule.match.where)
        where.pop(i)
        return _with_match(rule, where=where)

    return apply


def _window(i: int, delta: int) -> Change:
    def apply(rule: Rule) -> Rule | None:
        written = rule.match.where[i]
        m = _OFFSET.search(written) if isinstance(written, str) else None
        if m is None:
            return None
        off = m.group("offset")
        if off.isdigit():
            value = int(off) + delta
            if value < 0:
                return None
            text = m.string[: m.start("offset")] + str(value)
            return _with_match(
                rule, where=[*rule.match.where[:i], text, *rule.match.where[i + 1 :]]
            )
        params = dict(rule.parameters)
        params[off] = params[off] + delta
        return dataclasses.replace(rule, parameters=params)

    return apply


def _kind(j: int, old: str, new: str) -> Callable[[dict[str, Any]], dict[str, Any] | None]:
    def change(c: dict[str, Any]) -> dict[str, Any] | None:
        kinds = [c["kind"]] if isinstance(c["kind"], str) else list(c["kind"])
        kinds = [new if k == old else k for k in kinds]
        c["kind"] = kinds[0] if len(kinds) == 1 else kinds
        return c

    return change


def _direct(a: str, b: str) -> Callable[[dict[str, Any]], dict[str, Any] | None]:
    def change(c: dict[str, Any]) -> dict[str, Any] | None:
        c.pop("between", None)
        c["from"], c["to"] = a, b
        return c

    return change


def _substitute(kind: str, clause: TieClause, kinds: dict[str, bool]) -> str | None:
    for k in sorted(kinds):
        if (
            k not in clause.kinds
            and (not clause.directed or kinds[k])
            and (kinds[k] == kinds.get(kind, True))
        ):
            return k
    return None


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
            if _drop_clause(j)(rule) is not None:
                add("drop-clause", f"drop the tie clause {label!r}", _drop_clause(j))
            if clause.active:
                add(
                    "drop-condition",
                    f"drop 'active: true' from {label!r}",
                    _replace_clause(j, _drop_key("active")),
                )
            if clause.ended is not None:
                add(
                    "drop-condition",
                    f"drop 'ended: {str(clause.ended).lower()}' from {label!r}",
                    _replace_clause(j, _drop_key("ended")),
                )
            for name in clause.attributes:
                add(
                    "drop-condition",
                    f"drop the test of attribute {name!r} from {label!r}",
                    _replace_clause(j, _drop_attribute(name)),
                )
            for k in clause.kinds:
                new = _substitute(k, clause, kinds)
                if new is not None:
                    add(
                        "kind",
                        f"{label!r}: kind {k} -> {new}",
                        _replace_clause(j, _kind(j, k, new)),
                    )
            if clause.directed:
                a, b = clause.ends
                add(
                    "direction",
                    f"{label!r}: from {a} to {b} -> from {b} to {a}",
                    _replace_clause(j, _direct(b, a)),
                )
            elif all(kinds.get(k, True) for k in clause.kinds):
                a, b = clause.ends
                add(
                    "direction",
                    f"{label!r}: either direction -> only from {a} to {b}",
                    _replace_clause(j, _direct(a, b)),
                )
                add(
                    "direction",
                    f"{label!r}: either direction -> only from {b} to {a}",
                    _replace_clause(j, _direct(b, a)),
                )
        for i, text in enumerate(rule.match.where):
            add("drop-condition", f"drop the date condition {text!r}", _drop_where(i))
            m = _OFFSET.search(text) if isinstance(text, str) else None
            if m is not None:
                off = m.group("offset")
                add("window", f"{text!r}: {off} one day larger", _window(i, +1))
                add("window", f"{text!r}: {off} one day smaller", _window(i, -1))
    return out


#: The offset that ends a comparison: ``... + 30`` or ``... - window_days``.
_OFFSET = re.compile(r"(?P<sign>[+-])\s*(?P<offset>\d+|[A-Za-z_]\w*)\s*$")


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
    return evaluate(case.registry, compile_ruleset(alone), as_of=case.registry.as_of).findings


def run_mutants(
    results: TestResults,
    *,
    rulesets: Iterable[str] | None = None,
    on_result: Callable[[MutantResult], None] | None = None,
) -> MutationReport:
    """Run every mutant of every ruleset in ``results`` (which must all have passed)
    against that ruleset's cases.  A mutant that does not apply under a case's parameters
    leaves that case unchanged."""
    variants = _Variants()
    out: list[MutantResult] = []
    refs = list(results.rulesets) if rulesets is None else list(rulesets)
    for ref in refs:
        base = results.rulesets[ref]
        cases = [r for r in results.results if r.case.ruleset_ref == ref]
        for mutant in mutants(base):
            killer = _first_killer(mutant, cases, variants)
            res = MutantResult(base.id, mutant, killer)
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
        if not check_case(case, kept + new).passed:
            return f"{case.where}  {case.name}"
    return None
