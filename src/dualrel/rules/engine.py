"""Evaluation: registries in, findings out, through durable-rules.

:func:`evaluate` runs each compiled ruleset over a registry: it indexes the ties, people
and practice records the rules can read (:func:`~dualrel.rules._build.build_store`),
partitions them by anchor into small durable-rules sessions (see
:mod:`dualrel.rules._sessions`), in this process or in forked workers, and reports the
findings.  :class:`~dualrel.rules.monitor.Monitor` keeps the findings of a registry as
it changes.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Union

from dualrel._internal.dates import as_of_out_of_range
from dualrel._internal.gc import gc_paused
from dualrel._internal.timing import Stopwatch
from dualrel.errors import InvalidArgument
from dualrel.finding_table import FindingTable
from dualrel.findings import Report, RulesetRef
from dualrel.graph import as_registry
from dualrel.graph.columns import ColumnarRegistry, SectionColumns
from dualrel.graph.model import Person, Registry, Tie
from dualrel.rules._build import build_store
from dualrel.rules._durable import Engine
from dualrel.rules._match import AnchorKey, Match
from dualrel.rules._sessions import Store, sorted_findings
from dualrel.rules.compiler import compile_ruleset
from dualrel.rules.compose import distinct_rules, merged_findings
from dualrel.rules.loader import Ruleset, load_ruleset
from dualrel.rules.numbers import _numeric_reads
from dualrel.rules.plan import CompiledRuleset

__all__ = ["RulesetLike", "evaluate", "prepare", "registry_for"]

RulesetLike = str | Path | Ruleset | CompiledRuleset
if TYPE_CHECKING:
    import networkx as nx

RegistryLike = Union[Registry, "nx.MultiDiGraph[str]"]


def prepare(rulesets: RulesetLike | Sequence[RulesetLike]) -> tuple[CompiledRuleset, ...]:
    """Load (by name or path) and compile rulesets; compiled ones pass through.

    A rule an earlier ruleset already brings in the same form (an inherited rule) is left
    out of the later ones before they compile (see :mod:`dualrel.rules.compose`).

    >>> [c.ruleset.id for c in prepare("coaching-core")]
    ['coaching-core']
    """
    items: Sequence[RulesetLike]
    items = [rulesets] if isinstance(rulesets, str | Path | Ruleset | CompiledRuleset) else rulesets
    loaded: list[Ruleset | CompiledRuleset] = []
    for item in items:
        if isinstance(item, CompiledRuleset | Ruleset):
            loaded.append(item)
        elif isinstance(item, str | Path):
            loaded.append(load_ruleset(item))
        else:
            raise InvalidArgument(
                f"rulesets: expected a name, path, Ruleset or CompiledRuleset, "
                f"got {type(item).__name__}"
            )
    if not loaded:
        raise InvalidArgument("rulesets: give at least one ruleset")
    plain = distinct_rules([x for x in loaded if isinstance(x, Ruleset)])
    kept = iter(plain)
    return tuple(
        x if isinstance(x, CompiledRuleset) else compile_ruleset(next(kept)) for x in loaded
    )


def _evaluation_date(registry: Registry, as_of: date | None) -> date:
    """``as_of``, else the registry's, else today; within the calendar's bounds, so that
    every due date exists (a registry read from a file is checked when it is read)."""
    when = as_of if as_of is not None else registry.as_of
    if when is None:
        return date.today()
    far = as_of_out_of_range(when)
    if far is not None:
        raise InvalidArgument(f"as_of: {far}" if as_of is not None else f"registry as_of: {far}")
    return when


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
    reg = as_registry(registry)
    compiled = prepare(rulesets)
    when = _evaluation_date(reg, as_of)
    tables: list[FindingTable] = []
    watch = Stopwatch(timings)
    # millions of registry objects stay put while evaluation builds and drops many small
    # ones without cycles: the collector would only scan the registry again and again
    with gc_paused():
        for c in compiled:
            kept, columns = (
                (reg.usable_by(c, when), reg.record_columns)
                if isinstance(reg, _Narrowed)
                else (None, None)
            )
            store = build_store(c, reg, when, prune=True, kept=kept, record_columns=columns)
            keys = store.all_candidates()
            watch.lap("index")
            if (
                jobs > 1
                and len(keys) > _PARALLEL_MIN_KEYS
                and len(store.index.ties) > _PARALLEL_MIN_TIES
            ):
                results = _evaluate_in_parallel(store, keys, jobs)
            else:
                results = _evaluate_here(store, keys)
            watch.lap("evaluate")
            tables.append(store.findings(results))
            del store, results  # freeing the matches is part of making the findings
            watch.lap("findings")
        merged = merged_findings(FindingTable.concat(tables), [c.ruleset for c in compiled])
        ordered = sorted_findings(merged)
        watch.lap("findings")  # the report order is part of making the findings
    return Report(
        as_of=when,
        rulesets=tuple(RulesetRef(c.ruleset.id, c.ruleset.version) for c in compiled),
        findings=ordered,
    )


def registry_for(
    registry: Registry | ColumnarRegistry,
    compiled: Sequence[CompiledRuleset],
    *,
    as_of: date | None = None,
) -> Registry:
    """The registry :func:`evaluate` reads to check ``compiled``, for a batch check.

    A :class:`~dualrel.graph.columns.ColumnarRegistry` is narrowed to the ties a batch
    evaluation of these rulesets reads (the semi-join pass of ``docs/scale.md`` run on the
    columns, plus every oversight tie, every tie of a kind a rule reads as a number and
    the ties concerns are about) and, when its people are columns, to the people those
    ties join (every person when a rule reads a person's field as a number: the warnings
    about values that are not numbers count them all), each still located at its line;
    only those become objects, and evaluating the narrowed registry gives the same
    findings.  A ``Registry`` is returned as it is.
    """
    if isinstance(registry, Registry):
        return registry
    import pyarrow.compute as pc  # noqa: PLC0415

    from dualrel.rules._prune_columns import rows_and_needs  # noqa: PLC0415 (pyarrow)

    when = _evaluation_date(registry.registry, as_of)
    found = rows_and_needs(compiled, registry.ties, registry.registry.practice, when)
    if found is None:
        return registry.full()
    rows, needs = found
    reads = _numeric_reads(c.ruleset for c in compiled)
    narrowed = registry.narrowed(rows, every_person=any(o == "person" for o, _, _ in reads))
    # the ties each ruleset can use, as objects of the narrowed registry (whose ties are
    # those at ``rows``, in order): evaluate need not run the pass again on them
    ties, people = narrowed.ties, narrowed.people
    usable = tuple(
        (
            c,
            when,
            ties,
            people,
            tuple([ties[i] for i in pc.index_in(need, value_set=rows).to_pylist()]),
        )
        for c, need in zip(compiled, needs, strict=True)
    )
    return _Narrowed(
        **{f.name: getattr(narrowed, f.name) for f in fields(Registry)},
        usable=usable,
        record_columns=registry.record_columns,
    )


@dataclass(frozen=True, slots=True)
class _Narrowed(Registry):
    """A registry :func:`registry_for` narrowed, with the ties the semi-join pass on its
    columns found each ruleset can use on a date (``build_store`` then skips the pass):
    (ruleset, date, the registry's ties and people then, the ties it can use)."""

    usable: tuple[
        tuple[CompiledRuleset, date, tuple[Tie, ...], tuple[Person, ...], tuple[Tie, ...]], ...
    ] = field(default=(), compare=False, repr=False)
    #: the reader's columns of practice records (each used only for the records it was
    #: read for: ``SectionColumns.of``)
    record_columns: Mapping[str, SectionColumns] = field(
        default_factory=dict, compare=False, repr=False
    )

    def usable_by(self, compiled: CompiledRuleset, when: date) -> tuple[Tie, ...] | None:
        """The ties ``compiled`` can use on ``when``, when the pass on columns found them
        for these very ties and people (``dataclasses.replace`` keeps the field, not the
        registry it was found for)."""
        for c, on, ties, people, usable in self.usable:
            if c is compiled and on == when and ties is self.ties and people is self.people:
                return usable
        return None


#: Below this many (rule, anchor) pairs, starting workers costs more than it saves.
_PARALLEL_MIN_KEYS = 2_000
#: ... or below this many ties reaching the engine (about a second of engine work: forking
#: a process that holds a large registry and collecting its results costs more than that).
_PARALLEL_MIN_TIES = 50_000
_forked_store: Store | None = None


def _evaluate_here(store: Store, keys: Sequence[AnchorKey]) -> dict[AnchorKey, set[Match]]:
    engine = Engine(store.definition(), store.compiled.labels)
    try:
        return store.evaluate(engine, keys)
    finally:
        engine.close()


def _evaluate_forked(keys: Sequence[AnchorKey]) -> dict[AnchorKey, set[Match]]:
    assert _forked_store is not None
    return _evaluate_here(_forked_store, keys)


def _evaluate_in_parallel(
    store: Store, keys: Sequence[AnchorKey], jobs: int
) -> dict[AnchorKey, set[Match]]:
    """Split the anchors between ``jobs`` forked workers; each has its own engine.

    Workers inherit the store by ``fork`` (nothing large is pickled) and send back only
    their matches.  An anchor's keys stay in one worker, so sessions group as they would.
    """
    global _forked_store  # noqa: PLW0603 (inherited by the forked workers, never pickled)
    if "fork" not in multiprocessing.get_all_start_methods():
        return _evaluate_here(store, keys)
    people = sorted({p for _, p in keys}, key=store.number.__getitem__)
    share = {p: i % jobs for i, p in enumerate(people)}
    parts: list[list[AnchorKey]] = [[] for _ in range(jobs)]
    for key in keys:
        parts[share[key[1]]].append(key)
    _forked_store = store
    try:
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            merged: dict[AnchorKey, set[Match]] = {}
            for part in pool.map(_evaluate_forked, parts):
                merged.update(part)
            return merged
    finally:
        _forked_store = None
