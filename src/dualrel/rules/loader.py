"""Loading rulesets: parse, validate, resolve ``extends``/``overrides``, check semantics.

Every problem in a ruleset and the rulesets it extends is collected and raised at once as a
:class:`~dualrel.errors.RulesetError` whose problems name the file, the line and the rule.
"""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from dualrel._internal.located import located
from dualrel._internal.suggest import did_you_mean
from dualrel.errors import InvalidArgument, Problem, ProblemCode, RulesetError
from dualrel.findings import RulesetRef
from dualrel.graph.model import CORE_ROLES, CORE_TIE_KINDS
from dualrel.rules._chain import Parsed, resolve_path, shipped_rulesets, visit
from dualrel.rules._checks import (
    check_citation_sources,
    check_citations_given,
    check_dates,
    check_match,
)
from dualrel.rules._patterns import Defined, resolve_uses
from dualrel.rules.schema import (
    DEFAULT_ESCALATION_DAYS,
    Citation,
    Match,
    Number,
    ParameterSpec,
    RemediationSpec,
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
    #: the ruleset that defines the rule (findings are named and fingerprinted by it)
    origin: RulesetRef
    file: str = ""
    pointer: str = ""
    line: int | None = None
    #: (origin ruleset id, rule id) of the rules whose findings this rule's replace
    supersedes: tuple[tuple[str, str], ...] = ()
    #: the escalation days this rule sets itself (level: days), over its ruleset's
    escalation: Mapping[int, int] = field(default_factory=dict)


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
    #: days past due after which an unresolved finding at level 1 or 2 rises a level:
    #: the library defaults, then each ruleset's ``escalation`` of the chain, bases first
    escalation: Mapping[int, int] = field(default_factory=lambda: dict(DEFAULT_ESCALATION_DAYS))

    def escalation_of(self, rule: Rule) -> dict[int, int]:
        """The escalation days in force for ``rule``: its own over the ruleset's."""
        return {**self.escalation, **rule.escalation}

    def rule(self, rule_id: str) -> Rule:
        for r in self.rules:
            if r.id == rule_id:
                return r
        hint = did_you_mean(rule_id, (r.id for r in self.rules))
        raise KeyError(f"no rule {rule_id!r} in ruleset {self.id!r}{hint}")


def load_ruleset(
    ref: str | Path,
    *,
    parameters: Mapping[str, Number] | None = None,
    lint: bool = False,
    extends_from: Iterable[str | os.PathLike[str]] = (),
) -> Ruleset:
    """Load a ruleset by shipped name (``"coaching-core"``) or path, composed and checked.

    ``parameters`` overrides ruleset parameters for every rule that does not set its own.
    ``extends_from`` names folders whose rulesets ``extends`` may read besides shipped
    rulesets and those in the extending ruleset's own folder (or below it).
    ``lint`` adds the authoring checks a ruleset may fail and still run (``dualrel lint``):
    every rule cites a clause, of a code declared in ``sources`` (see docs/rulesets.md).

    >>> rs = load_ruleset("coaching-core")
    >>> rs.id, len(rs.rules) > 0
    ('coaching-core', True)
    """
    for name, value in (parameters or {}).items():
        # a NaN window makes every comparison of it false; infinity reaches the engine
        if not isinstance(value, numbers.Real) or not math.isfinite(value):
            raise InvalidArgument(f"parameters[{name!r}] must be a finite number, got {value!r}")
    problems: list[Problem] = []
    path = resolve_path(ref, None)
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
    chain: list[Parsed] = []
    incomplete: list[str] = []  # files not read, or bases not found: nothing to compose
    if isinstance(extends_from, str | os.PathLike):
        raise InvalidArgument("extends_from: give a list of folders, not one")
    roots = tuple(Path(f).resolve() for f in extends_from)
    visit(
        path,
        None,
        stack=[],
        done={},
        chain=chain,
        problems=problems,
        incomplete=incomplete,
        extends_from=roots,
    )
    if incomplete:
        raise RulesetError(problems)
    ruleset = _compose(chain, parameters or {}, problems, lint)
    if problems:
        raise RulesetError(problems)
    return ruleset


def _ancestors(chain: list[Parsed]) -> dict[int, set[int]]:
    """For each ruleset of the chain (by position), the positions of every ruleset it
    extends, directly or not."""
    at = {str(Path(p.path).resolve()): i for i, p in enumerate(chain)}
    out: dict[int, set[int]] = {}
    for i, parsed in enumerate(chain):  # bases come first: their sets are complete
        mine: set[int] = set()
        for key in parsed.bases:
            j = at.get(key)
            if j is not None:
                mine |= {j} | out[j]
        out[i] = mine
    return out


#: Fields an override may change, besides ``parameters``; each replaces the inherited value.
_OVERRIDABLE = ("level", "severity", "enabled", "title", "description", "citations", "remediation")


def _compose(
    chain: list[Parsed],
    caller_params: Mapping[str, Number],
    problems: list[Problem],
    lint: bool = False,
) -> Ruleset:
    """Fold the chain, bases first: vocabulary, parameters and rules accumulate.

    A ruleset overrides only rules it inherits; when two bases override one rule, the
    later base's changes win, and the extending ruleset's own win over both.
    """
    kinds: dict[str, bool] = dict(CORE_TIE_KINDS)
    roles: set[str] = set(CORE_ROLES)
    params: dict[str, ParameterSpec] = {}
    specs: dict[str, tuple[RuleSpec, int, int]] = {}  # rule id: (spec, chain position, index)
    overrides: dict[str, dict[str, Any]] = {}
    cited_by: dict[str, tuple[int, str]] = {}  # rule id: (chain position, pointer) of citations
    ancestors = _ancestors(chain)
    patterns: dict[str, Defined] = {}
    for pos, parsed in enumerate(chain):
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
        inherited = {rid for rid, (_, at, _) in specs.items() if at in ancestors[pos]}
        broken = frozenset().union(*(p.broken_rules for p in chain))
        for oid, ov in model.overrides.items():
            if oid in broken and oid not in inherited:
                continue  # the rule's own schema errors are reported
            if oid not in inherited:
                problems.append(
                    _at(
                        parsed,
                        f"/overrides/{oid}",
                        "unknown-rule",
                        f"override of unknown rule {oid!r}{did_you_mean(oid, inherited)}",
                        record=oid,
                    )
                )
                continue
            changes = overrides.setdefault(oid, {})
            for name in _OVERRIDABLE:
                value = getattr(ov, name)
                if value is not None:
                    changes[name] = value
            if ov.citations is not None:
                cited_by[oid] = (pos, f"/overrides/{oid}/citations")
            if ov.parameters:
                merged = dict(changes.get("_params", {}))
                merged.update(ov.parameters)
                changes["_params"] = merged
        for j, spec in enumerate(model.rules):
            i = parsed.rule_index[j] if parsed.rule_index is not None else j
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
            specs[spec.id] = (spec, pos, i)
            cited_by[spec.id] = (pos, f"/rules/{i}/citations")
    for name in caller_params:
        if name not in params:
            problems.append(
                Problem(
                    file=chain[-1].path,
                    code="unknown-parameter",
                    message=f"unknown parameter {name!r}" + did_you_mean(name, params),
                )
            )
    origins = [RulesetRef(p.model.id, p.model.version) for p in chain if p.model is not None]

    def report(where: object, pointer: str, code: ProblemCode, message: str) -> None:
        assert isinstance(where, Parsed)
        found = _at(where, pointer, code, message)
        if found not in problems:  # a sub-pattern used by several rules: reported once
            problems.append(found)

    for pname, defined in patterns.items():  # unknown names and circles, used or not
        alone = Match.model_validate({"people": {}, "use": [pname]})
        resolve_uses(alone, patterns, defined.where, defined.pointer, report)
    rules: list[Rule] = []
    disabled: list[str] = []
    for rid, (spec, pos, i) in specs.items():
        parsed = chain[pos]
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
            title=changed.get("title", spec.title),
            description=changed.get("description", spec.description),
            category=spec.category,
            severity=changed.get("severity", spec.severity),
            level=changed.get("level", spec.level),
            citations=tuple(changed.get("citations", spec.citations)),
            remediation=tuple(changed.get("remediation", spec.remediation)),
            match=resolve_uses(spec.match, patterns, parsed, f"/rules/{i}/match", report),
            parameters=values,
            file=parsed.path,
            pointer=f"/rules/{i}",
            line=parsed.doc.line_of(f"/rules/{i}"),
            origin=origins[pos],
            supersedes=_superseded(
                spec, parsed, i, specs=specs, origins=origins, problems=problems
            ),
            escalation=spec.escalation.days() if spec.escalation else {},
        )
        check_match(
            rule, kinds, roles, set(params), file=parsed.path, doc=parsed.doc, problems=problems
        )
        check_dates(rule, file=parsed.path, doc=parsed.doc, problems=problems)
        if lint:
            at, pointer = cited_by[rid]
            cited = chain[at]
            scope = [chain[k] for k in sorted(ancestors[at] | {at})]
            sources = [s for p in scope if p.model for s in p.model.sources]
            check_citations_given(rule, pointer, file=cited.path, doc=cited.doc, problems=problems)
            check_citation_sources(
                rule, sources, pointer, file=cited.path, doc=cited.doc, problems=problems
            )
        rules.append(rule)
    _check_supersedes_cycles(rules, chain, specs, problems)
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
        escalation=_escalation(chain),
    )


def _escalation(chain: list[Parsed]) -> dict[int, int]:
    """The library defaults, then each ruleset's ``escalation`` of the chain, bases first."""
    days = dict(DEFAULT_ESCALATION_DAYS)
    for parsed in chain:
        if parsed.model is not None and parsed.model.escalation is not None:
            days.update(parsed.model.escalation.days())
    return days


def _check_supersedes_cycles(
    rules: list[Rule],
    chain: list[Parsed],
    specs: Mapping[str, tuple[RuleSpec, int, int]],
    problems: list[Problem],
) -> None:
    """Rules that supersede each other, directly or not, would drop each other's findings."""
    targets = {r.id: [t for _, t in r.supersedes] for r in rules}
    for start in sorted(targets):
        path = [start]
        todo = [(start, iter(targets[start]))]
        while todo:
            _, it = todo[-1]
            nxt = next(it, None)
            if nxt is None:
                todo.pop()
                path.pop()
            elif nxt == start:
                _, pos, i = specs[start]
                problems.append(
                    _at(
                        chain[pos],
                        f"/rules/{i}/supersedes",
                        "supersedes-cycle",
                        f"rules supersede each other: {' -> '.join([*path, start])}",
                        record=start,
                    )
                )
                todo = []
            elif nxt not in path and nxt in targets:
                path.append(nxt)
                todo.append((nxt, iter(targets[nxt])))


def _superseded(
    spec: RuleSpec,
    parsed: Parsed,
    i: int,
    *,
    specs: Mapping[str, tuple[RuleSpec, int, int]],
    origins: list[RulesetRef],
    problems: list[Problem],
) -> tuple[tuple[str, str], ...]:
    """The (origin ruleset id, rule id) of every rule ``spec`` supersedes, checked: the
    rule exists, is not ``spec`` itself, and names each of its subjects with a variable
    ``spec`` names too (else the two findings could never be about the same subjects)."""
    out: list[tuple[str, str]] = []
    mine = set(spec.match.subject_variables)
    for j, target in enumerate(spec.supersedes):
        pointer = f"/rules/{i}/supersedes/{j}"
        found = specs.get(target)
        if found is None or target == spec.id:
            why = "a rule cannot supersede itself" if target == spec.id else "unknown rule"
            hint = "" if target == spec.id else did_you_mean(target, specs)
            problems.append(
                _at(parsed, pointer, "unknown-rule", f"{why} {target!r}{hint}", record=spec.id)
            )
            continue
        other = found[0].match.subject_variables
        missing = [v for v in other if v not in mine]
        if missing:
            problems.append(
                _at(
                    parsed,
                    pointer,
                    "supersedes-subjects",
                    f"rule {spec.id} cannot supersede {target!r}: its subjects "
                    f"{', '.join(missing)} are not subjects of {spec.id}",
                    record=spec.id,
                )
            )
            continue
        out.append((origins[found[1]].id, target))
    return tuple(out)


def _at(
    parsed: Parsed,
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
