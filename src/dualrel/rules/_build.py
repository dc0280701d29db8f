"""The store of a registry for one compiled ruleset (private): which people, ties and
records a :class:`~dualrel.rules._sessions.Store` is given, for a batch check (the ties
some rule can use) or a ``Monitor`` (every admitted tie)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from datetime import date

from dualrel.graph.columns import SectionColumns
from dualrel.graph.index import OVERSIGHT_KINDS, TieIndex
from dualrel.graph.model import Registry, Tie
from dualrel.rules._paths import derive
from dualrel.rules._prune import needed_ties
from dualrel.rules._sessions import Store
from dualrel.rules.plan import CompiledRuleset

__all__ = ["build_store"]


def build_store(
    compiled: CompiledRuleset,
    registry: Registry,
    as_of: date,
    *,
    prune: bool = False,
    kept: Iterable[Tie] | None = None,
    record_columns: Mapping[str, SectionColumns] | None = None,
) -> Store:
    """The store of ``registry`` for ``compiled``.

    With ``prune`` (batch evaluation) it holds only the ties some rule can use (see
    :mod:`dualrel.rules._prune`) and only the people those ties join; a ``Monitor``
    needs every admitted tie, since later ties can make earlier ones matter.  ``kept``
    gives those ties when the pass has already run (on columns, in
    :func:`~dualrel.rules.engine.registry_for`): they are not looked for again.
    ``record_columns``: the reader's columns of the registry's practice records, which
    admission reads instead of the records where they describe them.
    """
    store = Store(compiled, as_of)
    derived: list[Tie] = []
    if compiled.paths:  # chains leave any caseload: derived over the whole registry, first
        by_id: dict[str, tuple[str, ...]] = {p.id: p.roles for p in registry.people}
        derived, store.chains = derive(
            compiled.paths, registry.ties, lambda p: by_id.get(p, ()), as_of
        )
    if not prune:
        for person in registry.people:
            store.add_person(person)
        for tie in registry.ties:
            store.add_tie(tie)
        for tie in derived:
            store.add_tie(tie)
        return store
    index = store.index
    if kept is not None and not compiled.paths:
        usable = {t.id: t for t in kept}
        for tie in registry.ties:
            if tie.kind in OVERSIGHT_KINDS and tie.id not in usable:  # add_tie files the rest
                index.add_oversight(tie)
    else:
        usable = _usable(compiled, registry, derived, as_of, index)
    joined = {p for t in usable.values() for p in (t.source, t.target)}
    if compiled.schema.sections:
        store.add_records(
            registry.practice, _concern_ties(registry, compiled), columns=record_columns
        )
        joined.update(person for person, _, field in store.record_index.records_of if field)
    for person in registry.people:
        if person.id in joined:
            store.add_person(person)
    store.add_ties(usable.values())
    return store


def _usable(
    compiled: CompiledRuleset, registry: Registry, derived: list[Tie], as_of: date, index: TieIndex
) -> dict[str, Tie]:
    """The ties some rule can use (the semi-join pass on objects), by id; the oversight
    ties not among them are filed in the store's index."""
    roles: Callable[[str], Iterable[str]] | None = None
    if any(spec.roles for r in compiled.rules for spec in r.rule.match.people.values()):
        by_id = {p.id: p.roles for p in registry.people}
        roles = by_id.__getitem__
    by_kind: dict[str, list[Tie]] = defaultdict(list)
    for tie in registry.ties:
        by_kind[tie.kind].append(tie)
    for tie in derived:
        by_kind[tie.kind].append(tie)
    kept = needed_ties(compiled, by_kind, as_of, roles)
    for kind in sorted(OVERSIGHT_KINDS):
        for tie in by_kind.get(kind, ()):
            if tie.id not in kept:  # add_tie files the kept ones
                index.add_oversight(tie)
    return kept


def _concern_ties(registry: Registry, compiled: CompiledRuleset) -> dict[str, tuple[str, str]]:
    """The ends of the ties concerns are about (one pass over the ties, when read)."""
    if "concerns" not in compiled.schema.sections:
        return {}
    about = {c.about for c in registry.practice.concerns}
    return {t.id: (t.source, t.target) for t in registry.ties if t.id in about}
