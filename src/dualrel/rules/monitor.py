"""Incremental checks: :class:`Monitor` keeps a registry's findings as ties come and go.

A :class:`Monitor` holds, per ruleset, a store of every tie a rule can read (see
:mod:`dualrel.rules._sessions`) and one durable-rules engine.  A new tie whose rules have
no negated clause can only add matches, each containing the tie: one small session over
the ties such a match can read finds them.  Rules with negated clauses, and every removed
tie, re-evaluate the anchors the tie reaches.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from types import TracebackType
from typing import Any

from dualrel._internal.gc import gc_paused
from dualrel._internal.suggest import SUGGEST_BUDGET, Suggester
from dualrel.errors import InvalidArgument, Problem, ProblemCode, RegistryError
from dualrel.findings import Finding, Report, RulesetRef
from dualrel.graph import as_registry
from dualrel.graph.model import Person, Registry, Tie
from dualrel.rules._build import build_store
from dualrel.rules._durable import Engine
from dualrel.rules._match import AnchorKey, Match
from dualrel.rules._sessions import Store, sorted_findings
from dualrel.rules.compose import variant_rules
from dualrel.rules.engine import RegistryLike, RulesetLike, _evaluation_date, prepare
from dualrel.rules.partitions import unpartitionable
from dualrel.rules.plan import CompiledRule

__all__ = ["Delta", "Monitor"]


@dataclass(frozen=True, slots=True)
class Delta:
    """What one change did: findings that appeared and findings that were resolved."""

    appeared: tuple[Finding, ...]
    resolved: tuple[Finding, ...]


class Monitor:
    """Incremental checks for platforms: add or remove ties and people, see what changed.

    After any sequence of operations, :meth:`findings` equals a batch :func:`evaluate` of
    the resulting registry.

    A monitor may be shared between threads: one lock serialises its operations, so
    changes from several threads apply one at a time, each whole, and :meth:`findings`
    never sees a change half made.  An operation that raises changes nothing: a tie or
    person is checked (types, ids, references) before the monitor is touched.

    :meth:`preview` answers what adding a tie would raise without adding it.  A monitor
    holds one rules engine per ruleset, outside Python's memory: :meth:`close` frees them,
    and ``with Monitor(...) as monitor:`` closes it on leaving the block.  A closed monitor
    still answers :meth:`findings` and :meth:`report` (as they stood when it closed) and
    refuses changes and previews.

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
        reg = as_registry(registry) if registry is not None else Registry(people=(), ties=())
        self._lock = threading.RLock()
        self._closed = False
        self._compiled = prepare(rulesets)
        unsupported = unpartitionable(self._compiled)
        if unsupported:
            raise InvalidArgument(
                "Monitor checks ties as they change, and these rules read practice records or "
                f"group matches: {', '.join(unsupported)}. Evaluate them with "
                "dualrel.evaluate(), or disable them in a ruleset that extends this one "
                "(overrides: {rule-id: {enabled: false}})."
            )
        # a change's delta is worked out per ruleset: one finding standing for another
        # (supersedes, or two forms of one inherited rule) would need the others' results
        merging = [
            f"{r.origin.id}/{r.id}" for c in self._compiled for r in c.ruleset.rules if r.supersedes
        ] + variant_rules([c.ruleset for c in self._compiled])
        if merging:
            raise InvalidArgument(
                "Monitor cannot yet follow these rules, which supersede others or which two "
                f"rulesets change differently: {', '.join(merging)}. Evaluate them with "
                "dualrel.evaluate()."
            )
        # a new tie can make or break chains far from it: path rules are evaluated whole
        chained = [
            f"{c.ruleset.id}/{r.rule.id}"
            for c in self._compiled
            for r in c.rules
            if any(k in {p.kind for p in c.paths} for cl in r.rule.match.ties for k in cl.kinds)
        ]
        if chained:
            raise InvalidArgument(
                "Monitor checks ties as they change, and these rules read paths: "
                f"{', '.join(chained)}. Evaluate them with dualrel.evaluate(), or disable them "
                "in a ruleset that extends this one (overrides: {rule-id: {enabled: false}})."
            )
        self.as_of = _evaluation_date(reg, as_of)
        self._kinds: dict[str, bool] = dict(reg.kinds)
        for c in self._compiled:
            self._kinds.update(c.ruleset.kinds)
        with gc_paused():  # millions of long-lived index entries, no cycles
            self._people: dict[str, Person] = {p.id: p for p in reg.people}
            self._ties: dict[str, Tie] = {t.id: t for t in reg.ties}
            self._stores = [build_store(c, reg, self.as_of) for c in self._compiled]
            self._engines = [Engine(c.definition_on(self.as_of), c.labels) for c in self._compiled]
            self._results: list[dict[AnchorKey, set[Match]]] = [{} for _ in self._stores]
            self._by_tie: list[dict[str, set[tuple[AnchorKey, Match]]]] = [{} for _ in self._stores]
            for i, (c, engine) in enumerate(zip(self._compiled, self._engines, strict=True)):
                # the first results as a batch evaluation finds them: only the ties some
                # rule can use reach the engine (the full store serves later changes)
                first = build_store(c, reg, self.as_of, prune=True)
                for key, matches in first.evaluate(engine, first.all_candidates()).items():
                    for match in matches:
                        self._record(i, key, match)
                del first

    def close(self) -> None:
        """Free the engines' memory; later changes and previews raise
        :class:`~dualrel.errors.InvalidArgument`.  Closing twice is harmless."""
        with self._lock:
            self._closed = True
            for engine in self._engines:
                engine.close()

    def __enter__(self) -> Monitor:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def _check_open(self, operation: str) -> None:
        if self._closed:
            raise InvalidArgument(
                f"{operation}: this Monitor is closed (its engines are freed); "
                "its findings() and report() still answer"
            )

    def findings(self) -> tuple[Finding, ...]:
        """Every open finding, as :func:`evaluate` would report it now."""
        with self._lock:
            return tuple(
                sorted_findings(
                    f
                    for store, res in zip(self._stores, self._results, strict=True)
                    for f in store.findings(res)
                )
            )

    def report(self) -> Report:
        return Report(
            as_of=self.as_of,
            rulesets=tuple(RulesetRef(c.ruleset.id, c.ruleset.version) for c in self._compiled),
            findings=self.findings(),
        )

    def add_person(self, person: Person) -> Delta:
        """Add a person. A person with no ties cannot complete a pattern.

        Raises :class:`~dualrel.errors.RegistryError` (``wrong-type``, ``empty-field``,
        ``duplicate-id``), naming the field, and changes nothing, when the person is not
        one a registry could hold.
        """
        with self._lock:
            self._check_open("add_person")
            self._check_person(person)
            self._people[person.id] = person
            for store in self._stores:
                store.add_person(person)
            return Delta((), ())

    def add_tie(self, tie: Tie) -> Delta:
        """Add a tie; returns the findings that appeared and resolved because of it.

        Rules without negated clauses only gain matches, and every new match contains the
        new tie: one small session over the ties such a match can read finds them all.
        Rules with negated clauses re-evaluate the anchors the tie can reach.

        Raises :class:`~dualrel.errors.RegistryError` (``wrong-type``, ``empty-field``,
        ``duplicate-id``, ``unknown-kind``, ``unknown-person``, ``self-tie``,
        ``end-before-start``), every problem with its field, and changes nothing, when the
        tie is not one a registry could hold: a date given as text is ``wrong-type``.
        """
        with self._lock:
            self._check_open("add_tie")
            self._check_tie(tie)
            return self._add_tie(tie)

    def preview(self, tie: Tie) -> Delta:
        """What :meth:`add_tie` would return for ``tie``, leaving the monitor as it is.

        Raises what :meth:`add_tie` raises for a tie it refuses.  The tie is added and
        removed again under the monitor's lock, so no other thread sees it and a preview
        costs about an :meth:`add_tie` and a :meth:`remove_tie`.
        """
        with self._lock:
            self._check_open("preview")
            self._check_tie(tie)
            try:
                return self._add_tie(tie)
            finally:
                if tie.id in self._ties:
                    self._remove_tie(tie.id)
                    for store in self._stores:
                        store.forget_tie_number(tie.id)

    def remove_person(self, person_id: str) -> Delta:
        """Remove a person and every tie they are an end of; returns the findings that
        resolved and appeared (the net change: a finding that appears as one of the ties
        goes and resolves as another goes is in neither).

        Raises :class:`~dualrel.errors.RegistryError` (``unknown-person``) when the monitor
        holds no such person, changing nothing.  Finding the person's ties reads every tie
        the monitor holds.
        """
        with self._lock:
            self._check_open("remove_person")
            if not isinstance(person_id, str) or person_id not in self._people:
                raise RegistryError([_unknown("unknown-person", "person", person_id, self._people)])
            ties = sorted(t.id for t in self._ties.values() if person_id in (t.source, t.target))
            appeared: dict[str, Finding] = {}
            resolved: dict[str, Finding] = {}
            for tie_id in ties:
                delta = self._remove_tie(tie_id)
                # in the order the changes happened: a finding that came and went is neither
                for f in delta.resolved:
                    if appeared.pop(f.fingerprint, None) is None:
                        resolved[f.fingerprint] = f
                for f in delta.appeared:
                    if resolved.pop(f.fingerprint, None) is None:
                        appeared[f.fingerprint] = f
            del self._people[person_id]
            for store in self._stores:
                store.remove_person(person_id)
            return Delta(
                tuple(sorted_findings(appeared.values())), tuple(sorted_findings(resolved.values()))
            )

    def _add_tie(self, tie: Tie) -> Delta:
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
            if tie.id not in store.index.ties:
                continue  # no clause can read it
            seeds: set[str] = set()
            near: dict[Any, list[Tie]] = {}  # the rules share what is near the tie
            for rule in store.compiled.rules:
                if not rule.vetoable:
                    seeds |= store.seed_neighbourhood(rule, tie, near)
            for name, anchor, match in store.matches(engine, seeds):
                if rules[name].vetoable or tie.id not in match[1]:
                    continue
                if self._record(i, (name, anchor), match) and rules[name].reported(dict(match[0])):
                    appeared.append(store.finding(rules[name], match))
        return Delta(tuple(sorted_findings(appeared)), tuple(sorted_findings(resolved)))

    def remove_tie(self, tie_id: str) -> Delta:
        """Remove a tie by id; returns the findings that resolved and appeared.

        Raises :class:`~dualrel.errors.RegistryError` (``unknown-tie``, suggesting close
        tie ids) when the monitor holds no such tie, changing nothing.
        """
        with self._lock:
            self._check_open("remove_tie")
            return self._remove_tie(tie_id)

    def _remove_tie(self, tie_id: str) -> Delta:
        tie = self._ties.get(tie_id) if isinstance(tie_id, str) else None
        if tie is None:
            raise RegistryError([_unknown("unknown-tie", "tie", tie_id, self._ties)])
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
                    if rules[key[0]].reported(dict(match[0])):
                        resolved.append(store.finding(rules[key[0]], match))
            store.remove_tie(tie)
            a, r = self._rerun(i, affected)
            appeared += a
            resolved += r
        del self._ties[tie_id]
        return Delta(tuple(sorted_findings(appeared)), tuple(sorted_findings(resolved)))

    def _record(self, i: int, key: AnchorKey, match: Match) -> bool:
        """Keep a match; False when it was known already."""
        bucket = self._results[i].setdefault(key, set())
        if match in bucket:
            return False
        bucket.add(match)
        for tid in match[1]:
            self._by_tie[i].setdefault(tid, set()).add((key, match))
        return True

    def _forget(self, i: int, key: AnchorKey, match: Match) -> None:
        bucket = self._results[i][key]
        bucket.discard(match)
        if not bucket:
            del self._results[i][key]
        for tid in match[1]:
            holders = self._by_tie[i][tid]
            holders.discard((key, match))
            if not holders:
                del self._by_tie[i][tid]

    def _check_person(self, person: Person) -> None:
        if not isinstance(person, Person):
            raise InvalidArgument(f"add_person takes a Person, got {type(person).__name__}")
        problems = _Problems(person.id)
        if problems.text(person, "id") and person.id in self._people:
            problems.add("duplicate-id", "id", f"person {person.id!r} already exists")
        roles = person.roles
        if isinstance(roles, str) or not isinstance(roles, tuple | list):
            problems.add(
                "wrong-type", "roles", f"'roles' must be a tuple of strings, got {_kind(roles)}"
            )
        elif not all(isinstance(r, str) for r in roles):
            problems.add("wrong-type", "roles", "'roles' must be a tuple of strings")
        for fld in ("name", "organisation"):
            value = getattr(person, fld)
            if value is not None and not isinstance(value, str):
                problems.add("wrong-type", fld, f"{fld!r} must be a string, got {_kind(value)}")
        problems.attributes(person.attributes)
        problems.raise_any()

    def _check_tie(self, tie: Tie) -> None:
        if not isinstance(tie, Tie):
            raise InvalidArgument(f"add_tie takes a Tie, got {type(tie).__name__}")
        problems = _Problems(tie.id)
        bad = problems.add
        if problems.text(tie, "id") and tie.id in self._ties:
            bad("duplicate-id", "id", f"tie {tie.id!r} already exists")
        if problems.text(tie, "kind") and tie.kind not in self._kinds:
            bad("unknown-kind", "kind", f"unknown tie kind {tie.kind!r}")
        ends = [problems.text(tie, "source"), problems.text(tie, "target")]
        people = Suggester(self._people)  # one bounded budget for both ends
        for fld, pid, ok in (("source", tie.source, ends[0]), ("target", tie.target, ends[1])):
            if ok and pid not in self._people:
                bad("unknown-person", fld, f"no person {pid!r}{_hint(pid, people, self._people)}")
        if all(ends) and tie.source == tie.target:
            bad("self-tie", "target", "a tie joins a person to themselves")
        dates = [problems.date(tie, "start"), problems.date(tie, "end")]
        if all(dates) and tie.start and tie.end and tie.end < tie.start:
            bad("end-before-start", "end", "end is before start")
        problems.attributes(tie.attributes)
        problems.raise_any()

    def _affected(self, store: Store, tie: Tie, rules: Iterable[CompiledRule]) -> set[AnchorKey]:
        keys: set[AnchorKey] = set()
        for rule in rules:
            if not any(tie.kind in c.kinds for c in rule.clauses):
                continue
            near = store.index.distances((tie.source, tie.target), rule.walk_kinds, rule.radius)
            keys.update((rule.name, p) for p in near)
        return keys

    def _rerun(self, i: int, keys: set[AnchorKey]) -> tuple[list[Finding], list[Finding]]:
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
                if rule.reported(dict(m[0])):
                    resolved.append(store.finding(rule, m))
            for m in new - old:
                self._record(i, key, m)
                if rule.reported(dict(m[0])):
                    appeared.append(store.finding(rule, m))
        return appeared, resolved


def _kind(value: Any) -> str:
    return type(value).__name__


def _hint(name: str, suggester: Suggester, known: Collection[str]) -> str:
    """``suggester``'s "did you mean" for ``name``, or nothing when the monitor holds so
    many ids that comparing ``name`` with them all, were they as long, would exceed the
    suggestion budget: a suggester then suggests nothing, after reading every id's length
    (a second or more at a million ids, under the monitor's lock)."""
    if len(known) * 2 * len(name) > SUGGEST_BUDGET:
        return ""
    return suggester.hint(name)


def _unknown(code: ProblemCode, what: str, key: Any, known: Collection[str]) -> Problem:
    """The problem of an id the monitor does not hold, with the close ids it does hold
    (ids only: a person's name is never shown)."""
    if isinstance(key, str):
        message = f"no {what} {key!r}{_hint(key, Suggester(known), known)}"
    else:
        message = f"a {what} id must be a string, got {_kind(key)}"
    return Problem(
        file="<monitor>",
        code=code,
        record=key if isinstance(key, str) else None,
        field="id",
        message=message,
    )


class _Problems:
    """The problems of one person or tie given to a monitor, each naming its field."""

    def __init__(self, record: Any) -> None:
        self.record = record if isinstance(record, str) else None
        self.found: list[Problem] = []

    def add(self, code: ProblemCode, fld: str, message: str) -> None:
        self.found.append(
            Problem(file="<monitor>", code=code, record=self.record, field=fld, message=message)
        )

    def text(self, obj: Any, fld: str) -> bool:
        """Whether field ``fld`` of ``obj`` is a non-blank string (a problem if not)."""
        value = getattr(obj, fld)
        if not isinstance(value, str):
            self.add("wrong-type", fld, f"{fld!r} must be a string, got {_kind(value)}")
            return False
        if not value.strip():
            self.add("empty-field", fld, f"{fld!r} is empty")
            return False
        return True

    def date(self, obj: Any, fld: str) -> bool:
        """Whether field ``fld`` of ``obj`` is a date or None (a problem if not)."""
        value = getattr(obj, fld)
        if value is None or (isinstance(value, date) and not isinstance(value, datetime)):
            return True
        hint = " (parse text with datetime.date.fromisoformat)" if isinstance(value, str) else ""
        self.add("wrong-type", fld, f"{fld!r} must be a datetime.date, got {_kind(value)}{hint}")
        return False

    def attributes(self, value: Any) -> None:
        if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
            self.add(
                "wrong-type",
                "attributes",
                f"'attributes' must be a mapping with string keys, got {_kind(value)}",
            )

    def raise_any(self) -> None:
        if self.found:
            raise RegistryError(self.found)
