"""The semi-join pass on columns keeps exactly the ties the pass on ``Tie`` objects keeps,
and a check of a registry narrowed to them gives the check of the whole registry."""

from __future__ import annotations

import tempfile
from collections import defaultdict
from dataclasses import replace
from datetime import date
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from dualrel import check
from dualrel._internal.problems import Collector
from dualrel.graph import _csv, dump_registry, load_registry, load_registry_with_warnings
from dualrel.graph.columns import ColumnarRegistry, every_person, load_for_rules
from dualrel.graph.model import CORE_ROLES, Person, Registry, Tie
from dualrel.graph.practice import Practice
from dualrel.report import render
from dualrel.rules import evaluate, prepare, shipped_rulesets
from dualrel.rules._build import build_store
from dualrel.rules._prune import needed_ties
from dualrel.rules._prune_columns import needed_rows, rows_to_check
from dualrel.rules._sessions import Store
from dualrel.rules.engine import _Narrowed, registry_for
from dualrel.testing import registries, registries_matching
from dualrel.testing.strategies import plantable

# the shipped rulesets negate only records: language.yaml and people.yaml negate ties
SHIPPED = [
    *sorted(shipped_rulesets()),
    "tests/rules/data/compose.yaml",
    "tests/rules/data/language.yaml",
    "tests/rules/data/people.yaml",
]
COMPILED = {name: prepare(name)[0] for name in SHIPPED}
PLAIN = [name for name in SHIPPED if not COMPILED[name].paths]
RULES = [(name, r.id) for name in PLAIN for r in COMPILED[name].ruleset.rules if plantable(r)]
AS_OF = date(2026, 1, 1)


def _columns(reg: Registry, folder: Path) -> ColumnarRegistry | None:
    """``reg`` written as a CSV folder and read back by columns (None: the columnar
    reader leaves this folder to the row reader, e.g. an id that needs quoting)."""
    dump_registry(reg, folder, format="csv")
    kinds = dict(reg.kinds)
    loaded = _csv.load_csv_columns(
        str(folder), Collector(), kinds=kinds, roles=CORE_ROLES, as_of=reg.as_of, columnar=True
    )
    return loaded if isinstance(loaded, ColumnarRegistry) else None


def _same_ties_kept(name: str, reg: Registry) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        columns = _columns(reg, Path(tmp) / "reg")
    assume(columns is not None)
    assert columns is not None
    _same_ties_kept_of(name, reg, columns)


def _same_ties_kept_of(name: str, reg: Registry, columns: ColumnarRegistry) -> None:
    compiled = COMPILED[name]
    full = columns.full()
    by_kind: dict[str, list[Tie]] = defaultdict(list)
    for t in full.ties:
        by_kind[t.kind].append(t)
    roles = {p.id: p.roles for p in full.people}.__getitem__
    when = reg.as_of or AS_OF
    kept = needed_ties(compiled, by_kind, when, roles)
    rows = needed_rows(compiled, columns.ties, when).to_pylist()
    assert rows == sorted(set(rows))
    assert {full.ties[i].id for i in rows} == set(kept)
    # evaluating the narrowed registry finds what evaluating the whole one finds
    narrowed = registry_for(columns, [compiled], as_of=when)
    assert evaluate(narrowed, compiled).findings == evaluate(full, compiled).findings
    # ... with the ties the pass on columns kept handed to the store, which is the store
    # the pass on objects builds
    assert isinstance(narrowed, _Narrowed)
    usable = narrowed.usable_by(compiled, when)
    assert usable is not None
    assert [t.id for t in usable] == [full.ties[i].id for i in rows]
    assert narrowed.usable_by(compiled, date(1999, 1, 1)) is None
    assert narrowed.usable_by(prepare(name)[0], when) is None  # another object: not trusted
    # a registry made from it with other ties or people is not the one the pass read
    if narrowed.ties:
        assert replace(narrowed, ties=narrowed.ties[1:]).usable_by(compiled, when) is None
    if narrowed.people:
        assert replace(narrowed, people=narrowed.people[1:]).usable_by(compiled, when) is None
    assert replace(narrowed, as_of=date(2020, 1, 1)).usable_by(compiled, when) is usable
    _same_store(
        build_store(compiled, narrowed, when, prune=True, kept=usable),
        build_store(compiled, narrowed, when, prune=True),
    )


def _same_store(given: Store, found: Store) -> None:
    assert given.index.ties.keys() == found.index.ties.keys()
    assert {p: sorted(t.id for t in ts) for p, ts in given.index.adjacency.items() if ts} == {
        p: sorted(t.id for t in ts) for p, ts in found.index.adjacency.items() if ts
    }
    assert {p: sorted(t.id for t in ts) for p, ts in given.index.overseers.items() if ts} == {
        p: sorted(t.id for t in ts) for p, ts in found.index.overseers.items() if ts
    }
    assert given.number == found.number
    assert given.roles == found.roles
    assert given.tie_number.keys() == found.tie_number.keys()


@pytest.mark.parametrize("name", PLAIN)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_columns_keep_the_ties_objects_keep_on_random_registries(name, data):
    compiled = COMPILED[name]
    kinds = sorted(k for k in compiled.schema.kinds if k in compiled.ruleset.kinds)
    extra = {k: d for k, d in compiled.ruleset.kinds.items() if k in kinds}
    reg = data.draw(registries(max_people=8, max_ties=16, kinds=kinds, extra_kinds=extra))
    _same_ties_kept(name, reg)


@pytest.mark.parametrize(("name", "rule_id"), RULES)
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_columns_keep_the_ties_objects_keep_around_a_match(name, rule_id, data):
    reg = data.draw(registries_matching(COMPILED[name].ruleset, rule_id))
    _same_ties_kept(name, reg)


def test_a_ruleset_with_paths_reads_every_tie(tmp_path: Path) -> None:
    with_paths = list(prepare("benchmarks/paths-ruleset.yaml"))
    assert with_paths[0].paths
    reg = load_registry("examples/practice.json")
    columns = _columns(reg, tmp_path / "reg")
    assert columns is not None
    assert rows_to_check(with_paths, columns.ties, columns.registry.practice, AS_OF) is None
    assert registry_for(columns, with_paths).ties == columns.full().ties


def test_narrowed_ties_keep_their_lines_and_the_rest_of_the_registry(tmp_path: Path) -> None:
    reg = load_registry("examples/practice.json")
    columns = _columns(reg, tmp_path / "reg")
    assert columns is not None
    full = columns.full()
    # the whole registry is what load_registry gives
    loaded = load_registry(tmp_path / "reg")
    assert (full.people, full.ties, full.practice) == (loaded.people, loaded.ties, loaded.practice)
    rows = [0, 2, len(full.ties) - 1]
    narrowed = columns.narrowed(pa.array(rows, pa.int64()))
    assert narrowed.ties == tuple(full.ties[i] for i in rows)
    for i in rows:
        t = full.ties[i]
        assert narrowed.locations[("tie", t.id)] == loaded.locations[("tie", t.id)]
        assert narrowed.locations[("tie", t.id)].line == i + 2
    p = full.people[1]
    assert narrowed.locations[("person", p.id)] == loaded.locations[("person", p.id)]
    assert (narrowed.people, narrowed.as_of, narrowed.kinds) == (
        full.people,
        full.as_of,
        full.kinds,
    )


@pytest.mark.parametrize(
    "rulesets",
    [["coaching-core"], ["coaching-practice"], ["icf-2020", "coaching-core"]],
)
def test_a_check_of_columns_is_the_check_of_the_whole_registry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rulesets: list[str]
) -> None:
    reg = load_registry("examples/practice.json")
    folder = tmp_path / "reg"
    assert _columns(reg, folder) is not None
    loaded, _ = load_for_rules(folder)
    assert isinstance(loaded, ColumnarRegistry)
    narrow = check.run_check(folder, rulesets, as_of=AS_OF, warnings=(warned := []))
    monkeypatch.setattr(check, "load_for_rules", load_registry_with_warnings)
    whole = check.run_check(folder, rulesets, as_of=AS_OF, warnings=(warned_whole := []))
    assert narrow == whole
    assert warned == warned_whole
    assert narrow.findings  # the example registry has findings for these rulesets


def test_a_tie_that_vetoes_a_match_is_kept() -> None:
    # language.yaml's negated-supervision: a coach (and mentor) coaching a client, and no
    # active supervision of the coach; the supervision tie must survive the pass, or the
    # narrowed registry would report a match the whole one vetoes
    reg = Registry(
        people=(
            Person("co", ("coach", "mentor")),
            Person("cl", ("client",)),
            Person("sv", ("supervisor",)),
            Person("xx"),
        ),
        ties=(
            Tie("t1", "coaching", "co", "cl", start=date(2025, 1, 1)),
            Tie("t2", "supervision", "sv", "co", start=date(2025, 1, 1)),
            Tie("t3", "supervision", "sv", "xx", start=date(2025, 1, 1)),
        ),
        as_of=AS_OF,
    )
    name = "tests/rules/data/language.yaml"
    assert not [
        f for f in evaluate(reg, COMPILED[name]).findings if f.rule == "negated-supervision"
    ]
    with tempfile.TemporaryDirectory() as tmp:
        columns = _columns(reg, Path(tmp) / "reg")
    assert columns is not None
    _same_ties_kept_of(name, reg, columns)


def _without_records(reg: Registry) -> Registry:
    return replace(reg, practice=Practice())


def test_narrowed_people_are_those_its_ties_join(tmp_path: Path) -> None:
    reg = _without_records(load_registry("examples/practice.json"))
    columns = _columns(reg, tmp_path / "reg")
    assert columns is not None and columns.people is not None  # no records: people as columns
    assert columns.registry.people == ()
    loaded = load_registry(tmp_path / "reg")
    full = columns.full()
    assert (full.people, full.ties) == (loaded.people, loaded.ties)
    assert tuple(every_person(columns)) == loaded.people
    rows = [0, 2, len(full.ties) - 1]
    narrowed = columns.narrowed(pa.array(rows, pa.int64()))
    joined = {e for i in rows for e in (full.ties[i].source, full.ties[i].target)}
    # in file order, each located at its line
    assert narrowed.people == tuple(p for p in full.people if p.id in joined)
    assert len(narrowed.people) < len(full.people)
    for p in narrowed.people:
        assert narrowed.locations[("person", p.id)] == loaded.locations[("person", p.id)]
    every = columns.narrowed(pa.array(rows, pa.int64()), every_person=True)
    assert every.people == full.people


@pytest.mark.parametrize("rulesets", [["coaching-core"], ["tests/rules/data/people.yaml"]])
def test_a_check_of_people_as_columns_is_the_check_of_the_whole_registry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rulesets: list[str]
) -> None:
    reg = _without_records(load_registry("examples/practice.json"))
    folder = tmp_path / "reg"
    assert _columns(reg, folder) is not None
    monkeypatch.setattr(_csv, "COLUMNAR_MIN_BYTES", 0)
    loaded, _ = load_for_rules(folder)
    assert isinstance(loaded, ColumnarRegistry) and loaded.people is not None
    options = {"as_of": AS_OF, "reveal": True}
    narrow = check.run_check(folder, rulesets, **options, warnings=(warned := []))
    monkeypatch.setattr(check, "load_for_rules", load_registry_with_warnings)
    whole = check.run_check(folder, rulesets, **options, warnings=(warned_whole := []))
    assert narrow == whole
    assert warned == warned_whole
    assert narrow.findings


def test_a_baseline_is_held_to_every_person_not_only_those_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the baseline's people are all in the registry, in no tie any more: "the registry
    # changed", not "another registry" (the narrowed registry holds none of them)
    reg = _without_records(load_registry("examples/practice.json"))
    before, after = tmp_path / "before", tmp_path / "after"
    assert _columns(reg, before) is not None
    assert _columns(replace(reg, ties=()), after) is not None
    monkeypatch.setattr(_csv, "COLUMNAR_MIN_BYTES", 0)
    base = tmp_path / "base.json"
    base.write_text(render(check.run_check(before, as_of=AS_OF), "json"), encoding="utf-8")
    loaded, _ = load_for_rules(after)
    assert isinstance(loaded, ColumnarRegistry) and loaded.people is not None
    (w,) = check.run_check(after, as_of=AS_OF, baseline=base).warnings
    assert w.code == "baseline-registry" and "the registry changed since" in w.message


def test_a_rule_reading_a_person_field_as_a_number_gets_every_person(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # xx is in no tie, and their grade is no number: the warning counts every person
    reg = Registry(
        people=(
            Person("co", ("coach",)),
            Person("cl", ("client",)),
            Person("xx", attributes={"grade": "high"}),
        ),
        ties=(Tie("t1", "coaching", "co", "cl", start=date(2025, 1, 1)),),
        as_of=AS_OF,
    )
    folder = tmp_path / "reg"
    assert _columns(reg, folder) is not None
    monkeypatch.setattr(_csv, "COLUMNAR_MIN_BYTES", 0)
    rulesets = ["tests/rules/data/people.yaml"]
    narrow = check.run_check(folder, rulesets, as_of=AS_OF, warnings=(warned := []))
    monkeypatch.setattr(check, "load_for_rules", load_registry_with_warnings)
    whole = check.run_check(folder, rulesets, as_of=AS_OF, warnings=(warned_whole := []))
    assert narrow == whole
    assert warned == warned_whole
    assert any(w.code == "not-a-number" and "person xx" in w.message for w in warned)
