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
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from dualrel.findings import Finding
from dualrel.rules.compiler import compile_ruleset
from dualrel.rules.conditions import clauses_of, field_kinds, parse_condition
from dualrel.rules.engine import evaluate
from dualrel.rules.loader import Rule, Ruleset, load_ruleset
from dualrel.rules.schema import AnyOf, CountSpec, Match, TieClause
from dualrel.testing._cases import Case
from dualrel.testing.runner import TestResults, check_case

__all__ = ["Mutant", "MutantResult", "MutationReport", "mutant_ids", "mutants", "run_mutants"]

Change = Callable[[Rule], Rule | None]
Number = int | float


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
    if not _all_bound(match):
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
    if match.per is not None and not set(match.per) & bound:
        return False
    names = {c.as_ for c in positive if c.as_}
    if any(r.tie is not None and r.tie not in names for r in match.records):
        return False  # a record clause names a tie clause the mutant dropped or renamed
    negated_ties = {c.as_ for c in match.ties if c.as_ and not c.exists}
    kinds_of = field_kinds(match)
    for item in [*match.where, *(match.share.where if match.share else [])]:
        for text in [item] if isinstance(item, str) else item.any:
            try:
                read = clauses_of(parse_condition(text, kinds_of))
            except ValueError:
                return False
            if set(read) & negated_ties:
                return False
    return True


def _all_bound(match: Match) -> bool:
    """Every variable is bound by a clause that must exist, or (only in tie clauses) met in
    one negated tie clause; a negated record clause names bound variables only."""
    bound = (
        {v for c in match.ties if c.exists for v in c.ends}
        | {v for r in match.records if r.exists for v in r.people.values()}
        | {v for p in match.paths for v in p.ends}
    )
    negated_ties = [set(c.ends) for c in match.ties if not c.exists]
    for var in match.people:
        if var not in bound and sum(var in ends for ends in negated_ties) != 1:
            return False
    if any(not r.exists and not set(r.people.values()) <= bound for r in match.records):
        return False
    return not match.records or any(r.exists for r in match.records) or bool(match.ties)


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
        m = _COMPARISON.search(text) if isinstance(text, str) else None
        if m is not None:
            op = m.group(0)
            add("strictness", f"{text!r}: {op} -> {_FLIP[op]}", _strictness(i))
    for var, spec in match.people.items():
        if spec.roles:
            add("role", f"{var}: drop the roles {', '.join(spec.roles)}", _roles(var, None))
        others = sorted(set(ruleset.roles) - set(spec.roles))
        for role in spec.roles:
            if others:
                add("role", f"{var}: role {role} -> {others[0]}", _roles(var, (role, others[0])))
    for j, clause in enumerate(match.ties):
        label = clause.as_ or f"clause {j + 1}"
        for name, test in clause.attributes.items():
            for description, change in _value_changes(test.model_dump(by_alias=True)):
                add(
                    "value",
                    f"{label!r}: attribute {name!r} {description}",
                    _replace_clause(j, _test_change("attributes", name, change)),
                )
    for j, record in enumerate(match.records):
        label = record.as_ or f"record clause {j + 1}"
        if _drop_record(j)(rule) is not None:
            add("drop-clause", f"drop the record clause {label!r}", _drop_record(j))
        for name, ftest in record.fields.items():
            add(
                "drop-condition",
                f"drop the test of field {name!r} from {label!r}",
                _replace_record(j, _drop_test("fields", name)),
            )
            for description, change in _value_changes(ftest.model_dump(by_alias=True)):
                add(
                    "value",
                    f"{label!r}: field {name!r} {description}",
                    _replace_record(j, _test_change("fields", name, change)),
                )
    for key, grouping in (("count", match.count), ("share", match.share)):
        if grouping is None:
            continue
        limit = grouping.at_least if isinstance(grouping, CountSpec) else grouping.more_than
        step: Number = 1 if key == "count" else _SHARE_STEP
        word = "at_least" if key == "count" else "more_than"
        for sign, way in ((1, "higher"), (-1, "lower")):
            add(
                "threshold",
                f"{key}: {word} {limit} one step {way}",
                _threshold(key, sign * step),
            )
    if match.per is not None:
        for var in match.per:
            if len(match.per) > 1:
                add("per", f"per: drop {var}", _per([v for v in match.per if v != var]))
        bound = {v for c in match.ties if c.exists for v in c.ends} | {
            v for r in match.records if r.exists for v in r.people.values()
        }
        for var in sorted(bound - set(match.per)):
            add("per", f"per: add {var}", _per([*match.per, var]))


#: A comparison operator that has a strict and a loose form.
_COMPARISON = re.compile(r"(?<![<>=!])(<=|>=|<|>)(?!=)")
_FLIP = {"<": "<=", "<=": "<", ">": ">=", ">=": ">"}
#: How far a share threshold moves: a twentieth of all records.
_SHARE_STEP = 0.05


def _strictness(i: int) -> Change:
    def apply(rule: Rule) -> Rule | None:
        text = rule.match.where[i]
        if not isinstance(text, str):
            return None
        m = _COMPARISON.search(text)
        if m is None:
            return None
        new = text[: m.start()] + _FLIP[m.group(0)] + text[m.end() :]
        return _with_match(rule, where=[*rule.match.where[:i], new, *rule.match.where[i + 1 :]])

    return apply


def _roles(var: str, swap: tuple[str, str] | None) -> Change:
    def apply(rule: Rule) -> Rule | None:
        people = {k: v.model_dump() for k, v in rule.match.people.items()}
        roles = list(people[var]["roles"])
        if swap is None:
            roles = []
        elif swap[0] in roles:
            roles = [swap[1] if r == swap[0] else r for r in roles]
        else:
            return None
        people[var] = {**people[var], "roles": list(dict.fromkeys(roles))}
        return _with_match(rule, people=people)

    return apply


def _value_changes(test: dict[str, Any]) -> list[tuple[str, Callable[[dict[str, Any]], Any]]]:
    """Changes to the value a test asks for: another ``equals`` value, one ``in`` value (or
    one ``contains``/``lacks`` word) fewer."""
    out: list[tuple[str, Callable[[dict[str, Any]], Any]]] = []
    value = test.get("equals")
    if value is not None:
        other = _other(value)
        out.append((f"equals {value!r} -> {other!r}", lambda t: {**t, "equals": other}))
    for key in ("in", "contains", "lacks"):
        values = test.get(key)
        if values and len(values) > 1:
            for v in values:

                def drop(t: dict[str, Any], key: str = key, v: Any = v) -> Any:
                    return {**t, key: [x for x in t[key] if x != v]}

                out.append((f"{key}: drop {v!r}", drop))
    return out


def _other(value: Any) -> Any:
    """A value unlike ``value``, of its type."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value + 1
    return f"{value}-changed"


def _test_change(
    where: str, name: str, change: Callable[[dict[str, Any]], Any]
) -> Callable[[dict[str, Any]], dict[str, Any] | None]:
    def apply(c: dict[str, Any]) -> dict[str, Any] | None:
        tests = dict(c.get(where) or {})
        if name not in tests:
            return None
        tests[name] = {k: v for k, v in change(dict(tests[name])).items() if v is not None}
        c[where] = tests
        return c

    return apply


def _drop_test(where: str, name: str) -> Callable[[dict[str, Any]], dict[str, Any] | None]:
    def apply(c: dict[str, Any]) -> dict[str, Any] | None:
        tests = dict(c.get(where) or {})
        tests.pop(name, None)
        c[where] = tests
        return c

    return apply


def _records(rule: Rule) -> list[dict[str, Any]]:
    return [c.model_dump(by_alias=True, exclude_none=True) for c in rule.match.records]


def _replace_record(j: int, change: Callable[[dict[str, Any]], dict[str, Any] | None]) -> Change:
    def apply(rule: Rule) -> Rule | None:
        records = _records(rule)
        new = change(dict(records[j]))
        if new is None:
            return None
        records[j] = new
        return _with_match(rule, records=records)

    return apply


def _drop_record(j: int) -> Change:
    def apply(rule: Rule) -> Rule | None:
        match = rule.match
        name = match.records[j].as_
        counted = {s.of for s in (match.count, match.share) if s is not None}
        if name is not None and name in counted:
            return None  # the clause a count or share counts
        records = _records(rule)
        records.pop(j)
        where = [w for w in match.where if name is None or name not in _refs(w, match)]
        changes: dict[str, Any] = {"records": records, "where": where}
        if match.share is not None:
            kept = [w for w in match.share.where if name is None or name not in _refs(w, match)]
            if not kept:
                return None  # the share counts by this clause
            changes["share"] = {**match.share.model_dump(by_alias=True), "where": kept}
        return _with_match(rule, **changes)

    return apply


def _threshold(key: str, delta: Number) -> Change:
    def apply(rule: Rule) -> Rule | None:
        spec = rule.match.count if key == "count" else rule.match.share
        if spec is None:
            return None
        limit = spec.at_least if isinstance(spec, CountSpec) else spec.more_than
        if isinstance(limit, str):
            params = dict(rule.parameters)
            params[limit] = _bounded(key, params[limit] + delta)
            if params[limit] == rule.parameters[limit]:
                return None
            return dataclasses.replace(rule, parameters=params)
        new = _bounded(key, limit + delta)
        if new == limit:
            return None
        data = spec.model_dump(by_alias=True)
        data["at_least" if key == "count" else "more_than"] = new
        return _with_match(rule, **{key: data})

    return apply


def _bounded(key: str, value: Number) -> Number:
    if key == "count":
        return max(1, int(value))
    return round(min(max(float(value), 0.0), 0.95), 6)


def _per(variables: list[str]) -> Change:
    def apply(rule: Rule) -> Rule | None:
        return _with_match(rule, per=variables)

    return apply


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
