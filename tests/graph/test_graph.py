"""The graph: bulk build equals networkx's own, queries, deterministic components."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date
from pathlib import Path

import networkx as nx
import pytest
from hypothesis import given, settings

from dualrel.errors import InvalidArgument
from dualrel.graph import (
    Person,
    Registry,
    Tie,
    as_registry,
    build_graph,
    components,
    load_registry,
    neighbours,
    registry_from_graph,
    ties_between,
    ties_of,
)

from .strategies import registries

EXAMPLE = Path(__file__).parents[2] / "examples" / "practice.json"


@settings(max_examples=30, deadline=None)
@given(registries())
def test_bulk_build_equals_add_edges_from(reg: Registry) -> None:
    G = build_graph(reg)
    H: nx.MultiDiGraph[str] = nx.MultiDiGraph()
    H.add_nodes_from(
        (
            p.id,
            {
                "roles": p.roles,
                "name": p.name,
                "organisation": p.organisation,
                "attributes": p.attributes,
            },
        )
        for p in reg.people
    )
    H.add_edges_from(
        (
            t.source,
            t.target,
            t.id,
            {"kind": t.kind, "start": t.start, "end": t.end, "attributes": t.attributes},
        )
        for t in reg.ties
    )
    assert list(G.nodes(data=True)) == list(H.nodes(data=True))
    assert list(G.edges(keys=True, data=True)) == list(H.edges(keys=True, data=True))
    assert list(G.in_edges(keys=True)) == list(H.in_edges(keys=True))
    assert G.number_of_edges() == len(reg.ties)


@settings(max_examples=30, deadline=None)
@given(registries())
def test_components_do_not_depend_on_input_order(reg: Registry) -> None:
    rng = random.Random(0)
    people, ties = list(reg.people), list(reg.ties)
    rng.shuffle(people)
    rng.shuffle(ties)
    shuffled = replace(reg, people=tuple(people), ties=tuple(ties))
    expected = sorted(
        (tuple(sorted(c)) for c in nx.weakly_connected_components(build_graph(reg))),
        key=lambda c: (-len(c), c[0]),
    )
    assert components(build_graph(reg)) == expected
    assert components(build_graph(shuffled)) == expected


def test_graph_holds_registry_metadata() -> None:
    reg = load_registry(EXAMPLE)
    G = build_graph(reg)
    assert G.graph["as_of"] == date(2026, 11, 26)
    assert G.graph["kinds"]["romance"] is False
    assert G.graph["locations"][("tie", "t071")].line == reg.locations[("tie", "t071")].line
    assert G.number_of_nodes() == len(reg.people)
    assert registry_from_graph(G) == reg


def test_ties_added_to_the_graph_come_last() -> None:
    reg = Registry((Person("a"), Person("b")), (Tie("t1", "romance", "a", "b"),))
    G = build_graph(reg)
    G.add_edge("b", "a", key="t0", kind="friendship", start=None, end=None, attributes={})
    assert [t.id for t in registry_from_graph(G).ties] == ["t1", "t0"]


def test_as_registry_takes_a_registry_or_its_graph() -> None:
    reg = load_registry(EXAMPLE)
    assert as_registry(reg) is reg
    assert as_registry(build_graph(reg)) == reg
    with pytest.raises(InvalidArgument, match="got dict"):
        as_registry({})  # type: ignore[arg-type]


def test_queries_on_the_example() -> None:
    G = build_graph(load_registry(EXAMPLE))
    on = date(2026, 11, 26)
    between = ties_between(G, "cl0003", "co001", active_on=on)
    assert {t.kind for t in between} == {"coaching", "romance"}
    assert [t.id for t in ties_between(G, "co001", "cl0007", kinds="romance", active_on=on)] == []
    assert [t.id for t in ties_between(G, "co001", "cl0007", kinds=["romance"])] == ["t085"]
    assert neighbours(G, "co001", kinds="family") == ["fm001"]
    assert "co002" in neighbours(G, "su001", kinds="supervision", direction="out")
    assert neighbours(G, "su001", kinds="supervision", direction="in") == []
    active = {
        t.target for t in ties_of(G, "co003", kinds="coaching", active_on=on, direction="out")
    }
    assert "cl0019" not in active and "cl0018" in active


def test_queries_reject_unknown_people() -> None:
    G = build_graph(load_registry(EXAMPLE))
    with pytest.raises(InvalidArgument, match="nobody"):
        ties_between(G, "co001", "nobody")
    with pytest.raises(InvalidArgument, match="direction"):
        list(ties_of(G, "co001", direction="sideways"))  # type: ignore[arg-type]
