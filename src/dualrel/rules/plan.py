"""The compiled plan: what :func:`~dualrel.rules.compiler.compile_ruleset` hands the engine.

These frozen dataclasses are the contract between the compiler and the engine: a
:class:`CompiledRuleset` holds, per rule, its durable-rules conditions (:class:`Variant`),
how evaluation is partitioned (the anchor and each clause's reach), how matches are
grouped and counted, and the :class:`FactSchema` saying what facts must carry.  They hold
data only; how the compiler fills them is in :mod:`dualrel.rules.compiler`, and the fact
fields they name are described in ``docs/compiler.md``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from dualrel.rules._values import Pair, PersonTest, ValueTest
from dualrel.rules.loader import Rule, Ruleset

__all__ = [
    "FIXED_DAY",
    "NO_END",
    "NO_START",
    "Bound",
    "ClausePlan",
    "CompiledRule",
    "CompiledRuleset",
    "CountedShare",
    "FactSchema",
    "PathPlan",
    "RecordPlan",
    "RecordRead",
    "Variant",
    "on_date",
]

#: A fixed date in a compiled condition, ``{FIXED_DAY: <its ordinal + offset>}``: turned into
#: days from the evaluation date when the engine is given the conditions (:func:`on_date`).
FIXED_DAY = "$day"


def on_date(definition: Mapping[str, Any], as_of: date) -> dict[str, Any]:
    """``definition`` with each fixed date in days from ``as_of``, as facts hold times."""
    day = as_of.toordinal()

    def resolve(node: Any) -> Any:
        if isinstance(node, Mapping):
            if len(node) == 1 and FIXED_DAY in node:
                return node[FIXED_DAY] - day
            return {k: resolve(v) for k, v in node.items()}
        if isinstance(node, list):
            return [resolve(v) for v in node]
        return node

    return {name: resolve(cond) for name, cond in definition.items()}


#: Stand-ins for a missing start ("since always") and a missing end ("ongoing").
NO_START = -1_000_000_000
NO_END = 1_000_000_000


@dataclass(frozen=True, slots=True)
class ClausePlan:
    """One clause as the engine sees it."""

    index: int  # position in the rule as written
    alias: str  # durable-rules alias (positive) or ``n<index>$not`` (negated)
    kinds: tuple[str, ...]
    ends: tuple[str, str]
    exists: bool
    reach: int  # how many hops from the anchor the nearer end of this clause can be


@dataclass(frozen=True, slots=True)
class PathPlan:
    """The derived ties of one distinct path clause (see :mod:`dualrel.rules._paths`): one
    tie of kind ``kind`` from each person to each other person the ties of ``kinds`` reach
    at a distance from ``min_hops`` to ``max_hops`` (None: any).  The compiler reads path
    clauses as tie clauses of ``kind``."""

    kind: str  # the derived ties' kind, never a registry kind (it starts with ``~``)
    kinds: tuple[str, ...]  # the registry kinds a chain is made of, sorted
    directed: bool  # along each tie's direction (``from``/``to``), or either way
    min_hops: int
    max_hops: int | None
    active: bool  # chains of ties active on the evaluation date only
    #: directed paths: the roles the ``from`` and ``to`` people must have one of (empty:
    #: any), so that only chains a match can use are derived
    from_roles: frozenset[str] = frozenset()
    to_roles: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class RecordPlan:
    """One record clause as the engine sees it."""

    index: int  # position in ``match.records``
    alias: str  # ``r<index>`` (positive) or ``m<index>$not`` (negated)
    section: str
    exists: bool


@dataclass(frozen=True, slots=True)
class Variant:
    """One durable-rules rule of a compiled rule: one alternative of its ``where``."""

    name: str
    numerator: bool  # one of a ``share`` rule's numerator rules
    condition: Mapping[str, Any]
    #: per positive record clause: (section, the tests that read that record alone); a
    #: variant none of whose records of some clause passes these can never fire
    needs: tuple[tuple[str, tuple[Mapping[str, Any], ...]], ...] = ()
    #: per record clause, positive or negated: what a record must pass to take part
    reads: tuple[RecordRead, ...] = ()


@dataclass(frozen=True, slots=True)
class Bound:
    """A join test of a record clause that compares one of its fields with a field of a
    positive record clause of the same variant: ``<field> <op> <partner>.<partner_field>``.
    Such a record needs some partner record (one passing ``partner_tests``) to compare
    with, so it must compare so with the largest (``<``, ``<=``) or the smallest (``>``,
    ``>=``) value of that field among them."""

    field: str
    op: str  # "$lt", "$lte", "$gt" or "$gte"
    partner_section: str
    partner_tests: tuple[Mapping[str, Any], ...]
    partner_field: str


@dataclass(frozen=True, slots=True)
class RecordRead:
    """One record clause of a variant: its section, the tests it makes of a record alone,
    its bounds (positive clauses only) and its alias in the condition."""

    section: str
    tests: tuple[Mapping[str, Any], ...]
    bounds: tuple[Bound, ...] = ()
    alias: str = ""


@dataclass(frozen=True, slots=True)
class CountedShare:
    """How to count a ``share`` rule's denominator without the engine (see
    ``docs/compiler.md``): per group, the records of ``section`` that pass ``tests`` (tests
    of the record alone, exactly as the engine makes them, see
    :func:`dualrel.rules._tester.exact_tester`), by the people they name."""

    section: str
    tests: tuple[Mapping[str, Any], ...]
    people: tuple[tuple[str, str], ...]  # (record person field, variable), by variable


@dataclass(frozen=True, slots=True)
class CompiledRule:
    """A rule, its durable-rules conditions and its partitioning plan."""

    rule: Rule
    name: str  # the rule's name in the engine; its variants' names start with it
    clauses: tuple[ClausePlan, ...]  # tie clauses, in join order; positive ones first
    records: tuple[RecordPlan, ...]  # record clauses, positive ones first
    bindings: Mapping[str, tuple[str, str]]  # variable -> (alias, fact field)
    evidence: tuple[str, ...]  # aliases of positive tie clauses in the order they are written
    record_evidence: tuple[str, ...]  # aliases of positive record clauses, as written
    anchor: str  # variable whose value owns a match
    anchor_alias: str
    anchor_end: str  # the fact field holding the anchor in its first clause
    anchor_kinds: tuple[str, ...]  # empty for a rule of records only
    anchor_directed: bool
    walk_kinds: frozenset[str]  # kinds whose ties link people within one match
    radius: int  # the largest ``reach`` of any clause
    negated: bool  # has a negated clause or an attribute ``absent`` test
    vetoable: bool  # has a negated clause: a new tie can remove a match
    variants: tuple[Variant, ...]
    #: per record clause of each variant: (section, the tests that read that record alone);
    #: a record passing none of its section's lists can take part in no match
    record_filters: tuple[tuple[str, tuple[Mapping[str, Any], ...]], ...] = ()
    per: tuple[str, ...] | None = None  # variables a finding groups matches by
    count_of: str | None = None  # alias of the counted record or tie clause, or a variable
    at_least: int = 0
    share_of: str | None = None
    more_than: float = 0.0
    #: ``count``/``share`` of people bound to a variable (``count_of``/``share_of``)
    count_person: bool = False
    share_person: bool = False
    #: ``count``'s ``alike``: the counted people's field that must agree
    count_alike: str | None = None
    #: the share's denominator, when it is counted rather than matched (its variants are
    #: then left out of ``variants``)
    counted_share: CountedShare | None = None
    #: permutations of the variables that leave the pattern unchanged (``symmetry``
    #: stage): only the canonical ordering of a match is reported
    symmetries: tuple[tuple[tuple[str, str], ...], ...] = ()

    def reported(self, subjects: Mapping[str, str]) -> bool:
        """Whether a match with these subjects is reported: always, unless the pattern is
        symmetric and another ordering of the match is the canonical one."""
        if not self.symmetries:
            return True
        from dualrel.rules._symmetry import canonical  # noqa: PLC0415 (plan stays data)

        order = self.per if self.per is not None else tuple(self.rule.match.people)
        return canonical(subjects, order, self.symmetries)

    @property
    def condition(self) -> Mapping[str, Any]:
        """The first variant's condition (most rules have one)."""
        return self.variants[0].condition

    @property
    def records_only(self) -> bool:
        return not self.clauses


@dataclass(frozen=True, slots=True)
class FactSchema:
    """What a fact must carry for the compiled rules to read it."""

    kinds: frozenset[str]  # kinds any clause reads: other ties never reach the engine
    reverse_kinds: frozenset[str]  # kinds also asserted in the reverse orientation
    role_sets: tuple[frozenset[str], ...]  # fact field ``rs<i>``/``rd<i>``: end has a role in set i
    attributes: tuple[str, ...]  # fact field ``a<i>`` carries attribute i, encoded
    values: Mapping[str, Mapping[str, str]]  # attribute -> canonical value -> token
    # Alternatives become flags, never regular expressions: durable-rules never frees the
    # state machines of ``$mt`` tests (about 0.3 MB per test and engine, measured).
    kind_sets: tuple[frozenset[str], ...] = ()  # fact field ``ks<i>``: kind is in set i
    value_sets: tuple[tuple[int, frozenset[str]], ...] = ()  # ``av<j>``: attr i's token in set
    dates: bool = True
    sections: frozenset[str] = frozenset()  # practice sections any clause reads
    tie_numbers: bool = False  # ties carry ``tn`` (a record clause names a tie clause)
    # ``vs<j>``: a record's value field is in a set (section, field, values)
    record_value_sets: tuple[tuple[str, str, frozenset[str]], ...] = ()
    record_reads: Mapping[str, frozenset[str]] = dataclasses.field(default_factory=dict)
    # what people are asked beyond roles: a person passing test i holds the role token
    # ``@p<i>`` (``_encode.person_token``), so the role flags above carry it
    person_tests: tuple[PersonTest, ...] = ()
    # ``an<j>``: the tie's attribute passes a numeric test (attribute, test)
    numeric_tests: tuple[tuple[str, ValueTest], ...] = ()
    # fields ``where`` compares (``Relate``): ("person", "organisation"|"attributes.<key>")
    # or ("tie", "attributes.<key>"); tie facts carry them (``_fields.slot_field``)
    slots: tuple[tuple[str, str], ...] = ()
    # ``pq<j>``: a comparison of two fields of one fact holds (``_values.Pair``)
    pairs: tuple[Pair, ...] = ()
    #: ``ad<i>``/``ak<i>``: tie attribute i read as a date by some condition
    date_attributes: tuple[str, ...] = ()
    #: some condition compares with a fixed date (:data:`FIXED_DAY` in the conditions)
    fixed_dates: bool = False


@dataclass(frozen=True, slots=True)
class CompiledRuleset:
    """A ruleset compiled once, evaluated many times (see :func:`dualrel.evaluate`)."""

    ruleset: Ruleset
    rules: tuple[CompiledRule, ...]
    schema: FactSchema
    #: the path clauses' derived ties; in ``rules`` (not in ``ruleset``, the ruleset as
    #: loaded) each path clause is a tie clause of its plan's kind
    paths: tuple[PathPlan, ...] = ()

    @property
    def definition(self) -> dict[str, Any]:
        """The durable-rules ruleset definition (plain JSON data)."""
        return {v.name: dict(v.condition) for r in self.rules for v in r.variants}

    @property
    def labels(self) -> dict[str, str]:
        """Each engine rule's name in errors: ``ruleset/rule``."""
        return {v.name: f"{self.ruleset.id}/{r.rule.id}" for r in self.rules for v in r.variants}

    def definition_on(self, as_of: date) -> dict[str, Any]:
        """:attr:`definition` for an evaluation on ``as_of`` (fixed dates resolved)."""
        if not self.schema.fixed_dates:
            return self.definition
        return on_date(self.definition, as_of)
