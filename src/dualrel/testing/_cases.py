"""Ruleset test case files: their format, and reading them with located problems (private).

A case file is YAML::

    ruleset: coaching-core        # optional: a shipped name, or a path from this file
    cases:
      - name: a romance with an active client is referred out
        as_of: 2026-01-01
        people:
          - {id: co1, roles: [coach]}
          - {id: cl1, roles: [client]}
        ties:
          - {id: t1, kind: coaching, source: co1, target: cl1}
          - {id: t2, kind: romance, source: cl1, target: co1}
        expect:
          - {rule: romance-active-client, subjects: {coach: co1, client: cl1}, level: 3}
        only: false

``people`` and ``ties`` are a registry fragment in the registry format, checked by the
registry loader.  Without ``ruleset:``, a file in ``<dir>/tests/<name>/`` tests the ruleset
``<dir>/<name>.yaml`` (or the shipped ruleset ``<name>``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

import pydantic
import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from dualrel._internal import reading, safeyaml
from dualrel._internal.dates import as_of_out_of_range
from dualrel._internal.decode import DecodeError
from dualrel._internal.located import located, schema_problems, yaml_problem
from dualrel._internal.problems import Collector
from dualrel._internal.suggest import did_you_mean
from dualrel.errors import Problem, RegistryError, RulesetError
from dualrel.graph.load import read_document
from dualrel.graph.model import CORE_ROLES, FORMAT, Registry
from dualrel.graph.practice import PRACTICE_SECTIONS
from dualrel.rules.loader import Ruleset, load_ruleset, shipped_rulesets
from dualrel.rules.schema import Number
from dualrel.testing._discover import tested_ruleset_of

__all__ = [
    "Case",
    "CaseFile",
    "Equivalent",
    "Expected",
    "TestCaseError",
    "read_case_files",
]


def _evaluation_date(value: date) -> date:
    why = as_of_out_of_range(value)
    if why is not None:
        raise ValueError(why)
    return value


AsOf = Annotated[date, AfterValidator(_evaluation_date)]


class TestCaseError(RulesetError):
    """Test case files could not be read; ``problems`` lists every problem, located."""

    __test__ = False  # not a pytest test class
    kind = "test cases"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class ExpectedSpec(_Model):
    """One expected finding: its rule, and optionally its subjects, level, severity."""

    rule: str = Field(min_length=1)
    subjects: dict[str, str] | None = None
    level: Literal[1, 2, 3] | None = None
    severity: Literal["low", "medium", "high", "critical"] | None = None
    evidence: list[str] | None = None
    records: list[str] | None = None  # practice records of the evidence, as section/id


class CaseSpec(_Model):
    """One test case as written."""

    name: str = Field(min_length=1)
    description: str = ""
    as_of: AsOf | None = None
    parameters: dict[str, Number] = Field(default_factory=dict)
    people: list[Any] = Field(min_length=1)
    ties: list[Any] = Field(default_factory=list)
    # the optional practice sections, in the registry format
    agreements: list[Any] = Field(default_factory=list)
    consents: list[Any] = Field(default_factory=list)
    assessments: list[Any] = Field(default_factory=list)
    disclosures: list[Any] = Field(default_factory=list)
    supervision_sessions: list[Any] = Field(default_factory=list)
    contacts: list[Any] = Field(default_factory=list)
    concerns: list[Any] = Field(default_factory=list)
    records: list[Any] = Field(default_factory=list)
    expect: list[ExpectedSpec] | None = None
    expect_none: Literal[True] | None = None
    only: bool = True
    absent: list[str] = Field(default_factory=list)
    # a case the ruleset is known to get wrong: expected to fail, never counted as coverage
    known_gap: str | None = None

    @field_validator("known_gap")
    @classmethod
    def _gap_reason(cls, v: str | None) -> str | None:
        if v is not None and not v.strip():
            raise ValueError("known_gap: say why the ruleset gets this case wrong")
        return v

    @model_validator(mode="after")
    def _one_expectation(self) -> CaseSpec:
        if (self.expect is None) == (self.expect_none is None):
            raise ValueError("give either expect: [findings] or expect_none: true")
        if self.expect_none and not self.only:
            raise ValueError("expect_none: true already says no finding at all; drop only: false")
        return self


class EquivalentSpec(_Model):
    """A mutant accepted as equivalent: no practice could tell it from the rule."""

    mutant: str = Field(min_length=1)
    reason: str

    @field_validator("reason")
    @classmethod
    def _reason(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("reason: say why no case can tell this mutant from the rule")
        return v


class CaseFileSpec(_Model):
    """A case file as written."""

    ruleset: str | None = None
    description: str = ""
    as_of: AsOf | None = None
    parameters: dict[str, Number] = Field(default_factory=dict)
    include: list[str] = Field(default_factory=list)
    # rules whose findings these cases (and the included ones) do not check: how a ruleset
    # that adds rules reuses its base's cases
    ignore: list[str] = Field(default_factory=list)
    # mutants of the ruleset (ids as dualrel test --mutate prints them) that change nothing
    # a case could see, each with the reason
    equivalent_mutants: list[EquivalentSpec] = Field(default_factory=list)
    cases: list[CaseSpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _something(self) -> CaseFileSpec:
        if not self.cases and not self.include:
            raise ValueError("a test case file needs cases: (or include: other case files)")
        return self


@dataclass(frozen=True, slots=True)
class Expected:
    """A finding a case expects: ``None`` fields are not checked."""

    rule: str
    subjects: Mapping[str, str] | None = None
    level: int | None = None
    severity: str | None = None
    evidence: tuple[str, ...] | None = None
    records: tuple[str, ...] | None = None

    def describe(self) -> str:
        parts = [self.rule]
        if self.subjects is not None:
            parts.append(" ".join(f"{k}={v}" for k, v in sorted(self.subjects.items())))
        if self.level is not None:
            parts.append(f"level {self.level}")
        if self.severity is not None:
            parts.append(self.severity)
        if self.evidence is not None:
            parts.append("evidence " + ", ".join(self.evidence))
        if self.records is not None:
            parts.append("records " + ", ".join(self.records))
        return "  ".join(parts)


@dataclass(frozen=True, slots=True)
class Case:
    """One test case, read and checked: a registry, parameters and what must be found."""

    name: str
    file: str
    line: int | None
    ruleset_ref: str
    registry: Registry
    parameters: Mapping[str, Number]
    expected: tuple[Expected, ...]
    only: bool
    absent: tuple[str, ...] = ()
    expect_none: bool = False
    ignored: tuple[str, ...] = ()  # rules whose findings this case does not check
    known_gap: str | None = None  # why the ruleset is known to get this case wrong

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.line is not None else self.file


@dataclass(frozen=True, slots=True)
class Equivalent:
    """A mutant a case file accepts as equivalent, and why."""

    mutant: str
    reason: str


@dataclass(frozen=True, slots=True)
class CaseFile:
    """A case file: the ruleset it tests and its cases, in file order."""

    path: str
    ruleset_ref: str
    cases: tuple[Case, ...] = field(default=())
    equivalent_mutants: tuple[Equivalent, ...] = ()


# -- reading case files ----------------------------------------------------------------------


class _FragmentLocator:
    """Lines of a case's registry fragment inside the case file."""

    def __init__(self, doc: safeyaml.LocatedDocument, base: str) -> None:
        self.doc = doc
        self.base = base

    def _line(self, pointer: str) -> int | None:
        return self.doc.line_of(self.base + pointer)

    def key_line(self, key: str) -> int | None:
        return self._line(f"/{key}")

    def record_line(self, section: str, index: int) -> int | None:
        return self._line(f"/{section}/{index}")

    def field_line(self, section: str, index: int, field: str) -> int | None:
        return self._line(f"/{section}/{index}/{safeyaml.escape(field)}")


def _schema_problems(
    name: str, doc: safeyaml.LocatedDocument, exc: pydantic.ValidationError
) -> list[Problem]:
    return schema_problems(name, doc, exc, model=CaseFileSpec, hint=_expect_hint)


def _expect_hint(loc: Sequence[str], kind: str) -> str:
    """A case that writes its expectations under another name means ``expect``."""
    if (
        kind == "extra_forbidden"
        and len(loc) >= 3
        and loc[0] == "cases"
        and loc[-1] in ("rule_id", "rules", "findings")
    ):
        return " (did you mean 'expect'?)"
    return ""


def _resolve_ruleset(path: Path, spec: CaseFileSpec) -> str | None:
    if spec.ruleset is not None:
        ref = spec.ruleset
        if ref in shipped_rulesets() and not (path.parent / ref).exists():
            return ref
        return str((path.parent / ref).resolve()) if not Path(ref).is_absolute() else ref
    beside = tested_ruleset_of(path)
    if beside is not None:
        return str(beside)
    if path.parent.name in shipped_rulesets():
        return path.parent.name
    return None


class _Rulesets:
    """Loaded rulesets by (reference, parameters), shared by every file of a run."""

    def __init__(self) -> None:
        self.cache: dict[tuple[str, tuple[tuple[str, Number], ...]], Ruleset] = {}

    def get(self, ref: str, parameters: Mapping[str, Number]) -> Ruleset:
        key = (ref, tuple(sorted(parameters.items())))
        if key not in self.cache:
            self.cache[key] = load_ruleset(ref, parameters=dict(parameters) or None)
        return self.cache[key]


def read_case_file(
    path: Path,
    rulesets: _Rulesets | None = None,
    *,
    ruleset_ref: str | None = None,
    _seen: frozenset[Path] = frozenset(),
) -> CaseFile:
    """Read and check one case file; raises :class:`TestCaseError` with every problem.

    ``ruleset_ref`` runs the cases against that ruleset whatever the file says (how
    ``include:`` runs a base ruleset's cases against a ruleset that extends it).
    """
    rulesets = rulesets or _Rulesets()
    name = str(path)
    problems: list[Problem] = []
    try:
        doc = safeyaml.loads(reading.read_text(name, "yaml"))
    except OSError as exc:
        raise TestCaseError([Problem(file=name, code="unreadable", message=str(exc))]) from exc
    except (safeyaml.YamlLimitError, yaml.YAMLError) as exc:
        raise TestCaseError([yaml_problem(name, exc)]) from exc
    except DecodeError as exc:
        raise TestCaseError(exc.problems(name)) from exc
    if not isinstance(doc.data, dict):
        raise TestCaseError(
            [
                Problem(
                    file=name,
                    line=1,
                    code="malformed",
                    message="a test case file must be a mapping with 'cases:'",
                )
            ]
        )
    try:
        spec = CaseFileSpec.model_validate(doc.data)
    except pydantic.ValidationError as exc:
        raise TestCaseError(_schema_problems(name, doc, exc)) from exc
    ref = ruleset_ref or _resolve_ruleset(path, spec)
    if ref is None:
        raise TestCaseError(
            [
                Problem(
                    file=name,
                    line=1,
                    code="no-ruleset",
                    field="ruleset",
                    message="cannot tell which ruleset these cases test: add 'ruleset: <name or "
                    "path>', or put the file in tests/<ruleset name>/ beside the ruleset",
                )
            ]
        )
    try:
        base = rulesets.get(ref, spec.parameters)
    except RulesetError as exc:
        if spec.parameters and any(p.code == "unknown-parameter" for p in exc.problems):
            raise TestCaseError(
                [
                    located(
                        name,
                        doc,
                        "/parameters",
                        code="unknown-parameter",
                        message=p.message,
                        field="parameters",
                    )
                    for p in exc.problems
                    if p.code == "unknown-parameter"
                ]
            ) from exc
        raise TestCaseError(
            [
                Problem(
                    file=name,
                    line=doc.line_of("/ruleset") or 1,
                    pointer="/ruleset",
                    code="ruleset",
                    message=f"the ruleset {ref!r} does not load: {p}",
                    field="ruleset",
                )
                for p in exc.problems
            ]
        ) from exc
    cases: list[Case] = []
    seen = _seen | {path.resolve()}
    for i, pattern in enumerate(spec.include):
        if Path(pattern).is_absolute() or Path(pattern).drive:
            problems.append(
                located(
                    name,
                    doc,
                    f"/include/{i}",
                    code="include-absolute",
                    field="include",
                    message=f"include {pattern!r} is an absolute path: write it relative to "
                    "this file's folder, so the cases run wherever the project is",
                )
            )
            continue
        matches = sorted(
            p
            for p in path.parent.glob(pattern)
            if p.suffix in (".yaml", ".yml") and p.resolve() not in seen
        )
        if not matches:
            problems.append(
                located(
                    name,
                    doc,
                    f"/include/{i}",
                    code="include-nothing",
                    field="include",
                    message=f"include {pattern!r} matches no other case file",
                )
            )
        for match in matches:
            try:
                cases.extend(read_case_file(match, rulesets, ruleset_ref=ref, _seen=seen).cases)
            except TestCaseError as exc:
                problems.extend(exc.problems)
    names: dict[str, int | None] = {}
    for i, case in enumerate(spec.cases):
        cp = f"/cases/{i}"
        line = doc.line_of(cp)
        if case.name in names:
            problems.append(
                located(
                    name,
                    doc,
                    f"{cp}/name",
                    code="duplicate-case",
                    field="name",
                    message=f"case name {case.name!r} already used at line {names[case.name]}",
                )
            )
        names.setdefault(case.name, line)
        params = {**spec.parameters, **case.parameters}
        unknown = [p for p in params if p not in base.parameters]
        for p in unknown:
            pp = f"{cp}/parameters/{safeyaml.escape(p)}" if p in case.parameters else "/parameters"
            problems.append(
                located(
                    name,
                    doc,
                    pp,
                    code="unknown-parameter",
                    field=p,
                    message=f"unknown parameter {p!r}"
                    f"{did_you_mean(p, base.parameters)}; the ruleset has: "
                    f"{', '.join(sorted(base.parameters)) or 'none'}",
                )
            )
        ruleset = base if unknown or not case.parameters else rulesets.get(ref, params)
        registry = _registry(
            doc, cp, name=name, case=case, spec=spec, ruleset=ruleset, problems=problems
        )
        expected = _expected(doc, cp, name=name, case=case, ruleset=ruleset, problems=problems)
        for j, rid in enumerate(case.absent):
            if rid not in {r.id for r in ruleset.rules}:
                problems.append(_unknown_rule(doc, name, f"{cp}/absent/{j}", rid, ruleset))
        if (
            registry is not None
            and registry.as_of is None
            and any(t.start is not None or t.end is not None for t in registry.ties)
        ):
            problems.append(
                Problem(
                    file=name,
                    line=line,
                    pointer=cp,
                    code="no-as-of",
                    field="as_of",
                    message=f"case {case.name!r} has dated ties but no as_of: give the evaluation "
                    "date (here or at the top of the file) so the case means the same tomorrow",
                )
            )
        if registry is not None:
            cases.append(
                Case(
                    name=case.name,
                    file=name,
                    line=line,
                    ruleset_ref=ref,
                    registry=registry,
                    parameters=params,
                    expected=expected,
                    only=case.only,
                    absent=tuple(case.absent),
                    expect_none=bool(case.expect_none),
                    known_gap=case.known_gap,
                )
            )
    for i, rid in enumerate(spec.ignore):
        if all(r.id != rid for r in base.rules):
            problems.append(_unknown_rule(doc, name, f"/ignore/{i}", rid, base))
    if spec.equivalent_mutants:
        problems += _unknown_mutants(doc, name, spec.equivalent_mutants, base)
    if problems:
        raise TestCaseError(problems)
    if spec.ignore:
        cases = [replace(c, ignored=tuple(sorted({*c.ignored, *spec.ignore}))) for c in cases]
    equivalent = tuple(Equivalent(e.mutant, e.reason) for e in spec.equivalent_mutants)
    return CaseFile(path=name, ruleset_ref=ref, cases=tuple(cases), equivalent_mutants=equivalent)


def _unknown_mutants(
    doc: safeyaml.LocatedDocument, name: str, specs: Sequence[EquivalentSpec], ruleset: Ruleset
) -> list[Problem]:
    # mutate reads case files: the mutants are made here only when a file names some
    from dualrel.testing.mutate import mutant_ids  # noqa: PLC0415

    ids = mutant_ids(ruleset)
    return [
        located(
            name,
            doc,
            f"/equivalent_mutants/{i}/mutant",
            code="unknown-mutant",
            field="mutant",
            message=f"ruleset {ruleset.id!r} has no mutant {e.mutant!r}"
            f"{did_you_mean(e.mutant, ids)}; dualrel test --mutate prints their ids",
        )
        for i, e in enumerate(specs)
        if e.mutant not in ids
    ]


def _unknown_rule(
    doc: safeyaml.LocatedDocument, name: str, pointer: str, rid: str, ruleset: Ruleset
) -> Problem:
    ids = [r.id for r in ruleset.rules]
    return located(
        name,
        doc,
        pointer,
        code="unknown-rule",
        field="rule",
        message=f"ruleset {ruleset.id!r} has no rule {rid!r}{did_you_mean(rid, ids)}",
    )


def _registry(
    doc: safeyaml.LocatedDocument,
    cp: str,
    *,
    name: str,
    case: CaseSpec,
    spec: CaseFileSpec,
    ruleset: Ruleset,
    problems: list[Problem],
) -> Registry | None:
    raw = doc.data["cases"][int(cp.rsplit("/", 1)[1])]
    fragment: dict[str, Any] = {
        "format": FORMAT,
        "people": raw.get("people"),
        "ties": raw.get("ties") or [],
    }
    for section in PRACTICE_SECTIONS:
        if raw.get(section):
            fragment[section] = raw[section]
    as_of = case.as_of or spec.as_of
    collector = Collector()
    try:
        return read_document(
            fragment,
            name,
            _FragmentLocator(doc, cp),
            collector,
            kinds=dict(ruleset.kinds),
            roles=frozenset(CORE_ROLES) | ruleset.roles,
            as_of=as_of,
            plain_data=False,
        )
    except RegistryError as exc:
        for p in exc.problems:
            if p.severity != "error":
                continue
            pointer = cp + (p.pointer or "")
            problems.append(
                Problem(
                    file=name,
                    line=p.line or doc.line_of(pointer),
                    pointer=pointer,
                    code=p.code,
                    message=p.message,
                    record=p.record,
                    field=p.field,
                )
            )
        return None


def _expected(
    doc: safeyaml.LocatedDocument,
    cp: str,
    *,
    name: str,
    case: CaseSpec,
    ruleset: Ruleset,
    problems: list[Problem],
) -> tuple[Expected, ...]:
    out: list[Expected] = []
    rules = {r.id: r for r in ruleset.rules}
    for j, e in enumerate(case.expect or []):
        ep = f"{cp}/expect/{j}"
        rule = rules.get(e.rule)
        if rule is None:
            problems.append(_unknown_rule(doc, name, f"{ep}/rule", e.rule, ruleset))
        elif e.subjects is not None:
            variables = rule.match.subject_variables
            for var in e.subjects:
                if var not in variables:
                    sp = f"{ep}/subjects/{safeyaml.escape(var)}"
                    problems.append(
                        located(
                            name,
                            doc,
                            sp,
                            code="unknown-subject",
                            field=var,
                            message=f"rule {e.rule!r} has no person variable {var!r}"
                            f"{did_you_mean(var, variables)}; its subjects are "
                            f"{', '.join(variables)}",
                        )
                    )
            missing = [v for v in variables if v not in e.subjects]
            if missing:
                sp = f"{ep}/subjects"
                problems.append(
                    located(
                        name,
                        doc,
                        sp,
                        code="missing-subject",
                        field="subjects",
                        message=f"give every subject of rule {e.rule!r}: "
                        f"{', '.join(missing)} missing (or leave subjects out)",
                    )
                )
        out.append(
            Expected(
                rule=e.rule,
                subjects=dict(e.subjects) if e.subjects is not None else None,
                level=e.level,
                severity=e.severity,
                evidence=tuple(e.evidence) if e.evidence is not None else None,
                records=tuple(e.records) if e.records is not None else None,
            )
        )
    return tuple(out)


def read_case_files(paths: Sequence[Path]) -> tuple[list[CaseFile], list[Problem]]:
    """Read every file, collecting the problems of all of them."""
    rulesets = _Rulesets()
    files: list[CaseFile] = []
    problems: list[Problem] = []
    for path in paths:
        try:
            files.append(read_case_file(path, rulesets))
        except TestCaseError as exc:
            problems.extend(exc.problems)
    return files, problems
