"""Loading rulesets: parse, validate, resolve ``extends``/``overrides``, check semantics.

Every problem in a ruleset and the rulesets it extends is collected and raised at once as a
:class:`~dualrel.errors.RulesetError` whose problems name the file, the line and the rule.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import pydantic
import yaml

from dualrel._internal import safeyaml
from dualrel._internal.located import schema_problems, yaml_problem
from dualrel._internal.suggest import did_you_mean
from dualrel.errors import Problem, ProblemCode, RulesetError
from dualrel.graph.model import CORE_ROLES, CORE_TIE_KINDS
from dualrel.rules.conditions import Compare, clauses_of, field_kinds, parse_condition
from dualrel.rules.schema import (
    AnyOf,
    Citation,
    CountSpec,
    Match,
    Number,
    ParameterSpec,
    RemediationSpec,
    RulesetFile,
    RuleSpec,
    SourceSpec,
)
from dualrel.rules.sections import SECTIONS

__all__ = ["Rule", "Ruleset", "load_ruleset", "shipped_rulesets"]


@dataclass(frozen=True, slots=True)
class Rule:
    """A rule after composition: overrides applied, parameters resolved to values."""

    id: str
    title: str
    description: str
    category: str
    severity: str
    level: int
    citations: tuple[Citation, ...]
    remediation: tuple[RemediationSpec, ...]
    match: Match
    parameters: Mapping[str, Number]
    file: str = ""
    pointer: str = ""
    line: int | None = None


@dataclass(frozen=True, slots=True)
class Ruleset:
    """A loaded, composed and checked ruleset, ready to compile.

    ``rules`` holds the enabled rules only, in file order (base rulesets first).
    """

    id: str
    version: str
    title: str
    description: str
    effective: date | None
    sources: tuple[SourceSpec, ...]
    kinds: Mapping[str, bool]
    roles: frozenset[str]
    parameters: Mapping[str, ParameterSpec]
    rules: tuple[Rule, ...]
    file: str | None = None
    extends: tuple[str, ...] = ()
    disabled: tuple[str, ...] = field(default=())

    def rule(self, rule_id: str) -> Rule:
        for r in self.rules:
            if r.id == rule_id:
                return r
        hint = did_you_mean(rule_id, (r.id for r in self.rules))
        raise KeyError(f"no rule {rule_id!r} in ruleset {self.id!r}{hint}")


def _shipped_dir() -> Path:
    return Path(str(resources.files("dualrel") / "rulesets"))


def shipped_rulesets() -> dict[str, Path]:
    """The rulesets shipped with dualrel, by name.

    >>> "coaching-core" in shipped_rulesets()
    True
    """
    return {p.stem: p for p in sorted(_shipped_dir().glob("*.yaml"))}


def _resolve_path(ref: str | Path, relative_to: Path | None) -> Path | None:
    path = Path(ref)
    if isinstance(ref, str) and not ref.endswith((".yaml", ".yml", ".json")) and "/" not in ref:
        return shipped_rulesets().get(ref)
    if not path.is_absolute() and relative_to is not None:
        path = relative_to / path
    return path


@dataclass(slots=True)
class _Parsed:
    path: str
    doc: safeyaml.LocatedDocument
    model: RulesetFile | None


def _parse(path: Path, problems: list[Problem]) -> _Parsed | None:
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        problems.append(Problem(file=name, code="not-found", message="no such ruleset file"))
        return None
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(file=name, code="unreadable", message=str(exc)))
        return None
    try:
        doc = safeyaml.loads(text)
    except (safeyaml.YamlLimitError, yaml.YAMLError) as exc:
        problems.append(yaml_problem(name, exc))
        return None
    if not isinstance(doc.data, dict):
        problems.append(
            Problem(file=name, line=1, code="malformed", message="a ruleset must be a mapping")
        )
        return None
    data = json.loads(json.dumps(doc.data, default=str))  # dates as text, as JSON would carry them
    try:
        model = RulesetFile.model_validate(data)
    except pydantic.ValidationError as exc:
        problems.extend(
            schema_problems(name, doc, exc, record_of=lambda loc: _rule_id_at(data, loc))
        )
        return _Parsed(name, doc, None)
    return _Parsed(name, doc, model)


def _rule_id_at(data: Any, loc: tuple[Any, ...]) -> str | None:
    if len(loc) >= 2 and loc[0] == "rules" and isinstance(loc[1], int):
        rules = data.get("rules")
        if isinstance(rules, list) and loc[1] < len(rules) and isinstance(rules[loc[1]], dict):
            rid = rules[loc[1]].get("id")
            return str(rid) if rid is not None else None
    return None


def load_ruleset(
    ref: str | Path,
    *,
    parameters: Mapping[str, Number] | None = None,
) -> Ruleset:
    """Load a ruleset by shipped name (``"coaching-core"``) or path, composed and checked.

    ``parameters`` overrides ruleset parameters for every rule that does not set its own.

    >>> rs = load_ruleset("coaching-core")
    >>> rs.id, len(rs.rules) > 0
    ('coaching-core', True)
    """
    problems: list[Problem] = []
    path = _resolve_path(ref, None)
    if path is None:
        names = shipped_rulesets()
        raise RulesetError(
            [
                Problem(
                    file=str(ref),
                    code="not-found",
                    message=f"no shipped ruleset {str(ref)!r}{did_you_mean(str(ref), names)}; "
                    f"shipped: {', '.join(names)}",
                )
            ]
        )
    chain: list[_Parsed] = []
    seen: list[str] = []
    current: Path | None = path
    while current is not None:
        key = str(current.resolve())
        if key in seen:
            cycle = " -> ".join([*(Path(s).name for s in seen), current.name])
            problems.append(
                Problem(
                    file=chain[-1].path,
                    line=chain[-1].doc.line_of("/extends"),
                    pointer="/extends",
                    code="extends-cycle",
                    message=f"ruleset extends itself: {cycle}",
                    field="extends",
                )
            )
            break
        seen.append(key)
        parsed = _parse(current, problems)
        if parsed is None or parsed.model is None:
            break
        chain.append(parsed)
        base = parsed.model.extends
        if base is None:
            break
        current = _resolve_path(base, current.parent)
        if current is None or not current.exists():
            problems.append(
                Problem(
                    file=parsed.path,
                    line=parsed.doc.line_of("/extends"),
                    pointer="/extends",
                    code="unknown-ruleset",
                    field="extends",
                    message=f"extends unknown ruleset {base!r}"
                    + did_you_mean(base, shipped_rulesets()),
                )
            )
            break
    if problems:
        raise RulesetError(problems)
    ruleset = _compose(list(reversed(chain)), parameters or {}, problems)
    if problems:
        raise RulesetError(problems)
    return ruleset


def _compose(
    chain: list[_Parsed], caller_params: Mapping[str, Number], problems: list[Problem]
) -> Ruleset:
    """Fold the chain, base first: vocabulary, parameters and rules accumulate."""
    kinds: dict[str, bool] = dict(CORE_TIE_KINDS)
    roles: set[str] = set(CORE_ROLES)
    params: dict[str, ParameterSpec] = {}
    specs: dict[str, tuple[RuleSpec, _Parsed, int]] = {}
    overrides: dict[str, dict[str, Any]] = {}
    for parsed in chain:
        model = parsed.model
        assert model is not None
        for kname, kspec in model.vocabulary.kinds.items():
            if kname in CORE_TIE_KINDS and CORE_TIE_KINDS[kname] != kspec.directed:
                problems.append(
                    _at(
                        parsed,
                        f"/vocabulary/kinds/{kname}",
                        "vocabulary",
                        f"core kind {kname!r} cannot change direction",
                    )
                )
            kinds[kname] = kspec.directed
        roles.update(model.vocabulary.roles)
        params.update(model.parameters)
        for oid, ov in model.overrides.items():
            if oid not in specs:
                problems.append(
                    _at(
                        parsed,
                        f"/overrides/{oid}",
                        "unknown-rule",
                        f"override of unknown rule {oid!r}{did_you_mean(oid, specs)}",
                        record=oid,
                    )
                )
                continue
            changes = ov.model_dump(exclude_none=True, exclude_defaults=True)
            overrides.setdefault(oid, {}).update(changes)
            if ov.parameters:
                merged = dict(overrides[oid].get("_params", {}))
                merged.update(ov.parameters)
                overrides[oid]["_params"] = merged
        for i, spec in enumerate(model.rules):
            if spec.id in specs:
                problems.append(
                    _at(
                        parsed,
                        f"/rules/{i}/id",
                        "duplicate-rule",
                        f"rule {spec.id!r} is defined twice; change an inherited "
                        "rule with overrides",
                        record=spec.id,
                    )
                )
                continue
            specs[spec.id] = (spec, parsed, i)
    for name in caller_params:
        if name not in params:
            problems.append(
                Problem(
                    file=chain[-1].path,
                    code="unknown-parameter",
                    message=f"unknown parameter {name!r}" + did_you_mean(name, params),
                )
            )
    rules: list[Rule] = []
    disabled: list[str] = []
    for rid, (spec, parsed, i) in specs.items():
        changed = overrides.get(rid, {})
        if not changed.get("enabled", spec.enabled):
            disabled.append(rid)
            continue
        values: dict[str, Number] = {k: p.value for k, p in params.items()}
        values.update(caller_params)
        for pname in spec.parameters:
            if pname not in params:
                problems.append(
                    _at(
                        parsed,
                        f"/rules/{i}/parameters/{pname}",
                        "unknown-parameter",
                        f"unknown parameter {pname!r}{did_you_mean(pname, params)}",
                        record=rid,
                    )
                )
        values.update(spec.parameters)
        values.update(changed.get("_params", {}))
        rule = Rule(
            id=rid,
            title=spec.title,
            description=spec.description,
            category=spec.category,
            severity=changed.get("severity", spec.severity),
            level=changed.get("level", spec.level),
            citations=tuple(spec.citations),
            remediation=tuple(spec.remediation),
            match=spec.match,
            parameters=values,
            file=parsed.path,
            pointer=f"/rules/{i}",
            line=parsed.doc.line_of(f"/rules/{i}"),
        )
        _check_match(rule, kinds, roles, set(params), parsed=parsed, problems=problems)
        rules.append(rule)
    top = chain[-1].model
    assert top is not None
    return Ruleset(
        id=top.id,
        version=top.version,
        title=top.title,
        description=top.description,
        effective=top.effective,
        sources=tuple(s for p in chain if p.model for s in p.model.sources),
        kinds=kinds,
        roles=frozenset(roles),
        parameters=params,
        rules=tuple(rules),
        file=chain[-1].path,
        extends=tuple(p.model.id for p in chain[:-1] if p.model),
        disabled=tuple(disabled),
    )


def _at(
    parsed: _Parsed,
    pointer: str,
    code: ProblemCode,
    message: str,
    *,
    record: str | None = None,
    field: str | None = None,
) -> Problem:
    return Problem(
        file=parsed.path,
        line=parsed.doc.line_of(pointer),
        pointer=pointer,
        code=code,
        message=message,
        record=record,
        field=field or pointer.rsplit("/", 1)[-1],
    )


def _check_match(
    rule: Rule,
    kinds: Mapping[str, bool],
    roles: Iterable[str],
    params: set[str],
    *,
    parsed: _Parsed,
    problems: list[Problem],
) -> None:
    """Semantic checks a schema cannot express; every problem is located."""
    base = f"{rule.pointer}/match"
    match = rule.match

    def bad(pointer: str, code: ProblemCode, message: str) -> None:
        problems.append(_at(parsed, pointer, code, f"rule {rule.id}: {message}", record=rule.id))

    variables = set(match.people)
    for var, spec in match.people.items():
        for j, role in enumerate(spec.roles):
            if role not in roles:
                bad(
                    f"{base}/people/{var}/roles/{j}",
                    "unknown-role",
                    f"unknown role {role!r}{did_you_mean(role, roles)}",
                )
    names: dict[str, int] = {}
    bound: set[str] = set()
    for j, clause in enumerate(match.ties):
        cp = f"{base}/ties/{j}"
        if clause.as_ is not None:
            if clause.as_ in names:
                bad(f"{cp}/as", "duplicate-clause", f"clause name {clause.as_!r} is used twice")
            names[clause.as_] = j
        for k in clause.kinds:
            if k not in kinds:
                bad(f"{cp}/kind", "unknown-kind", f"unknown tie kind {k!r}{did_you_mean(k, kinds)}")
            elif clause.directed and not kinds[k]:
                bad(
                    f"{cp}/kind",
                    "undirected-kind",
                    f"{k!r} ties are undirected: write between: [a, b] instead of from/to",
                )
        for end_name, var in zip(
            ("from", "to") if clause.directed else ("between", "between"), clause.ends, strict=True
        ):
            if var not in variables:
                bad(
                    f"{cp}/{end_name}",
                    "unknown-variable",
                    f"unknown person variable {var!r}{did_you_mean(var, variables)}; declare it "
                    "under match.people",
                )
        a, b = clause.ends
        if a == b:
            bad(cp, "self-tie", f"a tie clause joins {a!r} to itself")
        if clause.active and clause.ended:
            bad(cp, "contradiction", "a tie cannot be both active and ended")
        if clause.exists:
            bound.update(clause.ends)
    # a variable met only in negated clauses stands for "anyone": allowed in one clause only
    wild: dict[str, int] = {}
    for j, clause in enumerate(match.ties):
        if not clause.exists:
            for var in set(clause.ends) - bound:
                wild[var] = wild.get(var, 0) + 1
                if wild[var] == 2:
                    bad(
                        f"{base}/ties/{j}",
                        "unbound-variable",
                        f"variable {var!r} is bound by no tie that must exist, so it may appear "
                        "in one negated clause only",
                    )
    for j, clause in enumerate(match.ties):
        if not clause.exists and all(v not in bound for v in clause.ends):
            bad(
                f"{base}/ties/{j}",
                "unbound-clause",
                "a negated clause must share a variable with the tie clauses that exist",
            )
    record_bound = _check_records(rule, names, bound, variables, bad)
    for var in sorted(variables - bound - set(wild) - record_bound):
        bad(
            f"{base}/people/{var}",
            "unbound-variable",
            f"variable {var!r} appears in no clause that must exist",
        )
    # positive clauses must connect every variable, or the rule is a cross product
    positive = [c.ends for c in match.ties if c.exists]
    if positive:
        reached = {positive[0][0]}
        grew = True
        while grew:
            grew = False
            for a, b in positive:
                if (a in reached) != (b in reached):
                    reached.update((a, b))
                    grew = True
        loose = sorted(bound - reached)
        if loose:
            bad(
                f"{base}/ties",
                "disconnected",
                f"variables {', '.join(loose)} are not linked to the others by any tie clause",
            )
    elif match.ties:
        bad(f"{base}/ties", "no-positive-clause", "a pattern needs at least one tie that exists")
    kinds_of = field_kinds(match)
    negated = {c.as_ for c in match.ties if c.as_ and not c.exists} | {
        c.as_ for c in match.records if c.as_ and not c.exists
    }

    def check_condition(text: str, pointer: str) -> None:
        try:
            cond = parse_condition(text, kinds_of)
        except ValueError as exc:
            bad(pointer, "where-syntax", str(exc))
            return
        used = clauses_of(cond)
        for name in used:
            if name in names and not match.ties[names[name]].exists:
                bad(
                    pointer,
                    "negated-clause-date",
                    f"clause {name!r} must not exist, so it has no dates",
                )
        if sum(name in negated for name in used) > 1:
            bad(pointer, "where-syntax", "a condition may read one negated clause at most")
        if isinstance(cond, Compare) and cond.offset is not None:
            off = cond.offset.value
            if isinstance(off, str) and off not in params:
                bad(
                    pointer,
                    "unknown-parameter",
                    f"unknown parameter {off!r}{did_you_mean(off, params)}",
                )

    def check_where(items: Iterable[str | AnyOf], pointer: str) -> None:
        for j, item in enumerate(items):
            if isinstance(item, AnyOf):
                for k, text in enumerate(item.any):
                    check_condition(text, f"{pointer}/{j}/any/{k}")
                    if any(n in negated for n in clauses_of_text(text, kinds_of)):
                        bad(
                            f"{pointer}/{j}/any/{k}",
                            "where-syntax",
                            "conditions on a negated clause cannot be alternatives",
                        )
            else:
                check_condition(item, f"{pointer}/{j}")

    check_where(match.where, f"{base}/where")
    _check_grouping(rule, record_bound, bound, params, bad)
    if match.share is not None:
        check_where(match.share.where, f"{base}/share/where")


def clauses_of_text(text: str, kinds_of: Mapping[str, Mapping[str, str]]) -> tuple[str, ...]:
    """The clauses a condition reads, or none when it does not parse."""
    try:
        return clauses_of(parse_condition(text, kinds_of))
    except ValueError:
        return ()


def _check_records(
    rule: Rule,
    names: Mapping[str, int],
    bound: set[str],
    variables: set[str],
    bad: Callable[[str, ProblemCode, str], None],
) -> set[str]:
    """Record clauses name fields their section has, declared people, and a named tie
    clause that must exist; returns the variables only records bind."""
    match = rule.match
    base = f"{rule.pointer}/match/records"
    existing = {n for n, j in names.items() if match.ties[j].exists}
    record_bound = {v for c in match.records if c.exists for v in c.people.values()} - bound
    in_ties = {v for c in match.ties for v in c.ends}
    seen_names = set(names)
    shared: set[str] | None = None  # variables every record clause names (records-only rules)
    for j, clause in enumerate(match.records):
        rp = f"{base}/{j}"
        fields = SECTIONS[clause.section]
        if clause.as_ is not None:
            if clause.as_ in seen_names:
                bad(f"{rp}/as", "duplicate-clause", f"clause name {clause.as_!r} is used twice")
            seen_names.add(clause.as_)
        named = set(clause.people.values())
        shared = named if shared is None else shared & named
        for name, var in clause.people.items():
            fp = f"{rp}/people/{name}"
            if name not in fields.people:
                bad(
                    fp,
                    "unknown-field",
                    f"{clause.section} have no person field {name!r}"
                    + did_you_mean(name, fields.people),
                )
            elif var not in variables:
                bad(
                    fp,
                    "unknown-variable",
                    f"unknown person variable {var!r}"
                    f"{did_you_mean(var, variables)}; declare it under match.people",
                )
            elif not clause.exists and var not in bound | record_bound:
                bad(
                    fp,
                    "unbound-variable",
                    f"variable {var!r} is bound by no clause that must exist"
                    + did_you_mean(var, bound | record_bound),
                )
            elif var in record_bound and var in in_ties:
                bad(
                    fp,
                    "unbound-variable",
                    f"variable {var!r} is in tie clauses but bound by none that must exist",
                )
        if len(named) != len(clause.people):
            bad(f"{rp}/people", "self-tie", "two person fields name the same variable")
        if clause.tie is not None:
            if fields.tie is None:
                bad(f"{rp}/tie", "unknown-field", f"{clause.section} refer to no tie")
            elif clause.tie not in existing:
                bad(
                    f"{rp}/tie",
                    "unknown-clause",
                    f"no tie clause that must exist is named {clause.tie!r}"
                    + did_you_mean(clause.tie, existing),
                )
        if match.ties and clause.tie is None and not named & bound:
            bad(
                rp,
                "disconnected",
                "a record clause must name a variable bound by a tie "
                "clause, or a tie clause (tie:)",
            )
        for name, test in clause.fields.items():
            fp = f"{rp}/fields/{name}"
            if name not in fields.testable:
                bad(
                    fp,
                    "unknown-field",
                    f"{clause.section} have no field {name!r}"
                    + did_you_mean(name, fields.testable),
                )
            elif (test.contains or test.lacks) and name not in fields.lists:
                bad(fp, "field-test", f"contains/lacks test lists, and {name!r} is not one")
            elif name in fields.lists and (test.equals is not None or test.in_):
                bad(fp, "field-test", f"{name!r} is a list: test it with contains or lacks")
            elif name in fields.times and not (test.present or test.absent):
                bad(
                    fp,
                    "field-test",
                    f"{name!r} is a date: test present/absent here and compare it in where",
                )
            elif name in fields.lists:
                words = fields.vocabulary.get(name, ())
                for w in (test.contains or []) + (test.lacks or []):
                    if words and w not in words:
                        bad(
                            fp,
                            "unknown-value",
                            f"{w!r} is not a word of {name}" + did_you_mean(w, words),
                        )
    if not match.ties and match.records and not shared:
        bad(
            base,
            "disconnected",
            "in a rule of records only, every record clause must name one same variable",
        )
    return record_bound


def _check_grouping(
    rule: Rule,
    record_bound: set[str],
    bound: set[str],
    params: set[str],
    bad: Callable[[str, ProblemCode, str], None],
) -> None:
    """``per`` names bound variables; ``count``/``share`` count a record clause that exists."""
    match = rule.match
    base = f"{rule.pointer}/match"
    if match.per is not None:
        for j, var in enumerate(match.per):
            if var not in bound | record_bound:
                bad(
                    f"{base}/per/{j}",
                    "unbound-variable",
                    f"variable {var!r} is bound by no clause that must exist"
                    + did_you_mean(var, bound | record_bound),
                )
        if match.ties and not set(match.per) & bound:
            bad(
                f"{base}/per",
                "unbound-variable",
                "per must name at least one variable bound by a tie clause",
            )
    counted = {c.as_ for c in match.records if c.as_ and c.exists}
    for key, spec in (("count", match.count), ("share", match.share)):
        if spec is None:
            continue
        if spec.of not in counted:
            bad(
                f"{base}/{key}/of",
                "unknown-clause",
                f"no record clause that must exist is named {spec.of!r}"
                + did_you_mean(spec.of, counted),
            )
        limit = spec.at_least if isinstance(spec, CountSpec) else spec.more_than
        if isinstance(limit, str) and limit not in params:
            bad(
                f"{base}/{key}",
                "unknown-parameter",
                f"unknown parameter {limit!r}{did_you_mean(limit, params)}",
            )
