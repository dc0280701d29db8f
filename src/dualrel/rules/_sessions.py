"""Sessions: what one compiled ruleset reads, partitioned by anchor into engine sessions (private).

Evaluation is partitioned by *anchor*: every compiled rule names the variable whose value
owns a match (for most rules, the coach) and how far from it each clause reaches.  A
session holds, for a group of anchor people, every tie any of their matches could use or
that could veto them (negated clauses), so each session finds exactly the matches its
anchors own; matches owned by another anchor are dropped and found in that anchor's
session.  Sessions are small and opened one at a time (see :mod:`dualrel.rules._durable`).

A :class:`Store` holds the people and the ties the rules can read (in a
:class:`~dualrel.graph.index.TieIndex`), the practice records admitted
(:mod:`dualrel.rules._admit`) and their facts (:mod:`dualrel.rules._facts`); it finds the
(rule, anchor) candidates, runs the sessions and makes the findings, with the remediation
steps routed to their assignees.
"""

from __future__ import annotations

import operator
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping
from datetime import date
from typing import Any

import dualrel._findtext as _ft
from dualrel.finding_table import FindingTable, RuleHead
from dualrel.findings import Finding, RemediationStep, fingerprint, fingerprints
from dualrel.graph.columns import SectionColumns
from dualrel.graph.index import OVERSIGHT_KINDS, TieIndex
from dualrel.graph.model import Person, Tie
from dualrel.graph.practice import Practice
from dualrel.rules._admit import RecordIndex, tests_key
from dualrel.rules._aggregate import aggregate
from dualrel.rules._durable import Engine, match_ids
from dualrel.rules._encode import person_token
from dualrel.rules._facts import Clock, Layouts, Numbering, RecordFacts, TieFacts
from dualrel.rules._fields import SOURCE, TARGET, person_of_field
from dualrel.rules._match import NUMERATOR, AnchorKey, Match
from dualrel.rules._near import joinable
from dualrel.rules._order import variable_distances
from dualrel.rules._remediation import Steps, remediations
from dualrel.rules.loader import Rule
from dualrel.rules.plan import CompiledRule, CompiledRuleset, on_date

__all__ = ["SESSION_TIES", "Store", "sorted_findings"]

#: Ties per session before a new session starts: small sessions stay fast in the engine.
SESSION_TIES = 2_000


class Store:
    """People and the ties and records the compiled rules can read, indexed for
    partitioning."""

    def __init__(self, compiled: CompiledRuleset, as_of: date) -> None:
        self.compiled = compiled
        self.as_of = as_of
        self.roles: dict[str, frozenset[str]] = {}
        self._role_sets: dict[tuple[str, ...], frozenset[str]] = {}
        self._person_tests = compiled.schema.person_tests
        self.number: dict[str, int] = {}
        self.names: list[str] = []
        #: the ties the rules can read, and every oversight tie (remediation routing)
        self.index = TieIndex()
        self.tie_number: dict[str, int] = {}
        #: derived tie id -> the registry ties of its chain (path clauses, see
        #: :mod:`dualrel.rules._paths`): a finding's evidence lists the chain
        self.chains: dict[str, tuple[str, ...]] = {}
        # kind -> the (active, ended) demands of every clause that reads that kind
        self._wants: dict[str, set[tuple[bool, bool | None]]] = defaultdict(set)
        self._seed_needs_cache: dict[
            tuple[str, int], list[tuple[frozenset[str], bool, tuple[int, int, int] | None]]
        ] = {}
        for rule in compiled.rules:
            for clause in rule.rule.match.ties:
                for kind in clause.kinds:
                    self._wants[kind].add((bool(clause.active), clause.ended))
        self._always = frozenset(k for k, w in self._wants.items() if (False, None) in w)
        # kind -> the (active, ended) a tie of that kind must be one of to be read
        self._admitted = {
            kind: frozenset(
                (active, ended)
                for active in (False, True)
                for ended in (False, True)
                if any(
                    (not need_active or active) and (need_ended is None or need_ended == ended)
                    for need_active, need_ended in wants
                )
            )
            for kind, wants in self._wants.items()
        }
        # how to read a match of each variant: (the name its matches go under, the anchor's
        # alias and fact field, the bindings sorted by variable, evidence aliases)
        self._reading = {
            v.name: (
                r.name + NUMERATOR if v.numerator else r.name,
                *r.bindings[r.anchor],
                tuple((var, a, e) for var, (a, e) in sorted(r.bindings.items())),
                r.evidence,
                r.record_evidence,
            )
            for r in compiled.rules
            for v in r.variants
        }
        #: practice records the rules read, by ``section/id``, and who and what they name
        self.record_index = RecordIndex(compiled)
        clock = Clock(as_of)
        self.layouts = Layouts(compiled.schema, clock)
        #: people's organisation and attributes, when ``where`` compares people's fields
        self.fields: dict[str, tuple[Any, Mapping[str, Any]]] = {}
        self._keep_fields = any(owner == "person" for owner, _ in compiled.schema.slots) or any(
            r.count_alike is not None for r in compiled.rules
        )
        self.numbering = Numbering(
            self.number, self.roles, self.tie_number, self.record_index.person_of, self.fields
        )
        self.tie_facts = TieFacts(compiled.schema, clock, self.numbering)
        self.record_facts = RecordFacts()
        self._reach: dict[str, list[tuple[str, str | None, bool]]] = {}
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
        tests = self._person_tests
        if tests:  # the tokens of the person tests passed join the roles
            held = frozenset(person.roles)
            key += tuple(
                person_token(i)
                for i, test in enumerate(tests)
                if test.holds(held, person.organisation, person.attributes)
            )
        roles = self._role_sets.get(key)
        if roles is None:
            roles = self._role_sets[key] = frozenset(key)
        self.roles[person.id] = roles
        if self._keep_fields:
            self.fields[person.id] = (person.organisation, person.attributes)
        self.number[person.id] = len(self.names)
        self.names.append(person.id)

    def admits(self, tie: Tie) -> bool:
        """Could any clause read ``tie``? Kind and date tests only: cheap, and never
        stricter than the engine, which checks everything again."""
        if tie.kind in self._always:
            return True
        admitted = self._admitted.get(tie.kind)
        if not admitted:
            return False
        return (tie.is_active(self.as_of), tie.has_ended(self.as_of)) in admitted

    def add_tie(self, tie: Tie) -> None:
        index = self.index
        index.add_oversight(tie)
        if not self.admits(tie):
            return
        self.tie_number.setdefault(tie.id, len(self.tie_number))
        index.add(tie)

    def add_ties(self, ties: Iterable[Tie]) -> None:
        """:meth:`add_tie` for each of ``ties``, in order (in one call: a batch store
        adds a hundred thousand)."""
        index, numbers, admits = self.index, self.tie_number, self.admits
        admitted = []
        for tie in ties:
            if tie.kind in OVERSIGHT_KINDS:
                index.add_oversight(tie)
            if admits(tie):
                numbers.setdefault(tie.id, len(numbers))
                admitted.append(tie)
        index.add_all(admitted)

    def remove_tie(self, tie: Tie) -> None:
        index = self.index
        index.remove_oversight(tie)
        if tie.id in index.ties:
            index.remove(tie)
            self.tie_facts.forget(tie.id)

    def forget_tie_number(self, tie_id: str) -> None:
        """Give back the number of a tie removed just after it was added (a preview), so
        that previews do not use up numbers; any other number stays taken, since each
        later tie is numbered by the count so far."""
        number = self.tie_number.get(tie_id)
        if number is not None and number == len(self.tie_number) - 1:
            del self.tie_number[tie_id]

    def remove_person(self, person_id: str) -> None:
        """Forget a person whose ties are all removed.  Their number is not given back
        (each later person is numbered by the count so far)."""
        self.roles.pop(person_id, None)
        self.number.pop(person_id, None)
        self.fields.pop(person_id, None)
        for table in (self.index.adjacency, self.index.overseers):
            if not table.get(person_id, True):
                del table[person_id]

    def add_records(
        self,
        practice: Practice,
        tie_ends: Mapping[str, tuple[str, str]],
        *,
        columns: Mapping[str, SectionColumns] | None = None,
    ) -> None:
        """Admit the records of every section a rule reads (see :mod:`dualrel.rules._admit`).
        ``tie_ends`` gives the ends of the ties concerns are about; ``columns``, the
        reader's columns of the records, where it kept some."""
        schema = self.compiled.schema
        self.record_index.admit(
            practice, tie_ends, self.layouts, self.record_facts, columns=columns
        )
        for section in sorted(schema.sections):
            full = self.layouts(section, schema.record_reads.get(section, frozenset()))
            self.record_facts.numbers[section] = full.numbers_of(self.numbering)

    def definition(self) -> dict[str, Any]:
        """The durable-rules definition for these records: the compiled one without the
        variants that can never fire, since one of their record clauses is passed by no
        record kept (the tests it makes of a record alone; never stricter than the engine,
        which tests again)."""
        unmet = self.record_index.unmet
        if not unmet:
            return self.compiled.definition_on(self.as_of)
        kept = {
            v.name: dict(v.condition)
            for r in self.compiled.rules
            for v in r.variants
            if not any((section, tests_key(tests)) in unmet for section, tests in v.needs)
        }
        return on_date(kept, self.as_of) if self.compiled.schema.fixed_dates else kept

    def record_body(self, rid: str) -> str:
        """The fact for one record (its fields: :mod:`dualrel.rules._facts`)."""
        section, rec = self.record_index.records[rid]
        return self.record_facts.fact(rid, section, rec)[0]

    # -- partitioning -----------------------------------------------------------------------

    def is_candidate(self, rule: CompiledRule, person: str) -> bool:
        """Could ``person`` be the anchor of a match of ``rule``? (A cheap, safe test.)"""
        for tie in self.index.adjacency.get(person, ()):
            if tie.kind in rule.anchor_kinds and (
                not rule.anchor_directed
                or (tie.source if rule.anchor_end == SOURCE else tie.target) == person
            ):
                return True
        return False

    def all_candidates(self) -> list[AnchorKey]:
        """Every (rule, person) pair where the person could anchor a match, in one pass."""
        # rules that anchor on the same kind and end share their candidates
        wanted: dict[tuple[str, str], list[str]] = defaultdict(list)  # (kind, end) -> rules
        for rule in self.compiled.rules:
            for kind in rule.anchor_kinds:
                ends = (SOURCE, TARGET) if not rule.anchor_directed else (rule.anchor_end,)
                for end in ends:
                    wanted[(kind, end)].append(rule.name)
        # the people at each wanted end of each kind's ties, gathered once for the rules
        # that share them (most rules anchor on the coaching tie's source)
        at_ends: dict[str, tuple[bool, bool]] = {}
        for kind, end in wanted:
            at_source, at_target = at_ends.get(kind, (False, False))
            at_ends[kind] = (at_source or end == SOURCE, at_target or end == TARGET)
        sources: dict[str, set[str]] = defaultdict(set)
        targets: dict[str, set[str]] = defaultdict(set)
        for tie in self.index.ties.values():
            want = at_ends.get(tie.kind)
            if want is not None:
                if want[0]:
                    sources[tie.kind].add(tie.source)
                if want[1]:
                    targets[tie.kind].add(tie.target)
        found: dict[str, set[str]] = defaultdict(set)  # rule -> people
        for (kind, end), names in wanted.items():
            people = (sources if end == SOURCE else targets).get(kind)
            if people:
                for name in names:
                    found[name] |= people
        records = self.record_index
        for rule in self.compiled.rules:
            if rule.records_only:  # anchored on a person field of its first record clause
                plan = rule.records[0]
                field = person_of_field(rule.anchor_end)
                for rec in records.by_section.get(plan.section, ()):
                    who = records.person_of(plan.section, rec, field)
                    if who is not None and who in self.number:
                        found[rule.name].add(who)
        return [(name, p) for name, people in found.items() for p in people]

    # -- evaluation -------------------------------------------------------------------------

    def evaluate(self, engine: Engine, keys: Iterable[AnchorKey]) -> dict[AnchorKey, set[Match]]:
        """Run every (rule, anchor) in ``keys``; the matches each one owns."""
        rules = {r.name: r for r in self.compiled.rules}
        adjacency = self.index.adjacency
        neighbourhood = self.index.neighbourhood
        by_person: dict[str, list[str]] = defaultdict(list)
        for name, person in keys:
            by_person[person].append(name)
        results: dict[AnchorKey, set[Match]] = {}
        group: list[tuple[str, str]] = []
        tie_ids: set[str] = set()
        record_ids: set[str] = set()
        for person in sorted(by_person, key=self.number.__getitem__):
            local: set[str] = set()
            own: dict[frozenset[str], set[str]] = {}  # the person's ties of these kinds
            # the record reaches gathered for this person already (see rule_records)
            reached: _Reached = {}
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
                                t.id for t in adjacency.get(person, ()) if t.kind in kinds
                            }
                        record_ids |= self.rule_records(rule, person, mine, reached)
                elif not rule.records_only:
                    # every tie a match of the rule anchored at the person can read
                    mine = neighbourhood(person, rule.walk_kinds, rule.radius, rule.clauses)
                    tie_ids |= mine
                    if rule.records:
                        record_ids |= self.rule_records(rule, person, mine, reached)
                else:
                    record_ids |= self.rule_records(rule, person, set(), reached)
            if local:
                tie_ids.update(t.id for t in adjacency.get(person, ()) if t.kind in local)
            if len(tie_ids) + len(group) + len(record_ids) >= SESSION_TIES:
                self._run(engine, rules, group, tie_ids, results, record_ids=record_ids)
                group, tie_ids, record_ids = [], set(), set()
        if group:
            self._run(engine, rules, group, tie_ids, results, record_ids=record_ids)
        return aggregate(rules, results, self.record_index.share_counts, self.fields)

    def rule_records(
        self, rule: CompiledRule, anchor: str, tie_ids: set[str], reached: _Reached | None = None
    ) -> set[str]:
        """The records a match of ``rule`` anchored at ``anchor`` can read, given the ties
        it can read: those of the rule's sections naming one of those ties, or the anchor
        or a person those ties join (every variable a record clause names is one of them).
        ``reached``: the reaches gathered for this anchor already, by other rules (most
        rules read the agreement of the anchor's coaching ties), which are left out."""
        people: set[str] | None = None  # made only when a clause needs more than the anchor
        out: set[str] = set()
        records_of = self.record_index.records_of
        for section, field, by_anchor in self._record_reach(rule):
            if reached is not None:
                # what a reach finds depends on the anchor alone, or on the ties too
                # (the sets are kept in ``reached``, so ``is`` keeps meaning the same set)
                seen = reached.setdefault((section, field, by_anchor), [])
                if not by_anchor:
                    if any(ties is tie_ids for ties in seen):
                        continue
                    seen.append(tie_ids)
                elif seen:
                    continue
                else:
                    seen.append(tie_ids)
            if field is None:  # the record names one of these ties
                for tid in tie_ids:
                    out.update(records_of.get((tid, section, ""), ()))
                continue
            if by_anchor:
                out.update(records_of.get((anchor, section, field), ()))
                continue
            if people is None:
                people = {anchor}
                ties = self.index.ties
                for tid in tie_ids:
                    tie = ties[tid]
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
        group: list[AnchorKey],
        tie_ids: set[str],
        results: dict[AnchorKey, set[Match]],
        *,
        record_ids: set[str],
    ) -> None:
        owned = set(group)
        for name, anchor, match in self.matches(engine, tie_ids, record_ids):
            if (name.removesuffix(NUMERATOR), anchor) in owned:
                results.setdefault((name, anchor), set()).add(match)

    def matches(
        self, engine: Engine, tie_ids: Iterable[str], record_ids: Iterable[str] = ()
    ) -> Iterator[tuple[str, str, Match]]:
        """One session over ``tie_ids`` and ``record_ids``: every match as (rule name,
        anchor, match); a ``share`` rule's numerator matches under the name plus ``~``."""
        number = self.number
        ties, bodies = self.index.ties, self.tie_facts.bodies
        records, record_fact = self.record_index.records, self.record_facts.fact
        source, target = SOURCE, TARGET
        texts: list[str] = []
        objects: list[str] = []  # what each fact is, in the order of ``texts``
        people: list[Mapping[str, int]] = []
        # sorted: the same registry gives the same session contents in every run
        for tid in sorted(tie_ids):
            tie = ties[tid]
            forward, reverse = bodies(tie)
            src, dst = number[tie.source], number[tie.target]
            texts.append(forward)
            objects.append(tid)
            people.append({source: src, target: dst})
            if reverse is not None:
                texts.append(reverse)
                objects.append(tid)
                people.append({source: dst, target: src})
        for rid in sorted(record_ids):
            section, rec = records[rid]
            text, persons = record_fact(rid, section, rec)
            texts.append(text)
            objects.append(rid)
            people.append(persons)
        with engine.session(raw=True) as session:
            fids = session.assert_each(texts)
            session.release()
            messages, prefix = session.raw_matches, session.prefix
        fact_of = dict(zip(fids, objects, strict=True))
        # the person numbers each fact carries, by fact id: matches are read by fact id
        # only (see match_ids), so subjects come from here rather than from the message
        people_of = dict(zip(fids, people, strict=True))
        names, reading, chains = self.names, self._reading, self.chains
        for message in messages:
            for variant, pairs in match_ids(message, prefix):
                name, alias, end, binds, tie_aliases, record_aliases = reading[variant]
                fid_of = dict(pairs)
                subjects = tuple([(var, names[people_of[fid_of[a]][e]]) for var, a, e in binds])
                evidence = tuple([fact_of[fid_of[a]] for a in tie_aliases])
                if chains:  # a derived tie stands for the ties of its chain
                    evidence = tuple([t for d in evidence for t in chains.get(d, (d,))])
                recs = tuple([fact_of[fid_of[a]] for a in record_aliases])
                yield name, names[people_of[fid_of[alias]][end]], (subjects, evidence, recs)

    def seed_neighbourhood(
        self, rule: CompiledRule, tie: Tie, memo: dict[Any, list[Tie]] | None = None
    ) -> set[str]:
        """Ids of every tie a match of ``rule`` *that contains* ``tie`` can read.

        Far smaller than an anchor's neighbourhood.  The tie binds its clause's two
        variables to its two people (as its facts read: forward, and backward only when a
        clause reads its kind backwards); every other clause's tie is then near the person
        of the variable it is nearest to: a clause on the same variable needs only that
        person's ties at that end (a coach's own coaching ties are not a client's), a
        clause on the same two variables only the ties between the two people.  Of those,
        only the ties whose people every other clause on the same variables can also
        reach are kept (:func:`~dualrel.rules._near.joinable`): a new family tie between a
        coach and someone with no romance or business tie to one of the coach's clients
        reads none of the coach's coaching ties.  ``memo`` keeps the ties found near the
        tie for the next rule asked about the same tie (most rules read the same few kinds).
        """
        if memo is None:
            memo = {}
        out: set[str] = set()
        both_ways = self.compiled.schema.reverse_kinds
        facts = [(tie.source, tie.target)]
        if tie.kind in both_ways:
            facts.append((tie.target, tie.source))
        for j, seed in enumerate(rule.clauses):
            if not seed.exists or tie.kind not in seed.kinds:
                continue
            needs = self._seed_needs(rule, j)
            for bound in facts:
                found = []
                for need in needs:
                    key = (bound, need, rule.walk_kinds if need[2] and need[2][2] else None)
                    near = memo.get(key)
                    if near is None:
                        near = memo[key] = self._near(tie, bound, need, rule.walk_kinds)
                    found.append(near)
                out |= joinable(rule, j, tie, bound, found, both_ways=both_ways)
        return out

    def _near(
        self,
        tie: Tie,
        bound: tuple[str, str],
        need: tuple[frozenset[str], bool, tuple[int, int, int] | None],
        walk: Collection[str],
    ) -> list[Tie]:
        """The ties of one clause a match can use once the seed clause binds ``bound``:
        ``need`` is the clause's entry of :meth:`_seed_needs`."""
        kinds, pair_only, near = need
        adjacency = self.index.adjacency
        if pair_only:
            return [
                t
                for t in adjacency.get(tie.source, ())
                if t.kind in kinds and tie.target in (t.source, t.target)
            ]
        if near is None:  # not joined to the seed: as near as its ends allow
            return [t for person in bound for t in adjacency.get(person, ()) if t.kind in kinds]
        end, at, depth = near
        person = bound[end]
        if depth == 0:
            # the clause's variable ``at`` (0: first end, 1: second) is this person: a tie
            # read only forward has them at that end
            both_ways = self.compiled.schema.reverse_kinds
            return [
                t
                for t in adjacency.get(person, ())
                if t.kind in kinds
                and (t.kind in both_ways or (t.source if at == 0 else t.target) == person)
            ]
        return [
            t
            for p in self.index.distances((person,), walk, depth)
            for t in adjacency.get(p, ())
            if t.kind in kinds
        ]

    def _seed_needs(
        self, rule: CompiledRule, seed: int
    ) -> list[tuple[frozenset[str], bool, tuple[int, int, int] | None]]:
        """For each clause of ``rule``, when clause ``seed`` holds the new tie: its kinds,
        whether it joins the seed's own two variables, and the nearest (seed end, clause
        end, hops) between a variable of the seed and one of the clause."""
        key = (rule.name, seed)
        cached = self._seed_needs_cache.get(key)
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
            self._seed_needs_cache[key] = cached
        return cached

    # -- findings ---------------------------------------------------------------------------

    def findings(self, results: Mapping[AnchorKey, set[Match]]) -> FindingTable:
        """The finding of every match in ``results``, as columns (each
        :class:`~dualrel.findings.Finding` is made when the table is read).

        What a rule gives its findings is kept once per rule (the table's head), and a
        finding's steps depend on its rule and coach alone: made once per pair (a
        coach's findings of one rule share them), from steps shared by every rule (see
        :meth:`finding`). The matches are gathered first, then each column is made in
        C loops over all of them (most anchors have one or two matches)."""
        rules = {r.name: r for r in self.compiled.rules}
        heads: dict[str, int] = {}
        head_list: list[RuleHead] = []
        specs: list[Rule] = []
        rule_col: list[int] = []
        gathered: list[Match] = []
        for (name, _anchor), matches in results.items():
            rule = rules[name]
            head = heads.get(name)
            if head is None:
                spec = rule.rule
                head = heads[name] = len(head_list)
                specs.append(spec)
                head_list.append(
                    (
                        spec.id,
                        spec.origin,  # named by the ruleset that defines it, whichever brought it
                        spec.title,
                        spec.category,
                        spec.severity,
                        spec.level,
                        spec.citations,  # findings.Citation already (frozen)
                    )
                )
            shown = (
                [m for m in matches if rule.reported(dict(m[0]))]  # one ordering of each
                if rule.symmetries
                else matches
            )
            gathered.extend(shown)
            rule_col.extend([head] * len(shown))
        if not gathered:
            return FindingTable(head_list, [], [], [], [], [], [])
        pairs, evidence_of, records_of = zip(*gathered, strict=True)
        subjects: list[Mapping[str, str]] = _ft.dicts(list(pairs))
        evidence, records = list(evidence_of), list(records_of)
        # the store does not change while the steps are made
        keys = list(zip(rule_col, map(_COACH, subjects), strict=True))
        by_rule: dict[int, list[str | None]] = {}
        for head, coach in dict.fromkeys(keys):
            by_rule.setdefault(head, []).append(coach)
        steps: Steps = {}
        made: dict[tuple[int, str | None], tuple[RemediationStep, ...]] = {}
        for head, coaches in by_rule.items():
            made.update(
                zip(
                    [(head, c) for c in coaches],
                    remediations(self.index, self.as_of, specs[head], coaches, steps),
                    strict=True,
                )
            )
        return FindingTable(
            head_list,
            rule_col,
            subjects,
            evidence,
            records,
            list(map(made.__getitem__, keys)),
            # in one C loop: the text hashed, written one finding at a time here, cost
            # more than everything else a finding needs
            fingerprints(
                [(h[1].id, h[0]) for h in head_list], rule_col, subjects, evidence, records
            ),
        )

    def finding(
        self,
        rule: CompiledRule,
        match: Match,
        steps: Steps | None = None,
    ) -> Finding:
        """The finding of ``match``; ``steps`` caches remediation steps by action, days,
        owner and coach while the store stays as it is."""
        spec = rule.rule
        origin = spec.origin  # named by the ruleset that defines it, whichever brought it
        subjects = dict(match[0])
        return Finding(
            rule=spec.id,
            ruleset=origin,
            title=spec.title,
            category=spec.category,
            severity=spec.severity,
            level=spec.level,
            subjects=subjects,
            evidence=match[1],
            citations=spec.citations,  # findings.Citation already (frozen)
            remediation=remediations(
                self.index,
                self.as_of,
                spec,
                [subjects.get("coach")],
                {} if steps is None else steps,
            )[0],
            fingerprint=fingerprint(origin.id, spec.id, subjects, match[1], match[2]),
            records=match[2],
        )


#: a finding's coach, from its subjects
_COACH = operator.methodcaller("get", "coach")


#: The record reaches one anchor's rules gathered: by (section, person field, by anchor),
#: the tie sets each was gathered with.
_Reached = dict[tuple[str, str | None, bool], list[set[str]]]


def sorted_findings(findings: Iterable[Finding]) -> FindingTable:
    """``findings`` in report order, as columns."""
    return FindingTable.of(findings).sorted()
