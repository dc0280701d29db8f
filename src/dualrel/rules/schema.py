"""The ruleset file format, as pydantic models.

A ruleset file is YAML (or JSON) validated against :class:`RulesetFile`.  Nothing in it is
ever executed: patterns are data that the compiler turns into durable-rules conditions.
``dualrel schema ruleset`` prints the JSON Schema of this model.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    FiniteFloat,
    GetCoreSchemaHandler,
    GetPydanticSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError, core_schema

from dualrel._internal.dates import MAX_DAYS
from dualrel.findings import Citation

__all__ = [
    "DEFAULT_ESCALATION_DAYS",
    "NUMERIC_TESTS",
    "WHERE_RE",
    "AnyOf",
    "AttributeTest",
    "Citation",
    "CountSpec",
    "EscalationSpec",
    "FieldTest",
    "KindSpec",
    "Level",
    "Match",
    "Number",
    "Owner",
    "ParameterSpec",
    "PathClause",
    "PatternSpec",
    "PatternUse",
    "PersonSpec",
    "RecordClause",
    "RemediationSpec",
    "RuleOverride",
    "RuleSpec",
    "RulesetFile",
    "Section",
    "Severity",
    "ShareSpec",
    "SourceSpec",
    "TieClause",
    "Vocabulary",
]

Severity = Literal["low", "medium", "high", "critical"]
Level = Literal[1, 2, 3]
Owner = Literal["coach", "supervisor", "manager", "ethics_committee", "external"]
#: A number a ruleset gives: never NaN or infinite (``.nan`` compares false with
#: everything, so a window of NaN days would make every comparison of it fail or, negated,
#: every one hold; and the engine cannot read either)
Number = int | FiniteFloat
Scalar = str | int | FiniteFloat | bool

_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"
_ID = r"^[a-z0-9][a-z0-9._-]*$"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _as_text(v: Any) -> Any:
    return str(v) if isinstance(v, int | float) else v


def _citation(v: Any, handler: core_schema.ValidatorFunctionWrapHandler) -> Citation:
    if isinstance(v, Citation):
        return v
    if not isinstance(v, dict):
        raise PydanticCustomError(
            "citation_type",
            "a citation must be a mapping such as {example}, not {got}",
            {
                "example": '{code: ICF-2020, clause: "24"}',
                "got": "a list" if isinstance(v, list) else "text or a number",
            },
        )
    fields = handler(v)
    return Citation(fields["code"], fields["clause"])


def _citation_schema(_source: Any, _handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
    """Validate :class:`~dualrel.findings.Citation` as the ruleset model it replaced did.

    One class serves the ruleset file and the findings: this schema checks what a frozen
    pydantic model with ``extra="forbid"`` would (unknown fields, missing fields, empty
    text, numbers as clause text) and gives the same JSON Schema.
    """
    text = core_schema.str_schema(min_length=1)

    def titled(schema: core_schema.CoreSchema, title: str) -> core_schema.TypedDictField:
        return core_schema.typed_dict_field(
            schema, metadata={"pydantic_js_updates": {"title": title}}
        )

    fields = core_schema.typed_dict_schema(
        {
            "code": titled(text, "Code"),
            "clause": titled(
                core_schema.no_info_before_validator_function(_as_text, text), "Clause"
            ),
        },
        extra_behavior="forbid",
        total=True,
        metadata={
            "pydantic_js_updates": {
                "title": "Citation",
                "description": 'A clause of a code of ethics: ``{code: ICF-2020, clause: "24"}``.',
            }
        },
    )
    return core_schema.no_info_wrap_validator_function(
        _citation,
        fields,
        ref="Citation",
        serialization=core_schema.plain_serializer_function_ser_schema(
            lambda c: {"code": c.code, "clause": c.clause}
        ),
    )


#: A citation in a ruleset file, read straight into :class:`~dualrel.findings.Citation`.
_CitationField = Annotated[Citation, GetPydanticSchema(_citation_schema)]


class SourceSpec(_Model):
    """A code of ethics the ruleset implements, with the version it follows."""

    code: str = Field(min_length=1)
    version: str | None = None
    title: str | None = None

    @field_validator("version", mode="before")
    @classmethod
    def _version_as_text(cls, v: Any) -> Any:
        return str(v) if isinstance(v, int | float) else v


class RemediationSpec(_Model):
    """One remediation step: what to do, within how many days, and who owns it."""

    action: str = Field(min_length=1)
    within_days: int = Field(ge=0, le=MAX_DAYS)
    owner: Owner


#: Days past a remediation step's due date after which an unresolved finding rises a level,
#: when neither the rule nor its ruleset says (docs/rulesets.md, "Escalation over time").
#: Library defaults: no code of ethics gives a number.
DEFAULT_ESCALATION_DAYS: dict[int, int] = {1: 14, 2: 7}


class EscalationSpec(_Model):
    """When an unresolved finding rises a level, in days past the due date of its earliest
    uncompleted remediation step: ``level_1`` for level 1 to 2, ``level_2`` for 2 to 3
    (the dualrel register applies it; a level left out keeps the ruleset's or the default)."""

    level_1: int | None = Field(default=None, ge=0)
    level_2: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _some_level(self) -> EscalationSpec:
        if self.level_1 is None and self.level_2 is None:
            raise ValueError("give level_1, level_2 or both (days past the due date)")
        return self

    def days(self) -> dict[int, int]:
        """The levels it sets: ``{1: days, 2: days}``."""
        given = {1: self.level_1, 2: self.level_2}
        return {level: d for level, d in given.items() if d is not None}


def _exactly_one_of(test: BaseModel, names: tuple[str, ...]) -> None:
    """A test gives exactly one of ``names`` (their YAML spelling: ``in`` is ``in_``)."""
    given = [n for n in names if getattr(test, "in_" if n == "in" else n) is not None]
    if len(given) != 1:
        shown = ", ".join(f"{n}: true" if n in ("present", "absent") else n for n in names)
        raise ValueError(
            f"give exactly one of {shown}" + (f" (got {', '.join(given)})" if given else "")
        )


#: The numeric tests of an attribute, each with the comparison it makes of the value.
NUMERIC_TESTS = {"greater_than": ">", "at_least": ">=", "less_than": "<", "at_most": "<="}


class AttributeTest(_Model):
    """A condition on one tie or person attribute: exactly one of equals, in, present,
    absent; or numeric bounds (``greater_than``, ``at_least``, ``less_than``, ``at_most``,
    each a number or a parameter), one or several: the value must read as a number within
    all of them."""

    equals: Scalar | None = None
    in_: list[Scalar] | None = Field(default=None, alias="in", min_length=1)
    present: Literal[True] | None = None
    absent: Literal[True] | None = None
    greater_than: FiniteFloat | str | None = Field(default=None, union_mode="left_to_right")
    at_least: FiniteFloat | str | None = Field(default=None, union_mode="left_to_right")
    less_than: FiniteFloat | str | None = Field(default=None, union_mode="left_to_right")
    at_most: FiniteFloat | str | None = Field(default=None, union_mode="left_to_right")

    @property
    def bounds(self) -> tuple[tuple[str, float | str], ...]:
        """The numeric tests given: (comparison, number or parameter name)."""
        return tuple(
            (op, getattr(self, name))
            for name, op in NUMERIC_TESTS.items()
            if getattr(self, name) is not None
        )

    @model_validator(mode="after")
    def _exactly_one(self) -> AttributeTest:
        if not self.bounds:
            _exactly_one_of(self, ("equals", "in", "present", "absent"))
        elif any(getattr(self, n) is not None for n in ("equals", "in_", "present", "absent")):
            raise ValueError(
                "give numeric bounds (greater_than, at_least, less_than, at_most) or one "
                "of equals, in, present: true, absent: true, not both"
            )
        return self


class _Link(_Model):
    """What tie and path clauses share: a name, one or more kinds, and two ends, written
    ``from``/``to`` (directed) or ``between: [a, b]`` (either direction)."""

    as_: str | None = Field(default=None, alias="as", pattern=_NAME)
    kind: str | Annotated[list[str], Field(min_length=1)]
    from_: str | None = Field(default=None, alias="from")
    to: str | None = None
    between: list[str] | None = Field(default=None, min_length=2, max_length=2)

    def _check_ends(self, what: str) -> None:
        directed = self.from_ is not None or self.to is not None
        if self.between is not None and directed:
            raise ValueError("give either from/to or between, not both")
        if self.between is None and (self.from_ is None or self.to is None):
            raise ValueError(f"{what} needs both from and to, or between: [a, b]")

    @property
    def kinds(self) -> tuple[str, ...]:
        return (self.kind,) if isinstance(self.kind, str) else tuple(self.kind)

    @property
    def ends(self) -> tuple[str, str]:
        if self.between is not None:
            return (self.between[0], self.between[1])
        assert self.from_ is not None and self.to is not None
        return (self.from_, self.to)

    @property
    def directed(self) -> bool:
        return self.between is None


class TieClause(_Link):
    """One tie of a pattern.

    ``from``/``to`` for a directed tie, or ``between: [a, b]`` for either direction.
    ``exists: false`` negates the clause: no such tie may exist.
    """

    active: Literal[True] | None = None
    ended: bool | None = None
    attributes: dict[str, AttributeTest] = Field(default_factory=dict)
    exists: bool = True
    #: ``known: [start]``: the tie's start (or end) is given, not open
    known: list[Literal["start", "end"]] = Field(default_factory=list)

    @model_validator(mode="after")
    def _ends(self) -> TieClause:
        self._check_ends("a tie clause")
        return self


class PathClause(_Link):
    """A chain of ties of ``kind`` from one person to another (see ``docs/rulesets.md``,
    "Chains of ties").

    ``from``/``to`` follows each tie's direction; ``between: [a, b]`` reads every tie in
    either direction.  The chain's length is the *distance*, the fewest ties from one person
    to the other: it must be at least ``min_hops`` and at most ``max_hops`` (``null``: no
    limit).  ``active: true`` builds chains of ties active on the evaluation date only.
    """

    min_hops: int = Field(default=1, ge=1)
    max_hops: int | None = Field(default=None, ge=1)
    active: Literal[True] | None = None

    @model_validator(mode="after")
    def _shape(self) -> PathClause:
        self._check_ends("a path")
        if self.max_hops is not None and self.max_hops < self.min_hops:
            raise ValueError(
                f"max_hops ({self.max_hops}) is less than min_hops ({self.min_hops}): "
                "no chain can be that long"
            )
        return self


class FieldTest(_Model):
    """A condition on one field of a practice record.

    ``equals``/``in``/``present``/``absent`` as for tie attributes; on list fields (an
    agreement's ``roles``, ``covers``, ``channels``) ``contains`` (every value listed) and
    ``lacks`` (none of the values listed).
    """

    equals: Scalar | None = None
    in_: list[Scalar] | None = Field(default=None, alias="in", min_length=1)
    present: Literal[True] | None = None
    absent: Literal[True] | None = None
    contains: list[str] | None = Field(default=None, min_length=1)
    lacks: list[str] | None = Field(default=None, min_length=1)

    @field_validator("contains", "lacks", mode="before")
    @classmethod
    def _one_is_a_list(cls, v: Any) -> Any:
        return [v] if isinstance(v, str) else v

    @model_validator(mode="after")
    def _exactly_one(self) -> FieldTest:
        _exactly_one_of(self, ("equals", "in", "present", "absent", "contains", "lacks"))
        return self


Section = Literal[
    "agreements",
    "consents",
    "assessments",
    "disclosures",
    "supervision_sessions",
    "contacts",
    "concerns",
    "records",
]


class RecordClause(_Model):
    """One practice record of a pattern (see :mod:`dualrel.rules.sections`).

    ``people`` ties the record's person fields to pattern variables, ``tie`` ties its tie
    field (an agreement's ``tie``, a concern's ``about``) to a named tie clause, ``fields``
    tests its other fields.  ``exists: false``: no such record may exist.
    """

    as_: str | None = Field(default=None, alias="as", pattern=_NAME)
    section: Section
    people: dict[str, Annotated[str, Field(pattern=_NAME)]] = Field(default_factory=dict)
    tie: str | None = Field(default=None, pattern=_NAME)
    fields: dict[str, FieldTest] = Field(default_factory=dict)
    exists: bool = True

    @model_validator(mode="after")
    def _anchored(self) -> RecordClause:
        if not self.people and self.tie is None:
            raise ValueError("a record clause needs people: or tie: to say whose record it is")
        return self


class PersonSpec(_Model):
    """A pattern variable: a person, optionally with one of ``roles``, an ``organisation``
    and ``attributes`` passing the tests tie attributes have."""

    roles: list[str] = Field(default_factory=list)
    organisation: AttributeTest | None = None
    attributes: dict[str, AttributeTest] = Field(default_factory=dict)

    @property
    def tested(self) -> bool:
        """Whether the person is tested beyond roles."""
        return self.organisation is not None or bool(self.attributes)


class AnyOf(_Model):
    """``{any: [cond, ...]}`` in ``where``: at least one of the conditions holds."""

    any: list[str] = Field(min_length=1)


class CountSpec(_Model):
    """``count: {of: x, at_least: N}``: a group of matches is a finding when it holds at
    least ``N`` distinct records of the record clause ``x``, distinct ties of the tie
    clause ``x``, or distinct people bound to the variable ``x`` (``N`` a number or a
    parameter).  ``alike: organisation`` (or ``attributes.<key>``), for a variable: at
    least ``N`` of those people share one value of that field."""

    of: str = Field(pattern=_NAME)
    at_least: int | str = Field(union_mode="left_to_right")
    alike: str | None = Field(
        default=None, pattern=r"^(organisation|attributes\.[A-Za-z_][A-Za-z0-9_]*)$"
    )

    @field_validator("at_least")
    @classmethod
    def _positive(cls, v: int | str) -> int | str:
        if isinstance(v, int) and v < 1:
            raise ValueError("at_least must be 1 or more")
        return v


class ShareSpec(_Model):
    """``share: {of: x, where: [...], more_than: P}``: a group of matches is a finding when
    the records of clause ``x`` that also meet ``where`` are more than the share ``P``
    (a number from 0 to 1, or a parameter) of all its distinct records of clause ``x``
    (or ties of the tie clause ``x``, or people bound to the variable ``x``)."""

    of: str = Field(pattern=_NAME)
    where: list[str | AnyOf] = Field(min_length=1)
    more_than: FiniteFloat | str = Field(union_mode="left_to_right")

    @field_validator("more_than")
    @classmethod
    def _share(cls, v: float | str) -> float | str:
        if isinstance(v, float | int) and not 0 <= v < 1:
            raise ValueError("more_than is a share: a number from 0 up to (not including) 1")
        return v


class PatternUse(_Model):
    """``{pattern: name, with: {its variable: this pattern's variable}}``: a named
    sub-pattern with some of its variables renamed (``use: [name]`` renames none)."""

    pattern: str = Field(pattern=_NAME)
    with_: dict[Annotated[str, Field(pattern=_NAME)], Annotated[str, Field(pattern=_NAME)]] = Field(
        default_factory=dict, alias="with"
    )


class PatternSpec(_Model):
    """A named sub-pattern (``patterns:`` of a ruleset): people, clauses and conditions
    that rules (and other patterns) include with ``use``."""

    description: str = ""
    people: dict[Annotated[str, Field(pattern=_NAME)], PersonSpec] = Field(default_factory=dict)
    ties: list[TieClause] = Field(default_factory=list)
    records: list[RecordClause] = Field(default_factory=list)
    where: list[str | AnyOf] = Field(default_factory=list)
    use: list[Annotated[str, Field(pattern=_NAME)] | PatternUse] = Field(default_factory=list)

    @field_validator("people", mode="before")
    @classmethod
    def _none_is_empty(cls, v: Any) -> Any:
        if isinstance(v, dict):
            return {k: ({} if spec is None else spec) for k, spec in v.items()}
        return v


class Match(_Model):
    """A pattern: person variables, tie and record clauses sharing them, conditions, and
    optionally how matches group into findings (``per``, ``count``, ``share``).

    ``where`` items compare fields of two clauses, or one and ``as_of`` (see
    ``docs/rulesets.md``); ``{any: [...]}`` holds when one of its conditions does.
    """

    people: dict[Annotated[str, Field(pattern=_NAME)], PersonSpec]
    ties: list[TieClause] = Field(default_factory=list)
    records: list[RecordClause] = Field(default_factory=list)
    paths: list[PathClause] = Field(default_factory=list)
    where: list[str | AnyOf] = Field(default_factory=list)
    per: list[Annotated[str, Field(pattern=_NAME)]] | None = None
    count: CountSpec | None = None
    share: ShareSpec | None = None
    #: named sub-patterns (``patterns:``) whose people, clauses and conditions this
    #: pattern includes; resolved when the ruleset is loaded
    use: list[Annotated[str, Field(pattern=_NAME)] | PatternUse] = Field(default_factory=list)

    @field_validator("people", mode="before")
    @classmethod
    def _none_is_empty(cls, v: Any) -> Any:
        if isinstance(v, dict):
            return {k: ({} if spec is None else spec) for k, spec in v.items()}
        return v

    @property
    def subject_variables(self) -> list[str]:
        """The variables a finding names: the ``per`` ones when matches are grouped, else
        those a clause that must exist binds (not one only a negated clause names)."""
        if self.per is not None:
            return list(self.per)
        bound = (
            {v for c in self.ties if c.exists for v in c.ends}
            | {v for c in self.records if c.exists for v in c.people.values()}
            | {v for p in self.paths for v in p.ends}
        )
        return [v for v in self.people if v in bound]

    @model_validator(mode="after")
    def _one_aggregate(self) -> Match:
        if self.count is not None and self.share is not None:
            raise ValueError("give count or share, not both")
        if not self.ties and not self.records and not self.paths and not self.use:
            raise ValueError("a pattern needs at least one tie, path or record clause")
        return self


class RuleSpec(_Model):
    """One rule of a ruleset."""

    id: str = Field(pattern=_ID)
    title: str = Field(min_length=1)
    description: str = ""
    category: str = Field(min_length=1)
    severity: Severity
    level: Level
    citations: list[_CitationField] = Field(default_factory=list)
    remediation: list[RemediationSpec] = Field(min_length=1)
    match: Match
    parameters: dict[Annotated[str, Field(pattern=_NAME)], Number] = Field(default_factory=dict)
    enabled: bool = True
    #: rules (own or inherited) whose findings this rule's finding replaces for the same
    #: subjects (see "Composing codes" in docs/rulesets.md)
    supersedes: list[Annotated[str, Field(pattern=_ID)]] = Field(default_factory=list)
    #: when this rule's unresolved findings escalate, over the ruleset's ``escalation``
    escalation: EscalationSpec | None = None


class RuleOverride(_Model):
    """Changes to one inherited rule, applied when the ruleset is loaded.

    ``citations`` and ``remediation`` replace the inherited lists whole.
    """

    level: Level | None = None
    severity: Severity | None = None
    parameters: dict[str, Number] = Field(default_factory=dict)
    enabled: bool | None = None
    title: str | None = Field(default=None, min_length=1)
    description: str | None = None
    citations: list[_CitationField] | None = None
    remediation: list[RemediationSpec] | None = Field(default=None, min_length=1)


class KindSpec(_Model):
    """A tie kind the ruleset adds to the core vocabulary."""

    directed: bool
    description: str = ""


class Vocabulary(_Model):
    """Tie kinds and roles a ruleset uses beyond the core vocabulary."""

    kinds: dict[Annotated[str, Field(pattern=_NAME)], KindSpec] = Field(default_factory=dict)
    roles: list[Annotated[str, Field(pattern=_NAME)]] = Field(default_factory=list)


class ParameterSpec(_Model):
    """A named value rules refer to; ``library_default`` when no code gives the number."""

    value: Number
    description: str = ""
    library_default: bool = False


class RulesetFile(_Model):
    """A ruleset file as written, before ``extends`` and ``overrides`` are resolved."""

    id: str = Field(pattern=_ID)
    version: str = Field(min_length=1)
    title: str = Field(min_length=1)
    description: str = ""
    effective: date | None = None
    sources: list[SourceSpec] = Field(default_factory=list)
    #: the base ruleset, or several (``[icf-2020, counselling-windows]``), in order
    extends: str | list[Annotated[str, Field(min_length=1)]] | None = None
    overrides: dict[str, RuleOverride] = Field(default_factory=dict)
    vocabulary: Vocabulary = Field(default_factory=Vocabulary)
    parameters: dict[Annotated[str, Field(pattern=_NAME)], ParameterSpec] = Field(
        default_factory=dict
    )
    patterns: dict[Annotated[str, Field(pattern=_NAME)], PatternSpec] = Field(default_factory=dict)
    rules: list[RuleSpec] = Field(default_factory=list)
    #: when unresolved findings of its rules (and inherited ones) escalate
    escalation: EscalationSpec | None = None

    @field_validator("version", mode="before")
    @classmethod
    def _version_as_text(cls, v: Any) -> Any:
        return str(v) if isinstance(v, int | float) else v

    @property
    def bases(self) -> tuple[str, ...]:
        """The rulesets ``extends`` names, in order (none, one or several)."""
        if self.extends is None:
            return ()
        return (self.extends,) if isinstance(self.extends, str) else tuple(self.extends)

    @field_validator("rules", "overrides", "sources", mode="before")
    @classmethod
    def _empty(cls, v: Any, info: Any) -> Any:
        # ``rules:`` with nothing under it (a ruleset that only overrides) is empty
        if v is None:
            return {} if info.field_name == "overrides" else []
        return v

    @field_validator("parameters", mode="before")
    @classmethod
    def _shorthand(cls, v: Any) -> Any:
        # ``window_days: 730`` is shorthand for ``window_days: {value: 730}``.
        if isinstance(v, dict):
            return {
                k: ({"value": p} if isinstance(p, int | float) and not isinstance(p, bool) else p)
                for k, p in v.items()
            }
        return v


WHERE_RE = re.compile(
    r"^\s*(?P<left>[A-Za-z_]\w*\.[A-Za-z_]\w*|as_of|\d{4}-\d{2}-\d{2})\s*"
    r"(?P<op><=|>=|==|<|>)\s*"
    r"(?P<right>[A-Za-z_]\w*\.[A-Za-z_]\w*|as_of|\d{4}-\d{2}-\d{2})"
    r"(?:\s*(?P<sign>[+-])\s*(?P<offset>\d+|[A-Za-z_]\w*))?\s*$"
)
"""A date condition as ``dualrel.testing`` reads it: each side a clause's field (a tie's
``start``/``end`` or date attribute), ``as_of`` or a fixed ``YYYY-MM-DD`` date."""
