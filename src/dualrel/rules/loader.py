"""Loading rulesets: parse, validate, resolve ``extends``/``overrides``, check semantics.

Every problem in a ruleset and the rulesets it extends is collected and raised at once as a
:class:`~dualrel.errors.RulesetError` whose problems name the file, the line and the rule.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import pydantic
import yaml

from dualrel._internal import safeyaml
from dualrel._internal.located import located, schema_problems, yaml_problem
from dualrel._internal.suggest import did_you_mean
from dualrel.errors import Problem, ProblemCode, RulesetError
from dualrel.graph.model import CORE_ROLES, CORE_TIE_KINDS
from dualrel.rules._checks import check_match
from dualrel.rules._patterns import Defined, resolve_uses
from dualrel.rules.schema import (
    Citation,
    Match,
    Number,
    ParameterSpec,
    RemediationSpec,
    RulesetFile,
    RuleSpec,
    SourceSpec,
)

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
                located(
                    chain[-1].path,
                    chain[-1].doc,
                    "/extends",
                    "extends-cycle",
                    f"ruleset extends itself: {cycle}",
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
                located(
                    parsed.path,
                    parsed.doc,
                    "/extends",
                    "unknown-ruleset",
                    f"extends unknown ruleset {base!r}" + did_you_mean(base, shipped_rulesets()),
                    field="extends",
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
    patterns: dict[str, Defined] = {}
    for parsed in chain:
        model = parsed.model
        assert model is not None
        for pname, pspec in model.patterns.items():
            patterns[pname] = Defined(pspec, parsed, f"/patterns/{pname}")
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

    def report(where: object, pointer: str, code: ProblemCode, message: str) -> None:
        assert isinstance(where, _Parsed)
        found = _at(where, pointer, code, message)
        if found not in problems:  # a sub-pattern used by several rules: reported once
            problems.append(found)

    for pname, defined in patterns.items():  # unknown names and circles, used or not
        alone = Match.model_validate({"people": {}, "use": [pname]})
        resolve_uses(alone, patterns, defined.where, defined.pointer, report)
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
            match=resolve_uses(spec.match, patterns, parsed, f"/rules/{i}/match", report),
            parameters=values,
            file=parsed.path,
            pointer=f"/rules/{i}",
            line=parsed.doc.line_of(f"/rules/{i}"),
        )
        check_match(
            rule, kinds, roles, set(params), file=parsed.path, doc=parsed.doc, problems=problems
        )
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
) -> Problem:
    return located(
        parsed.path,
        parsed.doc,
        pointer,
        code,
        message,
        record=record,
        field=pointer.rsplit("/", 1)[-1],
    )
