"""Which practice records reach the engine: record admission, before the engine (private).

The records' analogue of :mod:`dualrel.rules._prune`.  A record of a section some rule
reads is admitted (:class:`RecordIndex`) only when it can take part in a match or veto
one: it must pass the tests every clause reading its section makes of a record alone
(:func:`section_filters`: a contact's window, say), then, for some record clause of some
variant that can still fire, that clause's own tests and its bounds against the widest
values of the partner records (:class:`Admits`).  A variant one of whose record clauses
no admitted record passes can never fire (:class:`Unmet`); the engine leaves it out.
A record that only a clause a rule counts can read (``count: {of: contact, at_least:
3}``, per coach and client; or a ``share``'s part, whose whole is counted here) is
admitted only when enough records of its group (the people it names) pass that rule's
tests: at least ``at_least``, or more than the share of the whole; a group with fewer
can be no finding.
Every test here is never stricter than the engine, which tests every record again.

Sections are admitted in sorted order (agreements before contacts), so a bound's partner
section is complete when it is used; records alike in every field the tests read are
tested once.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from dualrel.graph.columns import LazyRecords, SectionColumns
from dualrel.graph.practice import Practice
from dualrel.rules._facts import Layout, Layouts, RecordFacts, body
from dualrel.rules._fields import KIND, record_kind
from dualrel.rules._tester import ORDERS, exact_tester, lenient_tester
from dualrel.rules.plan import Bound, CompiledRuleset
from dualrel.rules.sections import SECTIONS

if TYPE_CHECKING:
    from dualrel.graph.columns import DistinctCodes

__all__ = [
    "COLUMNS_MIN_RECORDS",
    "Admits",
    "Counted",
    "Extremes",
    "RecordIndex",
    "Unmet",
    "fields_of",
    "record_needs",
    "section_filters",
    "tests_key",
]

Tester = Callable[[Mapping[str, Any]], bool]
#: From this many records of a section up, admission tests them as columns (see
#: :meth:`RecordIndex._on_columns`); below, importing pyarrow would cost more than it saves.
COLUMNS_MIN_RECORDS = 20_000
#: By (section, tests key, field): the range of the values, None (not all numbers: no
#: bound) or missing (no record passes the tests: no partner at all)
Ranges = Mapping[tuple[str, str, str], tuple[float, float] | None]
#: A group of a ``count`` or ``share``: the rule's name and the people of its ``per``
#: variables
_Group = tuple[str, tuple[str | None, ...]]


class Counted(NamedTuple):
    """How a rule counts the records of one of its clauses (see :meth:`Admits.counted`)."""

    alias: str  # the clause's
    per_fields: tuple[str, ...]  # the record's person fields naming the ``per`` variables
    at_least: float  # a count's ``at_least``, a share's ``more_than``
    #: a share's: the whole's (record person field, variable) pairs
    #: (:attr:`~dualrel.rules.plan.CountedShare.people`); None for a count
    whole: tuple[tuple[str, str], ...] | None


class RecordIndex:
    """The practice records the rules of ``compiled`` read, admitted (see the module
    docstring), by ``section/id``, and who and what they name."""

    def __init__(self, compiled: CompiledRuleset) -> None:
        self.compiled = compiled
        #: by ``section/id``: (section, record)
        self.records: dict[str, tuple[str, Any]] = {}
        #: the same records, by section
        self.by_section: dict[str, list[Any]] = {}
        #: records by (person, section, person field) and (tie, section, ""): what one
        #: rule's matches can read
        self.records_of: dict[tuple[str, str, str], list[str]] = defaultdict(list)
        #: the record tests of variants (Variant.needs) that no record admitted passes:
        #: such a variant can never fire, and is left out of the engine, as (section, key)
        self.unmet: set[tuple[str, str]] = set()
        #: per rule whose share denominator is counted (CompiledRule.counted_share): the
        #: ids of the records passing its tests, by the (variable, person id) pairs they
        #: name (ids, not a number: matches count distinct records)
        self.share_counts: dict[str, dict[tuple[tuple[str, str], ...], set[str]]] = {
            r.name: {} for r in compiled.rules if r.counted_share is not None
        }
        self._tie_ends: dict[str, tuple[str, str]] = {}

    def person_of(self, section: str, rec: Any, field: str) -> str | None:
        """The person id ``field`` of ``rec`` names (a concern's ends: its tie's)."""
        if section == "concerns" and field != "raised_by":
            ends = self._tie_ends.get(rec.about)
            if field == "about":
                return None if ends is not None else str(rec.about)
            if ends is None:
                return None
            return ends[0] if field == "about_source" else ends[1]
        value = getattr(rec, field, None)
        return None if value is None else str(value)

    def admit(
        self,
        practice: Practice,
        tie_ends: Mapping[str, tuple[str, str]],
        layouts: Layouts,
        facts: RecordFacts,
        *,
        columns: Mapping[str, SectionColumns] | None = None,
    ) -> None:
        """Index the records of every section a rule reads, and make their facts (in
        ``facts``, but for their numbers).  ``tie_ends`` gives the ends of the ties
        concerns are about; ``columns``, the reader's columns of the records (see
        :class:`~dualrel.graph.columns.SectionColumns`), where it kept some."""
        self._tie_ends = dict(tie_ends)
        compiled = self.compiled
        filters = section_filters(compiled)
        records, records_of = self.records, self.records_of
        needs = record_needs(compiled)
        # extremes of the fields record bounds compare with, per partner section, from
        # the sections indexed so far (sorted: agreements come before contacts)
        extremes: dict[tuple[str, str, str], tuple[float, float] | None] = {}
        partners = _partner_fields(compiled)
        texts = facts.texts
        for section in sorted(compiled.schema.sections):
            fields = SECTIONS[section]
            kind_test = {KIND: record_kind(section)}
            # every record here is of this section: its kind test holds
            common = [t for t in filters.get(section, []) if t != kind_test]
            # only records some clause can read reach the engine: a record must pass the
            # tests every clause of its section makes of the record alone (its window,
            # say); never stricter than the engine, which tests again
            check = lenient_tester(common) if common else None
            tested = frozenset(fields_of(common))
            layout = layouts(section, tested)
            # the other fields the facts carry, filled only for the records kept
            rest = layouts(section, compiled.schema.record_reads.get(section, frozenset()) - tested)
            plain = section != "concerns"  # a concern's people come from its tie
            kept = self.by_section.setdefault(section, [])
            unmet = Unmet(needs.get(section, {}))
            # the usual filter (a contact's window) without building a fact for every record
            fast = layout.filling_tester(common) if check is not None else None
            # ... then what one clause or another needs of a record (see Admits)
            admits = Admits(compiled, section, common, extremes, self.unmet)
            track = Extremes(partners.get(section, []))
            counters = []
            for r in compiled.rules:
                if r.counted_share is not None and r.counted_share.section == section:
                    counts_test = exact_tester(r.counted_share.tests)
                    assert counts_test is not None, "_emit.count_share checked it"
                    counters.append(
                        (counts_test, r.counted_share.people, self.share_counts[r.name])
                    )
            fill = rest.fill
            every: Sequence[Any] = practice.section(section)
            chosen = self._on_columns(
                section,
                every,
                layouts(section, layout.keys | rest.keys),
                common,
                admits,
                given=SectionColumns.of(columns, section, every),
            )
            if chosen is not None:  # counted already: the rows left may be admitted
                every, counters = chosen, []
            # the records some clause can read, in order: (record, id, fact, whether a
            # clause of no count group reads it, the count groups it is in)
            passed: list[tuple[Any, str, dict[str, Any], bool, list[_Group]]] = []
            members: dict[_Group, int] = defaultdict(int)
            for rec in every:
                if fast is not None:
                    found = fast(rec)
                    if found is None:
                        continue
                    fact = found
                    rid = f"{section}/{rec.id}"
                else:
                    rid = f"{section}/{rec.id}"
                    fact = {KIND: layout.kind}
                    if check is not None:
                        layout.fill(rec, rid, fact)
                        if not check(fact):
                            continue
                fill(rec, rid, fact)
                for counts_test, named, counts in counters:
                    if counts_test(fact):
                        self._count(section, rec, named, counts)
                free, counted = admits(fact)
                if not free and not counted:
                    continue
                groups = [self._group(section, rec, name, admits) for name in counted]
                for group in groups:  # every record a counted clause can read is counted
                    members[group] += 1
                passed.append((rec, rid, fact, free, groups))
            for rec, rid, fact, free, groups in passed:
                if not free and not any(
                    self._reaches(section, rec, g, members[g], admits) for g in groups
                ):
                    continue  # in no group that can reach its rule's count: in no finding
                if track.pending:
                    track.see(fact)
                # the fact but its person and tie numbers, which are given once the records
                # are indexed (see RecordFacts.fact): made now, while the filter's part is at
                # hand
                texts[rid] = body(fact)
                if unmet.pending:
                    unmet.meet(fact)
                records[rid] = (section, rec)
                kept.append(rec)
                for f in fields.people:
                    if plain:
                        value = getattr(rec, f, None)
                        person = None if value is None else str(value)
                    else:
                        person = self.person_of(section, rec, f)
                    if person is not None:
                        records_of[(person, section, f)].append(rid)
                if fields.tie is not None:
                    records_of[(getattr(rec, fields.tie), section, "")].append(rid)
            self.unmet.update((section, key) for key, _ in unmet.pending)
            extremes.update(track.found(section))

    def _group(self, section: str, rec: Any, rule: str, admits: Admits) -> _Group:
        """The group of the count of ``rule`` that ``rec`` is counted in: the people its
        fields bind to the rule's ``per`` variables (:meth:`Admits.counted`)."""
        fields = admits.counts[rule].per_fields
        return (rule, tuple([self.person_of(section, rec, f) for f in fields]))

    def _reaches(self, section: str, rec: Any, group: _Group, members: int, admits: Admits) -> bool:
        """Whether ``members`` records of ``group`` (``rec`` among them) may be a finding
        of its rule, as ``aggregate`` decides: at least its count, or more than its
        share of the whole counted (none: no finding)."""
        counted = admits.counts[group[0]]
        if counted.whole is None:
            return members >= counted.at_least
        key = self._named_group(section, rec, counted.whole)
        if key is None:
            return False
        whole = len(self.share_counts[group[0]].get(key, ()))
        return whole > 0 and members > counted.at_least * whole

    def _on_columns(
        self,
        section: str,
        records: Sequence[Any],
        layout: Layout,
        common: Sequence[Mapping[str, Any]],
        admits: Admits,
        *,
        given: Mapping[str, DistinctCodes] | None = None,
    ) -> list[Any] | None:
        """The records of ``section`` that may be admitted, picked by their fact fields as
        columns (:mod:`dualrel.rules._admit_columns`; from the reader's columns of the
        records' fields, ``given``, where there are), with every counted share of the
        section counted; None when the section's facts or tests are not taken there (the
        record path then tests every record)."""
        if len(records) < COLUMNS_MIN_RECORDS:
            return None
        # pyarrow is imported for large sections alone: a check of a few records starts faster
        from dualrel.rules._admit_columns import (  # noqa: PLC0415
            admissible_rows,
            counted_groups,
            counted_rows,
            fact_columns,
        )

        cols = fact_columns(layout, records, given)
        if cols is None:
            return None
        counts = []
        for r in self.compiled.rules:
            share = r.counted_share
            if share is not None and share.section == section:
                rows = counted_rows(cols, common, share.tests)
                if rows is None:
                    return None
                counts.append((rows, share.people, self.share_counts[r.name]))
        for rows, named, counted in counts:
            # a concern's people come from its tie, not from a column
            grouped = None if section == "concerns" else counted_groups(records, rows, named, given)
            if grouped is None:
                for i in rows:
                    self._count(section, records[i], named, counted)
                continue
            for group, ids in grouped.items():  # as _count files them, group by group
                found = counted.get(group)
                if found is None:
                    counted[group] = set(ids)
                else:
                    found.update(ids)
        rows = admissible_rows(cols, common, admits.alternatives)
        if isinstance(records, LazyRecords):  # kept as columns: only these are made
            return records.objects(rows)
        return [records[i] for i in rows]

    def _count(
        self,
        section: str,
        rec: Any,
        named: tuple[tuple[str, str], ...],
        counts: dict[tuple[tuple[str, str], ...], set[str]],
    ) -> None:
        """Count ``rec`` in the group of the people it names (see CountedShare)."""
        group = self._named_group(section, rec, named)
        if group is None:
            return  # names nobody: in no group
        ids = counts.get(group)
        if ids is None:  # not setdefault: no empty set made per record
            ids = counts[group] = set()
        ids.add(rec.id)

    def _named_group(
        self, section: str, rec: Any, named: tuple[tuple[str, str], ...]
    ) -> tuple[tuple[str, str], ...] | None:
        """The group of the people ``rec``'s fields name, as (variable, person) for each
        (field, variable) of ``named`` (a share's whole, CountedShare); None when a field
        names nobody."""
        key = []
        plain = section != "concerns"  # a concern's people come from its tie
        for field, var in named:
            if plain:  # person_of, without a call (a quarter million contacts come here)
                value = getattr(rec, field, None)
                person = None if value is None else str(value)
            else:
                person = self.person_of(section, rec, field)
            if person is None:
                return None
            key.append((var, person))
        return tuple(key)


def section_filters(compiled: CompiledRuleset) -> dict[str, list[Mapping[str, Any]]]:
    """Per section, the tests that every clause reading it makes of a record alone: a
    record failing one of them can take part in no match."""
    common: dict[str, frozenset[str]] = {}
    for rule in compiled.rules:
        for section, tests in rule.record_filters:
            key = frozenset(json.dumps(t, sort_keys=True) for t in tests)
            common[section] = common[section] & key if section in common else key
    return {section: [json.loads(t) for t in sorted(key)] for section, key in common.items()}


def tests_key(tests: Iterable[Mapping[str, Any]]) -> str:
    """A list of tests as text, to file it by."""
    return json.dumps(list(tests), sort_keys=True)


def record_needs(compiled: CompiledRuleset) -> dict[str, dict[str, Tester]]:
    """Per section, every distinct list of tests some variant needs a record to pass
    (:attr:`~dualrel.rules.plan.Variant.needs`), by its key, with its tester."""
    out: dict[str, dict[str, Tester]] = defaultdict(dict)
    for rule in compiled.rules:
        for variant in rule.variants:
            for section, tests in variant.needs:
                out[section].setdefault(tests_key(tests), lenient_tester(tests))
    return out


def _partner_fields(compiled: CompiledRuleset) -> dict[str, list[tuple[str, Tester, str]]]:
    """Per section, the (tests key, tester, field) of every bound's partner in it."""
    out: dict[str, dict[tuple[str, str], Tester]] = defaultdict(dict)
    for rule in compiled.rules:
        for variant in rule.variants:
            for read in variant.reads:
                for b in read.bounds:
                    key = (tests_key(b.partner_tests), b.partner_field)
                    out[b.partner_section].setdefault(key, lenient_tester(b.partner_tests))
    return {s: [(k, check, f) for (k, f), check in d.items()] for s, d in out.items()}


class Extremes:
    """The smallest and largest value of each partner field among the records kept that
    pass the partner's tests (None when one of them is not a number: no bound)."""

    def __init__(self, wanted: list[tuple[str, Tester, str]]) -> None:
        self.pending = wanted
        self._range: dict[tuple[str, str], tuple[float, float] | None] = {}
        read = {f for key, _, field in wanted for f in {field, *fields_of(json.loads(key))}}
        self._fields = tuple(sorted(read))
        self._seen: set[tuple[Any, ...]] = set()

    def see(self, fact: Mapping[str, Any]) -> None:
        seen = tuple(map(fact.get, self._fields))
        if seen in self._seen:  # alike in every field read: nothing new
            return
        self._seen.add(seen)
        for key, check, field in self.pending:
            if not check(fact):
                continue
            value = fact.get(field)
            at = (key, field)
            if at in self._range and self._range[at] is None:
                continue
            if not isinstance(value, int | float) or isinstance(value, bool):
                self._range[at] = None
                continue
            lo, hi = self._range.get(at) or (value, value)
            self._range[at] = (min(lo, value), max(hi, value))

    def found(self, section: str) -> dict[tuple[str, str, str], tuple[float, float] | None]:
        """By (section, tests key, field): the range, None (no bound), or left out when
        no record passes the tests (no partner at all)."""
        return {(section, key, field): r for (key, field), r in self._range.items()}


class Admits:
    """Whether a record of ``section`` can take part in a match or veto one: it must
    pass, for some record clause of some variant that reads the section, the tests that
    clause makes of a record alone (those of ``common`` are checked already) and its
    bounds against the partner records of the sections indexed before (a bound whose
    partner section is not indexed yet is not used), in a variant that can still fire
    (none of its clauses on a section indexed before lacks every record it needs).
    Never stricter than the engine, which tests every pair again.  Records alike in
    every field the tests read are tested once.

    A clause a rule counts (:meth:`counted`) is read apart: a record it alone can read
    is in a finding only if its group has enough such records, which the caller counts
    (see :meth:`__call__`)."""

    def __init__(
        self,
        compiled: CompiledRuleset,
        section: str,
        common: Sequence[Mapping[str, Any]],
        extremes: Ranges,
        unmet: set[tuple[str, str]],
    ) -> None:
        # checked already: the filter's tests, and the kind every record here has
        done = {tests_key([t]) for t in [*common, {KIND: record_kind(section)}]}
        counted = self.counted(compiled, section)
        # (the tests' key, each bound as (field, op, its partner's range key)) -> tester,
        # and the rules counting the clauses it stands for (None: some clause no rule
        # counts, so a record passing it is admitted whatever its group)
        alternatives: dict[
            tuple[str, tuple[tuple[str, str, tuple[str, str, str]], ...]],
            tuple[Callable[..., bool], frozenset[str] | None],
        ] = {}
        read_fields: set[str] = set()
        for rule in compiled.rules:
            count = counted.get(rule.name)
            for variant in rule.variants:
                # a share's part is its numerator's: a variant of its whole is no count
                alias = None
                if count is not None and (count.whole is None or variant.numerator):
                    alias = count.alias
                if any((s, tests_key(tests)) in unmet for s, tests in variant.needs):
                    continue  # a variant that can never fire (see Store.definition)
                for read in variant.reads:
                    if read.section != section:
                        continue
                    tests = [t for t in read.tests if tests_key([t]) not in done]
                    # sections are indexed in sorted order: a partner section before this
                    # one is complete, the others are not known yet
                    bounds = tuple(
                        (b.field, b.op, _range_key(b))
                        for b in read.bounds
                        if b.partner_section < section
                    )
                    key = (tests_key(tests), bounds)
                    check, owners = alternatives.get(key) or (lenient_tester(tests), frozenset())
                    if owners is not None and alias is not None and read.alias == alias:
                        owners = owners | {rule.name}
                    else:
                        owners = None
                    alternatives[key] = (check, owners)
                    read_fields |= fields_of(tests)
        # without bounds first, fewest tests first: most records pass one of them early
        ranked = sorted(alternatives.items(), key=lambda a: (bool(a[0][1]), len(a[0][0])))
        #: each alternative as (its tests, its limits as (field, comparison, value)), for
        #: the same tests on columns (``_admit_columns.admissible_rows``)
        self.alternatives = [
            (json.loads(key), _limits(bounds, extremes)) for (key, bounds), _ in ranked
        ]
        self._free = [check for (_, bounds), (check, owners) in ranked if not bounds and not owners]
        self._others = [
            (check, [(f, ORDERS[op], limit) for f, op, limit in _limits(bounds, extremes)], owners)
            for (_, bounds), (check, owners) in ranked
            if bounds or owners
        ]
        self._counting = any(owners for _, _, owners in self._others)
        #: how each rule whose count or share groups the records here counts them
        self.counts = counted
        self._fields = tuple(sorted(read_fields))
        # by the values of the fields the tests read: whether an alternative of no count
        # passes without bounds, and the other alternatives whose tests pass (the fields
        # bounds read vary far more)
        self._passing: dict[
            tuple[Any, ...], tuple[bool, list[tuple[list[_Limit], frozenset[str] | None]]]
        ] = {}

    @staticmethod
    def counted(compiled: CompiledRuleset, section: str) -> dict[str, Counted]:
        """The rules that count the records of a clause on ``section`` in groups, by name:
        a ``count`` of them (a finding is a group of at least ``at_least``), or a
        ``share`` of them whose whole is counted in admission
        (:attr:`~dualrel.rules.plan.CompiledRule.counted_share`; a finding is a group
        whose part is more than ``more_than`` of its whole).  Left out: counts of people
        or with ``alike``, and a rule whose ``per`` variables a person field of the
        record does not all name."""
        out: dict[str, Counted] = {}
        for rule in compiled.rules:
            if rule.per is None:
                continue
            if rule.count_of is not None:
                if rule.count_person or rule.count_alike is not None:
                    continue
                alias, at_least, whole = rule.count_of, float(rule.at_least), None
            elif rule.share_of is not None and rule.counted_share is not None:
                if rule.share_person:
                    continue
                alias, at_least, whole = rule.share_of, rule.more_than, rule.counted_share.people
            else:
                continue
            plan = next((p for p in rule.records if p.alias == alias), None)
            if plan is None or plan.section != section or not plan.exists:
                continue
            named = {var: f for f, var in rule.rule.match.records[plan.index].people.items()}
            if all(var in named for var in rule.per):
                fields = tuple(named[v] for v in sorted(rule.per))
                out[rule.name] = Counted(alias, fields, at_least, whole)
        return out

    def __call__(self, fact: Mapping[str, Any]) -> tuple[bool, frozenset[str]]:
        """Whether some clause no rule counts can read the record of ``fact``, and the
        rules counting a clause that can read it: the record may take part in a finding
        when the first holds, or when it is in a group of one of those rules (see
        :meth:`RecordIndex._group`) with enough records that may (``_reaches``)."""
        seen = tuple(map(fact.get, self._fields))
        passing = self._passing.get(seen)
        if passing is None:
            free = any(check(fact) for check in self._free)
            passing = self._passing[seen] = (
                free,
                [
                    (limits, owners)
                    for check, limits, owners in self._others
                    if (owners or not free) and check(fact)
                ],
            )
        free, found = passing
        if free and not self._counting:
            return _FREE
        counted: frozenset[str] = frozenset()
        get = fact.get
        for limits, owners in found:
            if free and not owners:
                continue
            for field, holds, limit in limits:
                value = get(field)
                # a value that is not a number is not bounded (bool is not a number here)
                if (type(value) is float or type(value) is int) and not holds(value, limit):
                    break
            else:
                if not owners:
                    free = True
                    if not self._counting:
                        return _FREE
                else:
                    counted |= owners
        return free, counted


#: Read by a clause no rule counts, and by none that a rule counts.
_FREE: tuple[bool, frozenset[str]] = (True, frozenset())


def _range_key(bound: Bound) -> tuple[str, str, str]:
    """Where :class:`Extremes` files the range a bound compares with."""
    return (bound.partner_section, tests_key(bound.partner_tests), bound.partner_field)


#: No partner record passes the partner's tests: the bound cannot be met.
_NO_PARTNER = (math.inf, -math.inf)


_Limit = tuple[str, Callable[[Any, Any], bool], float]
"""(field, comparison, the partner value it must compare so with)"""
_NamedLimit = tuple[str, str, float]
"""(field, comparison's name in :data:`ORDERS`, the partner value)"""


def _limits(
    bounds: Iterable[tuple[str, str, tuple[str, str, str]]], extremes: Ranges
) -> list[_NamedLimit]:
    """Each bound ``field <op> partner`` as the test that it can hold for some partner
    value: against the largest partner value (``<``, ``<=``) or the smallest (``>``,
    ``>=``).  A bound whose partner values are not all numbers is no bound."""
    out: list[_NamedLimit] = []
    for field, op, at in bounds:
        found = extremes.get(at, _NO_PARTNER)
        if found is None:
            continue
        lo, hi = found
        out.append((field, op, hi if op in ("$lt", "$lte") else lo))
    return out


class Unmet:
    """The tests of one section no record passed yet, checked against each record kept
    until every one is met; records alike in every field those tests read are checked
    once (agreements, say, share a handful of channel and day lists)."""

    def __init__(self, needs: Mapping[str, Tester]) -> None:
        self.pending = list(needs.items())
        self._seen: set[tuple[Any, ...]] = set()
        self._fields = self._read()

    def _read(self) -> tuple[str, ...]:
        return tuple(sorted({f for key, _ in self.pending for f in fields_of(json.loads(key))}))

    def meet(self, fact: Mapping[str, Any]) -> None:
        seen = tuple(map(fact.get, self._fields))
        if seen in self._seen:
            return
        self._seen.add(seen)
        left = [(key, check) for key, check in self.pending if not check(fact)]
        if len(left) != len(self.pending):
            self.pending = left
            self._seen.clear()
            self._fields = self._read()


def fields_of(tests: Iterable[Mapping[str, Any]]) -> set[str]:
    """The fact fields ``tests`` read.

    >>> sorted(fields_of([{"k": "@contacts"}, {"$gt": {"t_at": -30}}]))
    ['k', 't_at']
    """
    return {
        field
        for test in tests
        for k, v in test.items()
        for field in (v if k.startswith("$") else {k: v})
    }
