"""Evaluation: registries in, findings out, through durable-rules.

Evaluation is partitioned by *anchor*: every compiled rule names the variable whose value
owns a match (for most rules, the coach) and how far from it each clause reaches.  A
session holds, for a group of anchor people, every tie any of their matches could use or
that could veto them (negated clauses), so each session finds exactly the matches its
anchors own; matches owned by another anchor are dropped and found in that anchor's
session.  Sessions are small, opened one at a time and sealed before deletion (see
:mod:`dualrel.rules._durable`).
"""

from __future__ import annotations

import functools
import json
import math
import multiprocessing
import operator
import re
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, Union

import networkx as nx
from pydantic_core import to_json

from dualrel._internal.gc import gc_paused
from dualrel.errors import InvalidArgument, Problem, ProblemCode, RegistryError
from dualrel.findings import Citation, Finding, RemediationStep, Report, RulesetRef, fingerprint
from dualrel.graph.model import Person, Registry, Tie
from dualrel.graph.practice import Practice
from dualrel.rules._durable import Engine, match_ids
from dualrel.rules._prune import needed_ties
from dualrel.rules.compiler import (
    NO_END,
    NO_START,
    Bound,
    CompiledRule,
    CompiledRuleset,
    canonical,
    compile_ruleset,
    exact_tester,
    tester,
    variable_distances,
)
from dualrel.rules.loader import Ruleset, load_ruleset
from dualrel.rules.sections import SECTIONS

__all__ = ["Delta", "Monitor", "RulesetLike", "evaluate", "prepare"]

RulesetLike = str | Path | Ruleset | CompiledRuleset
RegistryLike = Union[Registry, "nx.MultiDiGraph[str]"]

_ORDERS: Mapping[str, Callable[[Any, Any], bool]] = {
    "$lt": operator.lt,
    "$lte": operator.le,
    "$gt": operator.gt,
    "$gte": operator.ge,
}
#: Instants (days from the evaluation date) remembered per datetime object, at most.
_INSTANTS_CACHED = 200_000
#: Ties per session before a new session starts: small sessions stay fast in the engine.
SESSION_TIES = 2_000

_Match = tuple[tuple[tuple[str, str], ...], tuple[str, ...], tuple[str, ...]]
"""(subjects, evidence tie ids, evidence records as ``section/id``)"""
_Key = tuple[str, str]  # (compiled rule name, anchor person id)
#: Suffix of the key under which a ``share`` rule's numerator matches are collected.
_NUMERATOR = "~"
_MISSING = "~missing~"  # prefix of a missing value: equal to nothing, unique per record
_quoted: Callable[[str], str] = json.encoder.encode_basestring_ascii  # as json.dumps


def prepare(rulesets: RulesetLike | Sequence[RulesetLike]) -> tuple[CompiledRuleset, ...]:
    """Load (by name or path) and compile rulesets; compiled ones pass through.

    >>> [c.ruleset.id for c in prepare("coaching-core")]
    ['coaching-core']
    """
    items: Sequence[RulesetLike]
    items = [rulesets] if isinstance(rulesets, str | Path | Ruleset | CompiledRuleset) else rulesets
    out: list[CompiledRuleset] = []
    for item in items:
        if isinstance(item, CompiledRuleset):
            out.append(item)
        elif isinstance(item, Ruleset):
            out.append(compile_ruleset(item))
        elif isinstance(item, str | Path):
            out.append(compile_ruleset(load_ruleset(item)))
        else:
            raise InvalidArgument(
                f"rulesets: expected a name, path, Ruleset or CompiledRuleset, "
                f"got {type(item).__name__}"
            )
    if not out:
        raise InvalidArgument("rulesets: give at least one ruleset")
    return tuple(out)


def _as_registry(source: RegistryLike) -> Registry:
    if isinstance(source, Registry):
        return source
    if isinstance(source, nx.MultiDiGraph):
        from dualrel.graph import registry_from_graph  # noqa: PLC0415 (import cycle)

        return registry_from_graph(source)
    raise InvalidArgument(
        f"expected a Registry or a networkx.MultiDiGraph, got {type(source).__name__}"
    )


def _evaluation_date(registry: Registry, as_of: date | None) -> date:
    if as_of is not None:
        return as_of
    if registry.as_of is not None:
        return registry.as_of
    return date.today()


class _Store:
    """People and the ties the compiled rules can read, indexed for partitioning."""

    def __init__(self, compiled: CompiledRuleset, as_of: date) -> None:
        self.compiled = compiled
        self.as_of = as_of
        self._day = as_of.toordinal()
        self.roles: dict[str, frozenset[str]] = {}
        self._role_sets: dict[tuple[str, ...], frozenset[str]] = {}
        self.number: dict[str, int] = {}
        self.names: list[str] = []
        self.ties: dict[str, Tie] = {}
        self.adjacency: dict[str, list[Tie]] = defaultdict(list)
        self.overseers: dict[str, list[Tie]] = defaultdict(list)  # supervision/management
        self._bodies: dict[str, tuple[str, str | None]] = {}
        # kind -> the (active, ended) demands of every clause that reads that kind
        self._wants: dict[str, set[tuple[bool, bool | None]]] = defaultdict(set)
        self._need_cache: dict[
            tuple[str, int], list[tuple[frozenset[str], bool, tuple[int, int, int] | None]]
        ] = {}
        for rule in compiled.rules:
            for clause in rule.rule.match.ties:
                for kind in clause.kinds:
                    self._wants[kind].add((bool(clause.active), clause.ended))
        self._always = frozenset(k for k, w in self._wants.items() if (False, None) in w)
        # how to read a match of each variant: (the name its matches go under, the anchor's
        # alias and fact field, the bindings sorted by variable, evidence aliases)
        self._reading = {
            v.name: (
                r.name + _NUMERATOR if v.numerator else r.name,
                *r.bindings[r.anchor],
                tuple((var, a, e) for var, (a, e) in sorted(r.bindings.items())),
                r.evidence,
                r.record_evidence,
            )
            for r in compiled.rules
            for v in r.variants
        }
        self.tie_number: dict[str, int] = {}
        # practice records the rules read, by ``section/id``, and who and what they name
        self.records: dict[str, tuple[str, Any]] = {}
        self._kept: dict[str, list[Any]] = {}  # the same records, by section
        self._record_texts: dict[str, str] = {}  # facts without their numbers
        # the record tests of variants (Variant.needs) that no record kept passes: such a
        # variant can never fire, and is left out of the engine (see definition)
        self._unmet: set[tuple[str, str]] = set()
        # per section: a record's person and tie numbers and role flags, as a fact's fields
        self._numbers: dict[str, Callable[[Any], dict[str, int]]] = {}
        self._layouts: dict[tuple[str, frozenset[str]], _Layout] = {}
        self._reach: dict[str, list[tuple[str, str | None, bool]]] = {}
        # records by (person, section, person field) and (tie, section, ""): what one rule's
        # matches can read
        self.records_of: dict[tuple[str, str, str], list[str]] = defaultdict(list)
        self._tie_ends: dict[str, tuple[str, str]] = {}
        #: per rule whose share denominator is counted (CompiledRule.counted_share): the
        #: ids of the records passing its tests, by the (variable, person id) pairs they
        #: name (ids, not a number: matches count distinct records)
        self.share_counts: dict[str, dict[tuple[tuple[str, str], ...], set[str]]] = {
            r.name: {} for r in compiled.rules if r.counted_share is not None
        }
        self._midnight = datetime(as_of.year, as_of.month, as_of.day, tzinfo=UTC)
        self._instants: dict[int, tuple[datetime, float]] = {}  # see _instant
        # rules whose clauses all touch the anchor share one neighbourhood: its own ties
        self._local = {
            r.name: frozenset(k for c in r.clauses for k in c.kinds)
            for r in compiled.rules
            if r.radius == 0
        }

    # -- contents ---------------------------------------------------------------------------

    def add_person(self, person: Person) -> None:
        # one frozenset per distinct list of roles, not one per person (a million people
        # have a handful of distinct role lists)
        key = tuple(person.roles)
        roles = self._role_sets.get(key)
        if roles is None:
            roles = self._role_sets[key] = frozenset(key)
        self.roles[person.id] = roles
        self.number[person.id] = len(self.names)
        self.names.append(person.id)

    def admits(self, tie: Tie) -> bool:
        """Could any clause read ``tie``? Kind and date tests only: cheap, and never
        stricter than the engine, which checks everything again."""
        if tie.kind in self._always:
            return True
        wants = self._wants.get(tie.kind)
        if not wants:
            return False
        active = tie.is_active(self.as_of)
        ended = tie.has_ended(self.as_of)
        return any(
            (not need_active or active) and (need_ended is None or need_ended == ended)
            for need_active, need_ended in wants
        )

    def add_tie(self, tie: Tie) -> None:
        if tie.kind in ("supervision", "management"):
            self.overseers[tie.target].append(tie)
        if not self.admits(tie):
            return
        self.tie_number.setdefault(tie.id, len(self.tie_number))
        self.ties[tie.id] = tie
        self.adjacency[tie.source].append(tie)
        self.adjacency[tie.target].append(tie)

    def remove_tie(self, tie: Tie) -> None:
        if tie.kind in ("supervision", "management"):
            self.overseers[tie.target].remove(tie)
        if tie.id in self.ties:
            del self.ties[tie.id]
            self.adjacency[tie.source].remove(tie)
            self.adjacency[tie.target].remove(tie)
            self._bodies.pop(tie.id, None)

    def add_records(self, practice: Practice, tie_ends: Mapping[str, tuple[str, str]]) -> None:
        """Index the records of every section a rule reads.  ``tie_ends`` gives the ends
        of the ties concerns are about."""
        self._tie_ends = dict(tie_ends)
        filters = _filters(self.compiled)
        records, records_of = self.records, self.records_of
        needs = _needs(self.compiled)
        # extremes of the fields record bounds compare with, per partner section, from
        # the sections indexed so far (sorted: agreements come before contacts)
        extremes: dict[tuple[str, str, str], tuple[float, float] | None] = {}
        partners = _partner_fields(self.compiled)
        for section in sorted(self.compiled.schema.sections):
            fields = SECTIONS[section]
            # every record here is of this section: its kind test holds
            common = [t for t in filters.get(section, []) if t != {"k": f"@{section}"}]
            # only records some clause can read reach the engine: a record must pass the
            # tests every clause of its section makes of the record alone (its window,
            # say); never stricter than the engine, which tests again
            check = tester(common) if common else None
            tested = frozenset(
                field
                for test in common
                for k, v in test.items()
                for field in (v if k.startswith("$") else {k: v})
            )
            layout = self._layout(section, tested)
            full = self._layout(
                section, self.compiled.schema.record_reads.get(section, frozenset())
            )
            self._numbers[section] = full.numbers_of(self)
            # the other fields the facts carry, filled only for the records kept
            rest = self._layout(
                section, self.compiled.schema.record_reads.get(section, frozenset()) - tested
            )
            plain = section != "concerns"  # a concern's people come from its tie
            kept = self._kept.setdefault(section, [])
            texts = self._record_texts
            unmet = _Unmet(needs.get(section, {}))
            # the usual filter (a contact's window) without building a fact for every record
            fast = layout.checker(common) if check is not None else None
            # ... then what one clause or another needs of a record (see _Admits)
            admits = _Admits(self.compiled, section, common, extremes, self._unmet)
            track = _Extremes(partners.get(section, []))
            counters = []
            for r in self.compiled.rules:
                if r.counted_share is not None and r.counted_share.section == section:
                    counts_test = exact_tester(r.counted_share.tests)
                    assert counts_test is not None, "compiler._counted_share checked it"
                    counters.append(
                        (counts_test, r.counted_share.people, self.share_counts[r.name])
                    )
            for rec in practice.section(section):
                if fast is not None:
                    found = fast(rec)
                    if found is None:
                        continue
                    fact = found
                    rid = f"{section}/{rec.id}"
                else:
                    rid = f"{section}/{rec.id}"
                    fact = {"k": layout.kind}
                    if check is not None:
                        layout.fill(rec, rid, fact)
                        if not check(fact):
                            continue
                rest.fill(rec, rid, fact)
                for counts_test, named, counts in counters:
                    if counts_test(fact):
                        self._count(section, rec, named, counts)
                if not admits(fact):
                    continue
                if track.pending:
                    track.see(fact)
                # the fact but its person and tie numbers, which are given once the records
                # are indexed (see record_fact): made now, while the filter's part is at hand
                texts[rid] = _body(fact)
                if unmet.pending:
                    unmet.meet(fact)
                records[rid] = (section, rec)
                kept.append(rec)
                for f in fields.people:
                    if plain:
                        value = getattr(rec, f, None)
                        person = None if value is None else str(value)
                    else:
                        person = self._person_of(section, rec, f)
                    if person is not None:
                        records_of[(person, section, f)].append(rid)
                if fields.tie is not None:
                    records_of[(getattr(rec, fields.tie), section, "")].append(rid)
            self._unmet.update((section, key) for key, _ in unmet.pending)
            extremes.update(track.found(section))

    def _count(
        self,
        section: str,
        rec: Any,
        named: tuple[tuple[str, str], ...],
        counts: dict[tuple[tuple[str, str], ...], set[str]],
    ) -> None:
        """Count ``rec`` in the group of the people it names (see CountedShare)."""
        key = []
        for field, var in named:
            person = self._person_of(section, rec, field)
            if person is None:
                return  # names nobody: in no group
            key.append((var, person))
        group = tuple(key)
        ids = counts.get(group)
        if ids is None:  # not setdefault: no empty set made per record
            ids = counts[group] = set()
        ids.add(rec.id)

    def definition(self) -> dict[str, Any]:
        """The durable-rules definition for these records: the compiled one without the
        variants that can never fire, since one of their record clauses is passed by no
        record kept (the tests it makes of a record alone; never stricter than the engine,
        which tests again)."""
        if not self._unmet:
            return self.compiled.definition
        return {
            v.name: dict(v.condition)
            for r in self.compiled.rules
            for v in r.variants
            if not any((section, _key(tests)) in self._unmet for section, tests in v.needs)
        }

    def _person_of(self, section: str, rec: Any, field: str) -> str | None:
        if section == "concerns" and field != "raised_by":
            ends = self._tie_ends.get(rec.about)
            if field == "about":
                return None if ends is not None else str(rec.about)
            if ends is None:
                return None
            return ends[0] if field == "about_source" else ends[1]
        value = getattr(rec, field, None)
        return None if value is None else str(value)

    def record_body(self, rid: str) -> str:
        """The fact for one record (its fields: :mod:`dualrel.rules.compiler`)."""
        return self.record_fact(rid)[0]

    def record_fact(self, rid: str) -> tuple[str, Mapping[str, int]]:
        """The fact for one record, and the person and tie numbers it carries."""
        section, rec = self.records[rid]
        numbers = self._numbers[section](rec)
        # numbers are whole: written as JSON writes them, after the other fields (made
        # again for each session that reads the record: most records are read by one)
        body = self._record_texts[rid] + "".join([f',"{k}":{v}' for k, v in numbers.items()])
        return body, numbers

    def _layout(self, section: str, keys: frozenset[str]) -> _Layout:
        """How to fill the fact fields ``keys`` of a ``section`` record: worked out once,
        since hundreds of thousands of records share it."""
        cached = self._layouts.get((section, keys))
        if cached is None:
            cached = self._layouts[(section, keys)] = _Layout(self, section, keys)
        return cached

    def _instant(self, value: datetime) -> float:
        # a CSV folder's contacts share one datetime object per distinct time (a tenth as
        # many as contacts): worked out once per object (the entry holds the object, so
        # its id is not reused while cached)
        hit = self._instants.get(id(value))
        if hit is not None and hit[0] is value:
            return hit[1]
        aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        days = (aware - self._midnight).total_seconds() / 86400
        if len(self._instants) < _INSTANTS_CACHED:
            self._instants[id(value)] = (value, days)
        return days

    def _number_of(self, section: str, rec: Any, field: str) -> float | None:
        if section == "contacts" and field == "response_hours":
            hours: float | None = rec.response_hours()
            if hours is None:  # unanswered: late once the window has passed
                return (1 - self._instant(rec.at)) * 24
            return hours
        value = getattr(rec, field, None)
        return None if value is None else float(value)

    # -- facts ------------------------------------------------------------------------------

    def _days(self, d: date | None, missing: int) -> int:
        return missing if d is None else d.toordinal() - self._day

    def bodies(self, tie: Tie) -> tuple[str, str | None]:
        """The fact(s) for ``tie``: forward, and reverse when a clause reads it backwards."""
        cached = self._bodies.get(tie.id)
        if cached is not None:
            return cached
        schema = self.compiled.schema
        shared = (
            f'"k":"{tie.kind}","st":{self._days(tie.start, NO_START)},'
            f'"en":{self._days(tie.end, NO_END)}'
        )
        if schema.tie_numbers:
            shared += f',"tn":{self.tie_number[tie.id]}'
        for i, kinds in enumerate(schema.kind_sets):
            if tie.kind in kinds:
                shared += f',"ks{i}":1'
        for i, name in enumerate(schema.attributes):
            if name in tie.attributes:
                table = schema.values.get(name)
                # only present/absent is asked of most attributes: no need to read the value
                token = table.get(canonical(tie.attributes[name]), "v0") if table else "v0"
                shared += f',"a{i}":"{token}"'
                for j, (attr, tokens) in enumerate(schema.value_sets):
                    if attr == i and token in tokens:
                        shared += f',"av{j}":1'
        src, dst = tie.source, tie.target

        def oriented(a: str, b: str, forward: int) -> str:
            body = f'{shared},"s":{self.number[a]},"d":{self.number[b]},"f":{forward}'
            ra, rb = self.roles[a], self.roles[b]
            for i, rs in enumerate(schema.role_sets):
                if ra & rs:
                    body += f',"rs{i}":1'
                if rb & rs:
                    body += f',"rd{i}":1'
            return body

        result = (
            oriented(src, dst, 1),
            oriented(dst, src, 0) if tie.kind in schema.reverse_kinds else None,
        )
        self._bodies[tie.id] = result
        return result

    # -- partitioning -----------------------------------------------------------------------

    def distances(self, start: Iterable[str], kinds: frozenset[str], radius: int) -> dict[str, int]:
        """People within ``radius`` hops of ``start`` through ties of ``kinds``."""
        dist = dict.fromkeys(start, 0)
        frontier = list(dist)
        for depth in range(1, radius + 1):
            nxt = []
            for p in frontier:
                for tie in self.adjacency.get(p, ()):
                    if tie.kind in kinds:
                        other = tie.target if tie.source == p else tie.source
                        if other not in dist:
                            dist[other] = depth
                            nxt.append(other)
            frontier = nxt
        return dist

    def neighbourhood(self, rule: CompiledRule, anchor: str) -> set[str]:
        """Ids of every tie a match of ``rule`` anchored at ``anchor`` can read."""
        dist = self.distances((anchor,), rule.walk_kinds, rule.radius)
        out: set[str] = set()
        for clause in rule.clauses:
            for person, d in dist.items():
                if d <= clause.reach:
                    for tie in self.adjacency.get(person, ()):
                        if tie.kind in clause.kinds:
                            out.add(tie.id)
        return out

    def is_candidate(self, rule: CompiledRule, person: str) -> bool:
        """Could ``person`` be the anchor of a match of ``rule``? (A cheap, safe test.)"""
        for tie in self.adjacency.get(person, ()):
            if tie.kind in rule.anchor_kinds and (
                not rule.anchor_directed
                or (tie.source if rule.anchor_end == "s" else tie.target) == person
            ):
                return True
        return False

    def all_candidates(self) -> list[_Key]:
        """Every (rule, person) pair where the person could anchor a match, in one pass."""
        # rules that anchor on the same kind and end share their candidates
        wanted: dict[tuple[str, str], list[str]] = defaultdict(list)  # (kind, end) -> rules
        for rule in self.compiled.rules:
            for kind in rule.anchor_kinds:
                ends = ("s", "d") if not rule.anchor_directed else (rule.anchor_end,)
                for end in ends:
                    wanted[(kind, end)].append(rule.name)
        found: dict[str, set[str]] = defaultdict(set)  # rule -> people
        for tie in self.ties.values():
            for end, person in (("s", tie.source), ("d", tie.target)):
                for name in wanted.get((tie.kind, end), ()):
                    found[name].add(person)
        for rule in self.compiled.rules:
            if rule.records_only:  # anchored on a person field of its first record clause
                plan = rule.records[0]
                field = rule.anchor_end[2:]
                for rec in self._kept.get(plan.section, ()):
                    who = self._person_of(plan.section, rec, field)
                    if who is not None and who in self.number:
                        found[rule.name].add(who)
        return [(name, p) for name, people in found.items() for p in people]

    # -- evaluation -------------------------------------------------------------------------

    def evaluate(self, engine: Engine, keys: Iterable[_Key]) -> dict[_Key, set[_Match]]:
        """Run every (rule, anchor) in ``keys``; the matches each one owns."""
        rules = {r.name: r for r in self.compiled.rules}
        by_person: dict[str, list[str]] = defaultdict(list)
        for name, person in keys:
            by_person[person].append(name)
        results: dict[_Key, set[_Match]] = {}
        group: list[tuple[str, str]] = []
        tie_ids: set[str] = set()
        record_ids: set[str] = set()
        for person in sorted(by_person, key=self.number.__getitem__):
            local: set[str] = set()
            own: dict[frozenset[str], set[str]] = {}  # the person's ties of these kinds
            for name in by_person[person]:
                group.append((name, person))
                rule = rules[name]
                if name in self._local:
                    kinds = self._local[name]
                    local |= kinds
                    if rule.records:
                        mine = own.get(kinds)
                        if mine is None:
                            mine = own[kinds] = {
                                t.id for t in self.adjacency.get(person, ()) if t.kind in kinds
                            }
                        record_ids |= self.rule_records(rule, person, mine)
                elif not rule.records_only:
                    mine = self.neighbourhood(rule, person)
                    tie_ids |= mine
                    if rule.records:
                        record_ids |= self.rule_records(rule, person, mine)
                else:
                    record_ids |= self.rule_records(rule, person, set())
            if local:
                tie_ids.update(t.id for t in self.adjacency.get(person, ()) if t.kind in local)
            if len(tie_ids) + len(group) + len(record_ids) >= SESSION_TIES:
                self._run(engine, rules, group, tie_ids, results, record_ids=record_ids)
                group, tie_ids, record_ids = [], set(), set()
        if group:
            self._run(engine, rules, group, tie_ids, results, record_ids=record_ids)
        return _aggregate(rules, results, self.share_counts)

    def rule_records(self, rule: CompiledRule, anchor: str, tie_ids: set[str]) -> set[str]:
        """The records a match of ``rule`` anchored at ``anchor`` can read, given the ties
        it can read: those of the rule's sections naming one of those ties, or the anchor
        or a person those ties join (every variable a record clause names is one of them)."""
        people: set[str] | None = None  # made only when a clause needs more than the anchor
        out: set[str] = set()
        records_of = self.records_of
        for section, field, by_anchor in self._record_reach(rule):
            if field is None:  # the record names one of these ties
                for tid in tie_ids:
                    out.update(records_of.get((tid, section, ""), ()))
                continue
            if by_anchor:
                out.update(records_of.get((anchor, section, field), ()))
                continue
            if people is None:
                people = {anchor}
                for tid in tie_ids:
                    tie = self.ties[tid]
                    people.add(tie.source)
                    people.add(tie.target)
            for person in people:
                out.update(records_of.get((person, section, field), ()))
        return out

    def _record_reach(self, rule: CompiledRule) -> list[tuple[str, str | None, bool]]:
        """Per record clause of ``rule``: its section, the person field that finds its
        records (None: the tie field) and whether that field names the anchor."""
        cached = self._reach.get(rule.name)
        if cached is None:
            cached = []
            for plan in rule.records:
                clause = rule.rule.match.records[plan.index]
                if clause.tie is not None:
                    cached.append((plan.section, None, False))
                    continue
                # one person field is enough: the anchor's when the clause names it
                field = next(
                    (f for f, v in clause.people.items() if v == rule.anchor),
                    next(iter(clause.people)),
                )
                cached.append((plan.section, field, clause.people[field] == rule.anchor))
            self._reach[rule.name] = cached
        return cached

    def _run(
        self,
        engine: Engine,
        rules: Mapping[str, CompiledRule],
        group: list[_Key],
        tie_ids: set[str],
        results: dict[_Key, set[_Match]],
        *,
        record_ids: set[str],
    ) -> None:
        owned = set(group)
        for name, anchor, match in self.matches(engine, tie_ids, record_ids):
            if (name.removesuffix(_NUMERATOR), anchor) in owned:
                results.setdefault((name, anchor), set()).add(match)

    def matches(
        self, engine: Engine, tie_ids: Iterable[str], record_ids: Iterable[str] = ()
    ) -> Iterator[tuple[str, str, _Match]]:
        """One session over ``tie_ids`` and ``record_ids``: every match as (rule name,
        anchor, match); a ``share`` rule's numerator matches under the name plus ``~``."""
        number = self.number
        bodies: list[str] = []
        objects: list[str] = []  # what each fact is, in the order of ``bodies``
        people: list[Mapping[str, int]] = []
        # sorted: the same registry gives the same session contents in every run
        for tid in sorted(tie_ids):
            tie = self.ties[tid]
            forward, reverse = self.bodies(tie)
            src, dst = number[tie.source], number[tie.target]
            bodies.append(forward)
            objects.append(tid)
            people.append({"s": src, "d": dst})
            if reverse is not None:
                bodies.append(reverse)
                objects.append(tid)
                people.append({"s": dst, "d": src})
        for rid in sorted(record_ids):
            body, persons = self.record_fact(rid)
            bodies.append(body)
            objects.append(rid)
            people.append(persons)
        with engine.session(raw=True) as session:
            fids = session.assert_each(bodies)
            session.release()
            messages, prefix = session.raw_matches, session.prefix
        fact_of = dict(zip(fids, objects, strict=True))
        # the person numbers each fact carries, by fact id: matches are read by fact id
        # only (see match_ids), so subjects come from here rather than from the message
        people_of = dict(zip(fids, people, strict=True))
        names, reading = self.names, self._reading
        for message in messages:
            for variant, pairs in match_ids(message, prefix):
                name, alias, end, binds, tie_aliases, record_aliases = reading[variant]
                fid_of = dict(pairs)
                subjects = tuple([(var, names[people_of[fid_of[a]][e]]) for var, a, e in binds])
                evidence = tuple([fact_of[fid_of[a]] for a in tie_aliases])
                records = tuple([fact_of[fid_of[a]] for a in record_aliases])
                yield name, names[people_of[fid_of[alias]][end]], (subjects, evidence, records)

    def seed_neighbourhood(self, rule: CompiledRule, tie: Tie) -> set[str]:
        """Ids of every tie a match of ``rule`` *that contains* ``tie`` can read.

        Far smaller than an anchor's neighbourhood.  The tie binds its clause's two
        variables to its two people (as its facts read: forward, and backward only when a
        clause reads its kind backwards); every other clause's tie is then near the person
        of the variable it is nearest to: a clause on the same variable needs only that
        person's ties at that end (a coach's own coaching ties are not a client's), a
        clause on the same two variables only the ties between the two people.
        """
        out: set[str] = set()
        adjacency = self.adjacency
        both_ways = self.compiled.schema.reverse_kinds
        facts = [(tie.source, tie.target)]
        if tie.kind in both_ways:
            facts.append((tie.target, tie.source))
        for j, seed in enumerate(rule.clauses):
            if not seed.exists or tie.kind not in seed.kinds:
                continue
            for kinds, pair_only, near in self._needs(rule, j):
                if pair_only:
                    out.update(
                        t.id
                        for t in adjacency.get(tie.source, ())
                        if t.kind in kinds and tie.target in (t.source, t.target)
                    )
                    continue
                for bound in facts:
                    if near is None:  # not joined to the seed: as near as its ends allow
                        for person in bound:
                            out.update(t.id for t in adjacency.get(person, ()) if t.kind in kinds)
                        continue
                    end, at, depth = near
                    person = bound[end]
                    if depth == 0:
                        # the clause's variable ``at`` (0: first end, 1: second) is this
                        # person: a tie read only forward has them at that end
                        out.update(
                            t.id
                            for t in adjacency.get(person, ())
                            if t.kind in kinds
                            and (
                                t.kind in both_ways or (t.source if at == 0 else t.target) == person
                            )
                        )
                        continue
                    for p in self.distances((person,), rule.walk_kinds, depth):
                        out.update(t.id for t in adjacency.get(p, ()) if t.kind in kinds)
        return out

    def _needs(
        self, rule: CompiledRule, seed: int
    ) -> list[tuple[frozenset[str], bool, tuple[int, int, int] | None]]:
        """For each clause of ``rule``, when clause ``seed`` holds the new tie: its kinds,
        whether it joins the seed's own two variables, and the nearest (seed end, clause
        end, hops) between a variable of the seed and one of the clause."""
        key = (rule.name, seed)
        cached = self._need_cache.get(key)
        if cached is None:
            ends = rule.clauses[seed].ends
            edges = [c.ends for c in rule.clauses if c.exists]
            hops = [variable_distances(edges, e) for e in ends]
            cached = []
            for c in rule.clauses:
                options = [
                    (hops[i][v], i, k) for i in (0, 1) for k, v in enumerate(c.ends) if v in hops[i]
                ]
                near = None
                if options:
                    depth, end, at = min(options)
                    near = (end, at, depth)
                cached.append((frozenset(c.kinds), set(c.ends) == set(ends), near))
            self._need_cache[key] = cached
        return cached

    # -- findings ---------------------------------------------------------------------------

    def finding(self, rule: CompiledRule, match: _Match) -> Finding:
        spec = rule.rule
        rs = self.compiled.ruleset
        subjects = dict(match[0])
        steps = tuple(
            self._step(s.action, s.within_days, s.owner, subjects) for s in spec.remediation
        )
        return Finding(
            rule=spec.id,
            ruleset=RulesetRef(rs.id, rs.version),
            title=spec.title,
            category=spec.category,
            severity=spec.severity,
            level=spec.level,
            subjects=subjects,
            evidence=match[1],
            citations=tuple(Citation(c.code, c.clause) for c in spec.citations),
            remediation=steps,
            fingerprint=fingerprint(rs.id, spec.id, subjects, match[1], match[2]),
            records=match[2],
        )

    def _step(
        self, action: str, within: int, owner: Any, subjects: Mapping[str, str]
    ) -> RemediationStep:
        due = self.as_of + timedelta(days=within)
        coach = subjects.get("coach")
        assignee: str | None = None
        reason: str | None = None
        if owner == "coach":
            assignee = coach
            reason = None if coach else "the rule names no coach"
        elif owner in ("supervisor", "manager"):
            kind = "supervision" if owner == "supervisor" else "management"
            if coach is None:
                reason = "the rule names no coach"
            else:
                found = sorted(
                    t.source
                    for t in self.overseers.get(coach, ())
                    if t.kind == kind and t.is_active(self.as_of)
                )
                assignee = found[0] if found else None
                reason = None if found else f"no active {kind} tie to the coach"
        else:
            reason = f"owner is {owner.replace('_', ' ')}, outside the registry"
        return RemediationStep(
            action=action,
            within_days=within,
            due=due,
            owner=owner,
            assignee=assignee,
            unassigned_reason=reason,
        )


def _store(
    compiled: CompiledRuleset, registry: Registry, as_of: date, *, prune: bool = False
) -> _Store:
    """The store of ``registry`` for ``compiled``.

    With ``prune`` (batch evaluation) it holds only the ties some rule can use (see
    :mod:`dualrel.rules._prune`) and only the people those ties join; a :class:`Monitor`
    needs every admitted tie, since later ties can make earlier ones matter.
    """
    store = _Store(compiled, as_of)
    if not prune:
        for person in registry.people:
            store.add_person(person)
        for tie in registry.ties:
            store.add_tie(tie)
        return store
    roles: Callable[[str], Iterable[str]] | None = None
    if any(spec.roles for r in compiled.rules for spec in r.rule.match.people.values()):
        by_id = {p.id: p.roles for p in registry.people}
        roles = by_id.__getitem__
    by_kind: dict[str, list[Tie]] = defaultdict(list)
    for tie in registry.ties:
        by_kind[tie.kind].append(tie)
    kept = needed_ties(compiled, by_kind, as_of, roles)
    overseen = store.overseers
    for kind in ("supervision", "management"):
        for tie in by_kind.get(kind, ()):
            if tie.id not in kept:  # add_tie below files the kept ones
                overseen[tie.target].append(tie)
    del by_kind
    joined = {p for t in kept.values() for p in (t.source, t.target)}
    if compiled.schema.sections:
        store.add_records(registry.practice, _concern_ties(registry, compiled))
        joined.update(person for person, _, field in store.records_of if field)
    for person in registry.people:
        if person.id in joined:
            store.add_person(person)
    for tie in kept.values():
        store.add_tie(tie)
    return store


def _concern_ties(registry: Registry, compiled: CompiledRuleset) -> dict[str, tuple[str, str]]:
    """The ends of the ties concerns are about (one pass over the ties, when read)."""
    if "concerns" not in compiled.schema.sections:
        return {}
    about = {c.about for c in registry.practice.concerns}
    return {t.id: (t.source, t.target) for t in registry.ties if t.id in about}


def _filters(compiled: CompiledRuleset) -> dict[str, list[Mapping[str, Any]]]:
    """Per section, the tests that every clause reading it makes of a record alone: a
    record failing one of them can take part in no match."""
    common: dict[str, frozenset[str]] = {}
    for rule in compiled.rules:
        for section, tests in rule.record_filters:
            key = frozenset(json.dumps(t, sort_keys=True) for t in tests)
            common[section] = common[section] & key if section in common else key
    return {section: [json.loads(t) for t in sorted(key)] for section, key in common.items()}


def _key(tests: Iterable[Mapping[str, Any]]) -> str:
    return json.dumps(list(tests), sort_keys=True)


def _needs(compiled: CompiledRuleset) -> dict[str, dict[str, Callable[[Mapping[str, Any]], bool]]]:
    """Per section, every distinct list of tests some variant needs a record to pass
    (:attr:`~dualrel.rules.compiler.Variant.needs`), by its key, with its tester."""
    out: dict[str, dict[str, Callable[[Mapping[str, Any]], bool]]] = defaultdict(dict)
    for rule in compiled.rules:
        for variant in rule.variants:
            for section, tests in variant.needs:
                out[section].setdefault(_key(tests), tester(tests))
    return out


def _partner_fields(
    compiled: CompiledRuleset,
) -> dict[str, list[tuple[str, Callable[[Mapping[str, Any]], bool], str]]]:
    """Per section, the (tests key, tester, field) of every bound's partner in it."""
    out: dict[str, dict[tuple[str, str], Callable[[Mapping[str, Any]], bool]]] = defaultdict(dict)
    for rule in compiled.rules:
        for variant in rule.variants:
            for read in variant.reads:
                for b in read.bounds:
                    key = (_key(b.partner_tests), b.partner_field)
                    out[b.partner_section].setdefault(key, tester(b.partner_tests))
    return {s: [(k, check, f) for (k, f), check in d.items()] for s, d in out.items()}


class _Extremes:
    """The smallest and largest value of each partner field among the records kept that
    pass the partner's tests (None when one of them is not a number: no bound)."""

    def __init__(self, wanted: list[tuple[str, Callable[[Mapping[str, Any]], bool], str]]) -> None:
        self.pending = wanted
        self._range: dict[tuple[str, str], tuple[float, float] | None] = {}
        read = {f for key, _, field in wanted for f in {field, *_fields_of(json.loads(key))}}
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


class _Admits:
    """Whether a record of ``section`` can take part in a match or veto one: it must
    pass, for some record clause of some variant that reads the section, the tests that
    clause makes of a record alone (those of ``common`` are checked already) and its
    bounds against the partner records of the sections indexed before (a bound whose
    partner section is not indexed yet is not used), in a variant that can still fire
    (none of its clauses on a section indexed before lacks every record it needs).
    Never stricter than the engine, which tests every pair again.  Records alike in
    every field the tests read are tested once."""

    def __init__(
        self,
        compiled: CompiledRuleset,
        section: str,
        common: Sequence[Mapping[str, Any]],
        extremes: Mapping[tuple[str, str, str], tuple[float, float] | None],
        unmet: set[tuple[str, str]],
    ) -> None:
        # checked already: the filter's tests, and the kind every record here has
        done = {_key([t]) for t in [*common, {"k": f"@{section}"}]}
        # (the tests' key, each bound as (field, op, its partner's range key)) -> tester
        alternatives: dict[
            tuple[str, tuple[tuple[str, str, tuple[str, str, str]], ...]], Callable[..., bool]
        ] = {}
        read_fields: set[str] = set()
        for rule in compiled.rules:
            for variant in rule.variants:
                if any((s, _key(tests)) in unmet for s, tests in variant.needs):
                    continue  # a variant that can never fire (see _Store.definition)
                for read in variant.reads:
                    if read.section != section:
                        continue
                    tests = [t for t in read.tests if _key([t]) not in done]
                    # sections are indexed in sorted order: a partner section before this
                    # one is complete, the others are not known yet
                    bounds = tuple(
                        (b.field, b.op, _range_key(b))
                        for b in read.bounds
                        if b.partner_section < section
                    )
                    alternatives.setdefault((_key(tests), bounds), tester(tests))
                    read_fields |= _fields_of(tests)
        # without bounds first, fewest tests first: most records pass one of them early
        ranked = sorted(alternatives.items(), key=lambda a: (bool(a[0][1]), len(a[0][0])))
        self._free = [check for (_, bounds), check in ranked if not bounds]
        self._bounded = [
            (check, _limits(bounds, extremes)) for (_, bounds), check in ranked if bounds
        ]
        self._fields = tuple(sorted(read_fields))
        # by the values of the fields the tests read: True, or the bounds of the
        # alternatives whose tests pass (the fields bounds read vary far more)
        self._passing: dict[tuple[Any, ...], Literal[True] | list[list[_Limit]]] = {}

    def __call__(self, fact: Mapping[str, Any]) -> bool:
        seen = tuple(map(fact.get, self._fields))
        passing = self._passing.get(seen)
        if passing is None:
            if any(check(fact) for check in self._free):
                passing = self._passing[seen] = True
            else:
                found = [bounds for check, bounds in self._bounded if check(fact)]
                passing = self._passing[seen] = found
        if passing is True:
            return True
        get = fact.get
        for limits in passing:
            for field, holds, limit in limits:
                value = get(field)
                # a value that is not a number is not bounded (bool is not a number here)
                if (type(value) is float or type(value) is int) and not holds(value, limit):
                    break
            else:
                return True
        return False


def _range_key(bound: Bound) -> tuple[str, str, str]:
    """Where :class:`_Extremes` files the range a bound compares with."""
    return (bound.partner_section, _key(bound.partner_tests), bound.partner_field)


#: No partner record passes the partner's tests: the bound cannot be met.
_NO_PARTNER = (math.inf, -math.inf)


_Limit = tuple[str, Callable[[Any, Any], bool], float]
"""(field, comparison, the partner value it must compare so with)"""


def _limits(
    bounds: Iterable[tuple[str, str, tuple[str, str, str]]],
    extremes: Mapping[tuple[str, str, str], tuple[float, float] | None],
) -> list[_Limit]:
    """Each bound ``field <op> partner`` as the test that it can hold for some partner
    value: against the largest partner value (``<``, ``<=``) or the smallest (``>``,
    ``>=``).  A bound whose partner values are not all numbers is no bound."""
    out: list[_Limit] = []
    for field, op, at in bounds:
        found = extremes.get(at, _NO_PARTNER)
        if found is None:
            continue
        lo, hi = found
        out.append((field, _ORDERS[op], hi if op in ("$lt", "$lte") else lo))
    return out


class _Unmet:
    """The tests of one section no record passed yet, checked against each record kept
    until every one is met; records alike in every field those tests read are checked
    once (agreements, say, share a handful of channel and day lists)."""

    def __init__(self, needs: Mapping[str, Callable[[Mapping[str, Any]], bool]]) -> None:
        self.pending = list(needs.items())
        self._seen: set[tuple[Any, ...]] = set()
        self._fields = self._read()

    def _read(self) -> tuple[str, ...]:
        return tuple(sorted({f for key, _ in self.pending for f in _fields_of(json.loads(key))}))

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


def _fields_of(tests: Iterable[Mapping[str, Any]]) -> set[str]:
    """The fact fields ``tests`` read."""
    return {
        field
        for test in tests
        for k, v in test.items()
        for field in (v if k.startswith("$") else {k: v})
    }


class _Layout:
    """The fact fields of one section's records that are wanted, by the record field
    they come from (see :mod:`dualrel.rules.compiler` for the layout)."""

    def __init__(self, store: _Store, section: str, keys: frozenset[str]) -> None:
        fields = SECTIONS[section]
        self.section = section
        self.kind = f"@{section}"
        self.day = store._day
        self.instant = store._instant
        self._instants = store._instants
        self.number_of = store._number_of

        def want(name: str) -> str | None:
            return name if name in keys else None

        self.dates = [
            (f, want(f"e_{f}"), want(f"t_{f}"), fields.fallback.get(f))
            for f in fields.dates
            if {f"e_{f}", f"t_{f}"} & keys
        ]
        self.instants = [
            (f, want(f"e_{f}"), want(f"t_{f}"), want(f"wd_{f}"), want(f"mn_{f}"))
            for f in fields.datetimes
            if {f"e_{f}", f"t_{f}", f"wd_{f}", f"mn_{f}"} & keys
        ]
        self.numbers = [
            (f, want(f"e_{f}"), want(f"n_{f}"))
            for f in fields.numbers
            if {f"e_{f}", f"n_{f}"} & keys
        ]
        self.values = [
            (f, want(f"e_{f}"), want(f"v_{f}"))
            for f in fields.values
            if {f"e_{f}", f"v_{f}"} & keys
        ]
        # (list field, its count's fact field or None, {word: its flag, for wanted flags})
        self.lists = [
            (
                f,
                want(f"c_{f}"),
                {k[len(f"l_{f}_") :]: k for k in keys if k.startswith(f"l_{f}_")},
            )
            for f in fields.lists
            if f"c_{f}" in keys or any(k.startswith(f"l_{f}_") for k in keys)
        ]
        self.keys = keys
        self.windows = [
            (f, keys & {"hf", "ht", "hw"}) for f in fields.windows if keys & {"hf", "ht", "hw"}
        ]
        self.value_sets = [
            (f, values, f"vs{j}")
            for j, (sec, f, values) in enumerate(store.compiled.schema.record_value_sets)
            if sec == section and f"vs{j}" in keys
        ]
        # (person field, its fact field or None, [(role set, flag)]) for the numbers
        self.people = [
            (
                f,
                want(f"p_{f}"),
                [
                    (rs, f"q{i}_{f}")
                    for i, rs in enumerate(store.compiled.schema.role_sets)
                    if f"q{i}_{f}" in keys
                ],
            )
            for f in fields.people
        ]
        self.people = [p for p in self.people if p[1] is not None or p[2]]
        self.tie = fields.tie if "tn" in keys else None
        self.plain = section != "concerns"  # a concern's person fields come from its tie

    def checker(
        self, tests: Sequence[Mapping[str, Any]]
    ) -> Callable[[Any], dict[str, Any] | None] | None:
        """``fill`` and ``tester(tests)`` at once, for the usual filter of a section (its
        dates or instants against numbers): a record's fact holding the filter's fields,
        or None when the record fails a test; each field is worked out once, from the
        record, and a record failing the first test costs one field.  None when the
        layout or the tests take another form (``fill`` and ``tester`` then do)."""
        if self.numbers or self.values or self.lists or self.windows or self.value_sets:
            return None
        if any(e or wd or mn for _, e, _, wd, mn in self.instants) or any(
            e for _, e, _, _ in self.dates
        ):
            return None
        computed: dict[str, Callable[[Any], float | int]] = {}
        for f, _, t, fallback in self.dates:
            assert t is not None
            computed[t] = functools.partial(self._date_of, f, fallback)
        for f, _, t, _, _ in self.instants:
            assert t is not None
            computed[t] = self._instant_of(f)
        conditions: dict[str, list[tuple[Callable[[Any, Any], bool], float]]] = {}
        for test in tests:
            ((op, inner),) = test.items()
            if op not in _ORDERS or not isinstance(inner, Mapping) or len(inner) != 1:
                return None
            ((key, operand),) = inner.items()
            if key not in computed or not isinstance(operand, int | float):
                return None
            conditions.setdefault(key, []).append((_ORDERS[op], operand))
        steps = [(key, computed[key], conditions.get(key, [])) for key in computed]
        kind = self.kind

        def check(rec: Any) -> dict[str, Any] | None:
            fact: dict[str, Any] = {"k": kind}
            for key, compute, tests_of_key in steps:
                value = compute(rec)
                for op, operand in tests_of_key:
                    if not op(value, operand):
                        return None
                fact[key] = value
            return fact

        return check

    def _date_of(self, f: str, fallback: str | None, rec: Any) -> int:
        """A date field's ``t_`` value, as ``fill`` makes it."""
        value = getattr(rec, f)
        if value is None and fallback is not None:
            value = getattr(rec, fallback)
        return NO_END if value is None else int(value.toordinal() - self.day)

    def _instant_of(self, f: str) -> Callable[[Any], float | int]:
        """An instant field's ``t_`` value, as ``fill`` makes it (a contact's window is
        the one test of every contact: the store's cache is read here, without a call)."""
        instant, cache = self.instant, self._instants

        def value(rec: Any) -> float | int:
            at = getattr(rec, f)
            if at is None:
                return NO_END
            hit = cache.get(id(at))
            return hit[1] if hit is not None and hit[0] is at else instant(at)

        return value

    def numbers_of(self, store: _Store) -> Callable[[Any], dict[str, int]]:
        """:meth:`add_numbers` for one record at a time: a new dict of its numbers.  The
        usual case (person fields read as they are, no role flag, no tie) on its own,
        since every record asserted goes through it."""
        if not self.plain or self.tie is not None or any(f for _, _, f in self.people):

            def numbers(rec: Any) -> dict[str, int]:
                out: dict[str, int] = {}
                self.add_numbers(store, rec, out)
                return out

            return numbers
        pairs = [(f, p) for f, p, _ in self.people if p is not None]
        number = store.number.get

        def plain_numbers(rec: Any) -> dict[str, int]:
            out: dict[str, int] = {}
            for f, p in pairs:
                value = getattr(rec, f, None)
                out[p] = -1 if value is None else number(str(value), -1)
            return out

        return plain_numbers

    def add_numbers(self, store: _Store, rec: Any, fact: dict[str, int]) -> None:
        """Add the person and tie numbers and role flags of ``rec`` to ``fact``."""
        for f, p, flags in self.people:
            if self.plain:
                value = getattr(rec, f, None)
                person = None if value is None else str(value)
            else:
                person = store._person_of(self.section, rec, f)
            if p is not None:
                fact[p] = -1 if person is None else store.number.get(person, -1)
            if flags and person is not None and person in store.roles:
                roles = store.roles[person]
                for rs, flag in flags:
                    if roles & rs:
                        fact[flag] = 1
        if self.tie is not None:
            fact["tn"] = store.tie_number.get(getattr(rec, self.tie), -1)

    def fill(self, rec: Any, rid: str, fact: dict[str, Any]) -> None:
        """Add the wanted fields of ``rec`` (whose id is ``rid``) to ``fact``."""
        for f, e, t, fallback in self.dates:
            value = getattr(rec, f)
            if value is not None:
                if e is not None:
                    fact[e] = 1
            elif fallback is not None:
                value = getattr(rec, fallback)
            if t is not None:
                fact[t] = NO_END if value is None else value.toordinal() - self.day
        for f, e, t, wd, mn in self.instants:
            instant = getattr(rec, f)
            if instant is None:
                for name, missing in ((t, NO_END), (wd, -1), (mn, -1)):
                    if name is not None:
                        fact[name] = missing
                continue
            if e is not None:
                fact[e] = 1
            if t is not None:
                fact[t] = self.instant(instant)
            if wd is not None:
                fact[wd] = instant.weekday()
            if mn is not None:
                fact[mn] = instant.hour * 60 + instant.minute
        for f, e, n in self.numbers:
            number = self.number_of(self.section, rec, f)
            if n is not None:
                fact[n] = 0 if number is None else number
            if e is not None and number is not None:
                fact[e] = 1
        for f, e, v in self.values:
            text = getattr(rec, f, None)
            if v is not None:
                fact[v] = f"{_MISSING}{rid}" if text is None else str(text)
            if e is not None and text is not None:
                fact[e] = 1
        for f, c, flags in self.lists:
            words = getattr(rec, f)
            if c is not None:
                fact[c] = len(words)
            for w in words:
                flag = flags.get(w)
                if flag is not None:
                    fact[flag] = 1
        for f, wanted in self.windows:
            for name, minutes in _window(getattr(rec, f)).items():
                if name in wanted:
                    fact[name] = minutes
        for f, values, flag in self.value_sets:
            if str(getattr(rec, f, None)) in values:
                fact[flag] = 1


def _body(fact: Mapping[str, Any]) -> str:
    """``fact`` as the inside of a JSON object (what :meth:`Engine` asserts), as
    ``json.dumps`` writes it (numbers may print differently, with the same value).

    >>> _body({"k": "@contacts", "t_at": -0.5, "v_channel": 'a "b"', "e_at": 1})
    '"k":"@contacts","t_at":-0.5,"v_channel":"a \\\\"b\\\\"","e_at":1'
    >>> _body({"v_recipient": "Société", "n": float("nan")})
    '"v_recipient":"Soci\\\\u00e9t\\\\u00e9","n":NaN'
    >>> _body({"t_at": -1e-7, "n": 1e16, "v": "3e"})
    '"t_at":-0.0000001,"n":10000000000000000,"v":"3e"'
    """
    # pydantic-core writes JSON three times as fast as json.dumps (hundreds of thousands
    # of records per check); json.dumps writes what it would write differently: text
    # beyond ASCII (escaped, as the engine's definition is) and numbers that are not
    # finite (null, NaN or Infinity, by version)
    # (the tests on the decoded text: str.isascii reads a flag, and str searches are
    # twice as fast as bytes searches)
    # ... and numbers with an exponent: the engine cannot read ``-1e-7`` (error 204,
    # measured; a contact 9 ms before midnight is -1e-7 days away), nor ``1e16``
    text = to_json(fact)[1:-1].decode()
    if (
        text.isascii()
        and "null" not in text
        and "NaN" not in text
        and "Inf" not in text
        and not _EXPONENT.search(text)
    ):
        return text
    return ",".join([f'"{k}":{_text(v)}' for k, v in fact.items()])


#: A digit followed by an exponent's ``e`` (in a value's text too: that one is written
#: again, the same, by the slow path)
_EXPONENT = re.compile(r"[0-9][eE]")


def _text(value: Any) -> str:
    kind = type(value)
    if kind is str:
        return _quoted(value)
    if kind is int:
        return repr(value)
    if kind is float and math.isfinite(value):
        text = repr(value)
        # the same decimal number without an exponent: the same double once read
        return text if "e" not in text else format(Decimal(text), "f")
    return json.dumps(value)


@functools.lru_cache(maxsize=1024)  # agreements share a few hours texts
def _window(hours: str | None) -> dict[str, int]:
    """An agreement's ``HH:MM-HH:MM`` as minutes ``hf``/``ht`` and ``hw`` (0: within one
    day, 1: past midnight, 2: no hours agreed)."""
    if hours is None:
        return {"hf": 0, "ht": 0, "hw": 2}
    start, _, end = hours.partition("-")
    hf = int(start[:2]) * 60 + int(start[3:5])
    ht = int(end[:2]) * 60 + int(end[3:5])
    return {"hf": hf, "ht": ht, "hw": 0 if hf <= ht else 1}


def _aggregate(
    rules: Mapping[str, CompiledRule],
    results: Mapping[_Key, set[_Match]],
    share_counts: Mapping[str, Mapping[tuple[tuple[str, str], ...], set[str]]],
) -> dict[_Key, set[_Match]]:
    """Group the matches of ``per``/``count``/``share`` rules into their findings.  A
    share whose denominator is counted (``share_counts``) has numerator matches only."""
    out: dict[_Key, set[_Match]] = {}
    # a counted share has only its numerator's key (in the order found: runs alike)
    keys = dict.fromkeys((name.removesuffix(_NUMERATOR), anchor) for name, anchor in results)
    for name, anchor in keys:
        rule = rules[name]
        matches = results.get((name, anchor), set())
        if rule.per is None:
            out[(name, anchor)] = matches
            continue
        numerator = results.get((name + _NUMERATOR, anchor), set())
        counted = share_counts.get(name)
        kept = {m for m in _groups(rule, matches, numerator, counted) if m is not None}
        if kept:
            out[(name, anchor)] = kept
    return out


def _groups(
    rule: CompiledRule,
    matches: set[_Match],
    numerator: set[_Match],
    counted: Mapping[tuple[tuple[str, str], ...], set[str]] | None = None,
) -> Iterator[_Match | None]:
    assert rule.per is not None
    per = set(rule.per)

    def key(m: _Match) -> tuple[tuple[str, str], ...]:
        return tuple(s for s in m[0] if s[0] in per)

    def distinct(ms: Iterable[_Match], alias: str) -> int:
        at = rule.record_evidence.index(alias)
        return len({m[2][at] for m in ms})

    groups: dict[tuple[tuple[str, str], ...], list[_Match]] = defaultdict(list)
    for m in matches:
        groups[key(m)].append(m)
    above: dict[tuple[tuple[str, str], ...], list[_Match]] = defaultdict(list)
    for m in numerator:
        above[key(m)].append(m)
    named: set[str] = set()
    if counted is not None:
        # every group with a numerator match has denominator matches: the counted ones
        assert rule.counted_share is not None
        groups = above
        named = {var for _, var in rule.counted_share.people}
    for subjects, ms in groups.items():
        shown = ms
        if rule.count_of is not None and distinct(ms, rule.count_of) < rule.at_least:
            yield None
            continue
        if rule.share_of is not None:
            late = above.get(subjects, [])
            if counted is not None:
                whole = len(counted.get(tuple(sorted(s for s in subjects if s[0] in named)), ()))
            else:
                whole = distinct(ms, rule.share_of)
            if not whole or not distinct(late, rule.share_of) > rule.more_than * whole:
                yield None
                continue
            shown = late
        yield (
            subjects,
            tuple(sorted({t for m in shown for t in m[1]})),
            tuple(sorted({r for m in shown for r in m[2]})),
        )


def _findings(store: _Store, results: Mapping[_Key, set[_Match]]) -> Iterator[Finding]:
    rules = {r.name: r for r in store.compiled.rules}
    for (name, _anchor), matches in results.items():
        for match in matches:
            yield store.finding(rules[name], match)


def _sorted(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    return tuple(sorted(findings, key=Finding.sort_key))


def evaluate(
    registry: RegistryLike,
    rulesets: RulesetLike | Sequence[RulesetLike] = "coaching-core",
    *,
    as_of: date | None = None,
    jobs: int = 1,
    timings: MutableMapping[str, float] | None = None,
) -> Report:
    """Evaluate ``rulesets`` over a registry (or its graph) and report every finding.

    ``as_of`` defaults to the registry's ``as_of``, else today.  ``jobs`` > 1 evaluates
    the partitions in that many worker processes (where ``fork`` exists); the findings are
    the same.  When ``timings`` is given, the seconds of each stage are added to it:
    ``index`` (the ties the rules can use, indexed), ``evaluate``, ``findings``.

    >>> from dualrel.graph.model import Person, Registry, Tie
    >>> reg = Registry(
    ...     people=(Person("co1", ("coach",)), Person("cl1", ("client",))),
    ...     ties=(Tie("t1", "coaching", "co1", "cl1",
    ...               attributes={"agreement_signed": "2025-01-01"}),
    ...           Tie("t2", "romance", "cl1", "co1")),
    ...     as_of=date(2026, 1, 1))
    >>> [(f.rule, f.level, f.evidence) for f in evaluate(reg).findings]
    [('romance-active-client', 3, ('t1', 't2'))]
    """
    if not isinstance(jobs, int) or isinstance(jobs, bool) or jobs < 1:
        raise InvalidArgument(f"jobs={jobs!r} must be a positive integer")
    reg = _as_registry(registry)
    compiled = prepare(rulesets)
    when = _evaluation_date(reg, as_of)
    findings: list[Finding] = []
    stages: MutableMapping[str, float] = timings if timings is not None else {}

    def lap(stage: str, since: float) -> float:
        now = time.perf_counter()
        stages[stage] = stages.get(stage, 0.0) + now - since
        return now

    t = time.perf_counter()
    # millions of registry objects stay put while evaluation builds and drops many small
    # ones without cycles: the collector would only scan the registry again and again
    with gc_paused():
        for c in compiled:
            store = _store(c, reg, when, prune=True)
            keys = store.all_candidates()
            t = lap("index", t)
            if jobs > 1 and len(keys) > _PARALLEL_MIN_KEYS and len(store.ties) > _PARALLEL_MIN_TIES:
                results = _evaluate_in_parallel(store, keys, jobs)
            else:
                results = _evaluate_here(store, keys)
            t = lap("evaluate", t)
            findings.extend(_findings(store, results))
            del store
            t = lap("findings", t)
    return Report(
        as_of=when,
        rulesets=tuple(RulesetRef(c.ruleset.id, c.ruleset.version) for c in compiled),
        findings=_sorted(findings),
    )


#: Below this many (rule, anchor) pairs, starting workers costs more than it saves.
_PARALLEL_MIN_KEYS = 2_000
#: ... or below this many ties reaching the engine (about a second of engine work: forking
#: a process that holds a large registry and collecting its results costs more than that).
_PARALLEL_MIN_TIES = 50_000
_forked_store: _Store | None = None


def _evaluate_here(store: _Store, keys: Sequence[_Key]) -> dict[_Key, set[_Match]]:
    engine = Engine(store.definition())
    try:
        return store.evaluate(engine, keys)
    finally:
        engine.close()


def _evaluate_forked(keys: Sequence[_Key]) -> dict[_Key, set[_Match]]:
    assert _forked_store is not None
    return _evaluate_here(_forked_store, keys)


def _evaluate_in_parallel(
    store: _Store, keys: Sequence[_Key], jobs: int
) -> dict[_Key, set[_Match]]:
    """Split the anchors between ``jobs`` forked workers; each has its own engine.

    Workers inherit the store by ``fork`` (nothing large is pickled) and send back only
    their matches.  An anchor's keys stay in one worker, so sessions group as they would.
    """
    global _forked_store  # noqa: PLW0603 (inherited by the forked workers, never pickled)
    if "fork" not in multiprocessing.get_all_start_methods():
        return _evaluate_here(store, keys)
    people = sorted({p for _, p in keys}, key=store.number.__getitem__)
    share = {p: i % jobs for i, p in enumerate(people)}
    parts: list[list[_Key]] = [[] for _ in range(jobs)]
    for key in keys:
        parts[share[key[1]]].append(key)
    _forked_store = store
    try:
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            merged: dict[_Key, set[_Match]] = {}
            for part in pool.map(_evaluate_forked, parts):
                merged.update(part)
            return merged
    finally:
        _forked_store = None


@dataclass(frozen=True, slots=True)
class Delta:
    """What one change did: findings that appeared and findings that were resolved."""

    appeared: tuple[Finding, ...]
    resolved: tuple[Finding, ...]


class Monitor:
    """Incremental checks for platforms: add or remove ties and people, see what changed.

    After any sequence of operations, :meth:`findings` equals a batch :func:`evaluate` of
    the resulting registry.

    >>> from dualrel.graph.model import Person, Registry, Tie
    >>> reg = Registry(people=(Person("co1", ("coach",)), Person("cl1", ("client",))),
    ...                ties=(), as_of=date(2026, 1, 1))
    >>> m = Monitor("coaching-core", reg)
    >>> [f.rule for f in m.add_tie(Tie("t1", "coaching", "co1", "cl1")).appeared]
    ['coaching-without-agreement']
    >>> [f.rule for f in m.remove_tie("t1").resolved]
    ['coaching-without-agreement']
    """

    def __init__(
        self,
        rulesets: RulesetLike | Sequence[RulesetLike],
        registry: RegistryLike | None = None,
        *,
        as_of: date | None = None,
    ) -> None:
        reg = _as_registry(registry) if registry is not None else Registry(people=(), ties=())
        self._compiled = prepare(rulesets)
        unsupported = [
            f"{c.ruleset.id}/{r.rule.id}"
            for c in self._compiled
            for r in c.rules
            if r.records or r.per is not None
        ]
        if unsupported:
            raise InvalidArgument(
                "Monitor checks ties as they change, and these rules read practice records or "
                f"group matches: {', '.join(unsupported)}. Evaluate them with "
                "dualrel.evaluate(), or disable them in a ruleset that extends this one "
                "(overrides: {rule-id: {enabled: false}})."
            )
        self.as_of = _evaluation_date(reg, as_of)
        self._kinds: dict[str, bool] = dict(reg.kinds)
        for c in self._compiled:
            self._kinds.update(c.ruleset.kinds)
        with gc_paused():  # millions of long-lived index entries, no cycles
            self._people: dict[str, Person] = {p.id: p for p in reg.people}
            self._ties: dict[str, Tie] = {t.id: t for t in reg.ties}
            self._stores = [_store(c, reg, self.as_of) for c in self._compiled]
            self._engines = [Engine(c.definition) for c in self._compiled]
            self._results: list[dict[_Key, set[_Match]]] = [{} for _ in self._stores]
            self._by_tie: list[dict[str, set[tuple[_Key, _Match]]]] = [{} for _ in self._stores]
            for i, (c, engine) in enumerate(zip(self._compiled, self._engines, strict=True)):
                # the first results as a batch evaluation finds them: only the ties some
                # rule can use reach the engine (the full store serves later changes)
                first = _store(c, reg, self.as_of, prune=True)
                for key, matches in first.evaluate(engine, first.all_candidates()).items():
                    for match in matches:
                        self._record(i, key, match)
                del first

    def close(self) -> None:
        """Free the engines' memory."""
        for engine in self._engines:
            engine.close()

    def findings(self) -> tuple[Finding, ...]:
        """Every open finding, as :func:`evaluate` would report it now."""
        return _sorted(
            f
            for store, res in zip(self._stores, self._results, strict=True)
            for f in _findings(store, res)
        )

    def report(self) -> Report:
        return Report(
            as_of=self.as_of,
            rulesets=tuple(RulesetRef(c.ruleset.id, c.ruleset.version) for c in self._compiled),
            findings=self.findings(),
        )

    def add_person(self, person: Person) -> Delta:
        """Add a person. A person with no ties cannot complete a pattern."""
        if person.id in self._people:
            raise RegistryError(
                [
                    Problem(
                        file="<monitor>",
                        code="duplicate-id",
                        record=person.id,
                        field="id",
                        message=f"person {person.id!r} already exists",
                    )
                ]
            )
        self._people[person.id] = person
        for store in self._stores:
            store.add_person(person)
        return Delta((), ())

    def add_tie(self, tie: Tie) -> Delta:
        """Add a tie; returns the findings that appeared and resolved because of it.

        Rules without negated clauses only gain matches, and every new match contains the
        new tie: one small session over the ties such a match can read finds them all.
        Rules with negated clauses re-evaluate the anchors the tie can reach.
        """
        self._check_tie(tie)
        self._ties[tie.id] = tie
        appeared: list[Finding] = []
        resolved: list[Finding] = []
        for i, (store, engine) in enumerate(zip(self._stores, self._engines, strict=True)):
            store.add_tie(tie)
            rules = {r.name: r for r in store.compiled.rules}
            vetoable = [r for r in store.compiled.rules if r.vetoable]
            a, r = self._rerun(i, self._affected(store, tie, vetoable))
            appeared += a
            resolved += r
            if tie.id not in store.ties:
                continue  # no clause can read it
            seeds: set[str] = set()
            for rule in store.compiled.rules:
                if not rule.vetoable:
                    seeds |= store.seed_neighbourhood(rule, tie)
            for name, anchor, match in store.matches(engine, seeds):
                if rules[name].vetoable or tie.id not in match[1]:
                    continue
                if self._record(i, (name, anchor), match):
                    appeared.append(store.finding(rules[name], match))
        return Delta(_sorted(appeared), _sorted(resolved))

    def remove_tie(self, tie_id: str) -> Delta:
        """Remove a tie by id; returns the findings that resolved and appeared."""
        tie = self._ties.get(tie_id)
        if tie is None:
            raise RegistryError(
                [
                    Problem(
                        file="<monitor>",
                        code="unknown-tie",
                        record=tie_id,
                        field="id",
                        message=f"no tie {tie_id!r}",
                    )
                ]
            )
        appeared: list[Finding] = []
        resolved: list[Finding] = []
        for i, store in enumerate(self._stores):
            vetoable = [r for r in store.compiled.rules if r.vetoable]
            # the region a tie touched is measured while the tie is still there
            affected = self._affected(store, tie, vetoable)
            rules = {r.name: r for r in store.compiled.rules}
            for key, match in sorted(self._by_tie[i].get(tie_id, ())):
                if not rules[key[0]].vetoable:
                    self._forget(i, key, match)
                    resolved.append(store.finding(rules[key[0]], match))
            store.remove_tie(tie)
            a, r = self._rerun(i, affected)
            appeared += a
            resolved += r
        del self._ties[tie_id]
        return Delta(_sorted(appeared), _sorted(resolved))

    def _record(self, i: int, key: _Key, match: _Match) -> bool:
        """Keep a match; False when it was known already."""
        bucket = self._results[i].setdefault(key, set())
        if match in bucket:
            return False
        bucket.add(match)
        for tid in match[1]:
            self._by_tie[i].setdefault(tid, set()).add((key, match))
        return True

    def _forget(self, i: int, key: _Key, match: _Match) -> None:
        bucket = self._results[i][key]
        bucket.discard(match)
        if not bucket:
            del self._results[i][key]
        for tid in match[1]:
            holders = self._by_tie[i][tid]
            holders.discard((key, match))
            if not holders:
                del self._by_tie[i][tid]

    def _check_tie(self, tie: Tie) -> None:
        problems: list[Problem] = []

        def bad(code: ProblemCode, fld: str, message: str) -> None:
            problems.append(
                Problem(file="<monitor>", code=code, record=tie.id, field=fld, message=message)
            )

        if tie.id in self._ties:
            bad("duplicate-id", "id", f"tie {tie.id!r} already exists")
        if tie.kind not in self._kinds:
            bad("unknown-kind", "kind", f"unknown tie kind {tie.kind!r}")
        for fld, pid in (("source", tie.source), ("target", tie.target)):
            if pid not in self._people:
                bad("unknown-person", fld, f"no person {pid!r}")
        if tie.source == tie.target:
            bad("self-tie", "target", "a tie joins a person to themselves")
        if tie.start and tie.end and tie.end < tie.start:
            bad("end-before-start", "end", "end is before start")
        if problems:
            raise RegistryError(problems)

    def _affected(self, store: _Store, tie: Tie, rules: Iterable[CompiledRule]) -> set[_Key]:
        keys: set[_Key] = set()
        for rule in rules:
            if not any(tie.kind in c.kinds for c in rule.clauses):
                continue
            near = store.distances((tie.source, tie.target), rule.walk_kinds, rule.radius)
            keys.update((rule.name, p) for p in near)
        return keys

    def _rerun(self, i: int, keys: set[_Key]) -> tuple[list[Finding], list[Finding]]:
        """Evaluate ``keys`` again from scratch; what appeared and what resolved."""
        if not keys:
            return [], []
        store, engine, results = self._stores[i], self._engines[i], self._results[i]
        rules = {r.name: r for r in store.compiled.rules}
        live = [k for k in keys if store.is_candidate(rules[k[0]], k[1])]
        fresh = store.evaluate(engine, live)
        appeared: list[Finding] = []
        resolved: list[Finding] = []
        for key in keys:
            old = set(results.get(key, ()))
            new = fresh.get(key, set())
            rule = rules[key[0]]
            for m in old - new:
                self._forget(i, key, m)
                resolved.append(store.finding(rule, m))
            for m in new - old:
                self._record(i, key, m)
                appeared.append(store.finding(rule, m))
        return appeared, resolved
