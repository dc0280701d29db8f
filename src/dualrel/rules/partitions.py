"""Evaluation split into partitions by anchor, to run anywhere (a Dask worker, say).

What :func:`~dualrel.rules.evaluate` does in one process, cut at its seams so that the
middle can run elsewhere (``docs/scale.md``, "100 million ties on Dask or Ray"):

1. :func:`partition` (where the registry is): the store of the ties the rules can use
   (the semi-join pass), the (rule, anchor) candidates, the anchors dealt into ``parts``
   partitions by a hash of their id, and for each partition every tie a match owned by
   one of its anchors can read, and the people those ties join: a :class:`Partition`,
   plain data that pickles.
2. :func:`evaluate_partition` (anywhere): a store of just those people and ties, and the
   engine's sessions over the partition's anchors, exactly the code ``evaluate`` runs;
   the matches each anchor owns come back.
3. :meth:`Partitioned.report` (where the registry is): the matches of every partition
   (an anchor is in one partition only: nothing to de-duplicate) made into findings,
   with remediation routed, sorted as ``evaluate`` sorts them.

The findings are the same as :func:`~dualrel.rules.evaluate`'s, whatever the number of
partitions.  Rules that read practice records or group matches (``per``, ``count``,
``share``) need the records or groups of the whole registry: :func:`unpartitionable`
names them, and :func:`partition` refuses them, as :class:`~dualrel.rules.Monitor` does.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from dualrel._internal.gc import gc_paused
from dualrel.errors import InvalidArgument
from dualrel.findings import Report, RulesetRef
from dualrel.graph.model import Person, Registry, Tie
from dualrel.rules._build import build_store
from dualrel.rules._durable import Engine
from dualrel.rules._match import AnchorKey, Match
from dualrel.rules._sessions import Store, sorted_findings
from dualrel.rules.compose import merged_findings
from dualrel.rules.engine import _evaluation_date
from dualrel.rules.plan import CompiledRuleset

__all__ = [
    "Partition",
    "Partitioned",
    "evaluate_partition",
    "partition",
    "unpartitionable",
]

Results = dict[AnchorKey, set[Match]]


def unpartitionable(compiled: Iterable[CompiledRuleset]) -> list[str]:
    """``ruleset/rule`` of each rule that reads practice records or groups matches
    (``per``, ``count``, ``share``): what neither a partition nor a ``Monitor`` sees whole."""
    return [
        f"{c.ruleset.id}/{r.rule.id}"
        for c in compiled
        for r in c.rules
        if r.records or r.per is not None
    ]


@dataclass(frozen=True, slots=True)
class Partition:
    """What one partition's evaluation reads: its (rule, anchor) keys, the ties a match
    owned by one of its anchors can read, the people those ties join (and the anchors),
    and the chains of the derived ties among them (path clauses)."""

    keys: tuple[AnchorKey, ...]
    people: tuple[Person, ...]
    ties: tuple[Tie, ...]
    chains: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Partitioned:
    """The partitions of one compiled ruleset over a registry, and the store (kept where
    the registry is) that makes their matches into findings."""

    compiled: CompiledRuleset
    as_of: date
    parts: tuple[Partition, ...]
    store: Store

    def report(self, results: Iterable[Mapping[AnchorKey, set[Match]]]) -> Report:
        """The report of the partitions' matches, as :func:`~dualrel.rules.evaluate`
        gives it for this ruleset."""
        merged: Results = {}
        for part in results:
            merged.update(part)
        c = self.compiled
        findings = self.store.findings(merged)
        return Report(
            as_of=self.as_of,
            rulesets=(RulesetRef(c.ruleset.id, c.ruleset.version),),
            findings=sorted_findings(merged_findings(findings, [c.ruleset])),
        )


def _part_of(person: str, parts: int) -> int:
    """A stable hash (the same in every process, unlike ``hash`` of a string)."""
    return zlib.crc32(person.encode()) % parts


def partition(
    registry: Registry, compiled: CompiledRuleset, as_of: date | None, parts: int
) -> Partitioned:
    """Cut the evaluation of ``compiled`` over ``registry`` as of ``as_of`` (as
    :func:`~dualrel.rules.evaluate` takes it: None is the registry's date, else today)
    into ``parts`` partitions by anchor.  Raises ``InvalidArgument`` naming the rules a
    partition cannot evaluate (:func:`unpartitionable`)."""
    refused = unpartitionable([compiled])
    if refused:
        raise InvalidArgument(
            "a partitioned check evaluates ties anchor by anchor, and these rules read "
            f"practice records or group matches: {', '.join(refused)}. Check them on one "
            "machine (dualrel check without --dask), or disable them in a ruleset that "
            "extends this one (overrides: {rule-id: {enabled: false}})."
        )
    if parts < 1:
        raise InvalidArgument(f"parts={parts!r} must be at least 1")
    when = _evaluation_date(registry, as_of)
    store = build_store(compiled, registry, when, prune=True)
    keys = store.all_candidates()
    rules = {r.name: r for r in compiled.rules}
    local = {
        r.name: frozenset(k for c in r.clauses for k in c.kinds)
        for r in compiled.rules
        if r.radius == 0
    }
    adjacency, index = store.index.adjacency, store.index
    grouped: list[list[AnchorKey]] = [[] for _ in range(parts)]
    for key in sorted(keys, key=lambda k: (store.number[k[1]], k[0])):
        grouped[_part_of(key[1], parts)].append(key)
    people = {p.id: p for p in registry.people}
    out = []
    for group in grouped:
        tie_ids: set[str] = set()
        for name, person in group:
            kinds = local.get(name)
            if kinds is not None:
                tie_ids.update(t.id for t in adjacency.get(person, ()) if t.kind in kinds)
            else:
                rule = rules[name]
                tie_ids |= index.neighbourhood(person, rule.walk_kinds, rule.radius, rule.clauses)
        ties = [index.ties[tid] for tid in sorted(tie_ids, key=store.tie_number.__getitem__)]
        joined = {person for _, person in group}
        joined.update(p for t in ties for p in (t.source, t.target))
        out.append(
            Partition(
                keys=tuple(group),
                people=tuple(people[p] for p in sorted(joined, key=store.number.__getitem__)),
                ties=tuple(ties),
                chains={t.id: store.chains[t.id] for t in ties if t.id in store.chains},
            )
        )
    return Partitioned(compiled, when, tuple(out), store)


def evaluate_partition(
    compiled: CompiledRuleset, as_of: date, part: Partition
) -> dict[AnchorKey, set[Match]]:
    """The matches each anchor of ``part`` owns: a store of its people and ties, and the
    engine's sessions over its keys (:meth:`Store.evaluate`, as in one process)."""
    # as in ``evaluate``: the collector would only scan the partition again and again
    with gc_paused():
        return _evaluate(compiled, as_of, part)


def _evaluate(compiled: CompiledRuleset, as_of: date, part: Partition) -> Results:
    store = Store(compiled, as_of)
    for person in part.people:
        store.add_person(person)
    for tie in part.ties:
        store.add_tie(tie)
    store.chains.update(part.chains)
    engine = Engine(store.definition(), compiled.labels)
    try:
        return store.evaluate(engine, part.keys)
    finally:
        engine.close()
