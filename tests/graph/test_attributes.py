"""Attributes are read-only, and loaders store each distinct set once.

A million ties repeat a handful of attribute sets; sharing them is only safe because no
one can change a shared set under another record.
"""

from __future__ import annotations

import copy
import json
import pickle
from pathlib import Path
from typing import Any

import pytest

from dualrel._internal.problems import Collector
from dualrel.graph import Person, Tie, _csv, build_graph, load_registry, registry_from_graph
from dualrel.graph._frozen import NO_ATTRIBUTES, FrozenDict
from dualrel.graph.model import CORE_ROLES, CORE_TIE_KINDS

from .helpers import document

PEOPLE = "id,roles,team\nco1,coach,north\ncl1,client,\ncl2,client,\ncl3,client,\n"
TIES = (
    "id,kind,source,target,agreement_signed,relation\n"
    "t1,coaching,co1,cl1,2025-02-20,\n"
    "t2,coaching,co1,cl2,2025-02-20,\n"
    "t3,coaching,co1,cl3,,\n"
    "t4,family,cl1,cl2,,cousin\n"
)


def test_a_frozen_dict_refuses_every_change() -> None:
    d = FrozenDict({"relation": "spouse"})
    changes = [
        lambda: d.__setitem__("relation", "cousin"),
        lambda: d.__delitem__("relation"),
        d.clear,
        lambda: d.pop("relation"),
        d.popitem,
        lambda: d.setdefault("x", 1),
        lambda: d.update(x=1),
    ]
    for change in changes:
        with pytest.raises(TypeError, match="read-only"):
            change()
    with pytest.raises(TypeError, match="read-only"):
        d |= {"x": 1}
    assert d == {"relation": "spouse"}


def test_a_frozen_dict_is_a_dict_to_json_pickle_and_copy() -> None:
    d = FrozenDict({"relation": "spouse", "notes": ["a"]})
    assert isinstance(d, dict)
    assert json.loads(json.dumps(d)) == d
    back = pickle.loads(pickle.dumps(d))
    assert type(back) is FrozenDict and back == d
    deep = copy.deepcopy(d)
    assert deep == d and deep["notes"] is not d["notes"]
    # a copy to change is a plain dict
    mutable = dict(d)
    mutable["relation"] = "cousin"
    assert d["relation"] == "spouse"


def test_records_built_without_attributes_share_the_empty_one() -> None:
    assert Tie("t1", "coaching", "a", "b").attributes is NO_ATTRIBUTES
    assert Person("a").attributes is NO_ATTRIBUTES
    with pytest.raises(TypeError, match="read-only"):
        Tie("t1", "coaching", "a", "b").attributes["x"] = 1  # type: ignore[index]


def _csv_registry(tmp_path: Path, columnar: bool) -> Any:
    d = tmp_path / f"reg-{columnar}"
    d.mkdir()
    (d / "people.csv").write_text(PEOPLE, encoding="utf-8")
    (d / "ties.csv").write_text(TIES, encoding="utf-8")
    return _csv.load_csv_folder(
        str(d), Collector(), kinds=CORE_TIE_KINDS, roles=CORE_ROLES, as_of=None, columnar=columnar
    )


@pytest.mark.parametrize("columnar", [True, False])
def test_csv_ties_with_equal_attributes_share_one_read_only_set(
    tmp_path: Path, columnar: bool
) -> None:
    reg = _csv_registry(tmp_path, columnar)
    t1, t2, t3, t4 = reg.ties
    assert t1.attributes == {"agreement_signed": "2025-02-20"}
    assert t1.attributes is t2.attributes
    assert t3.attributes is NO_ATTRIBUTES
    assert t4.attributes == {"relation": "cousin"}
    with pytest.raises(TypeError, match="read-only"):
        t1.attributes["agreement_signed"] = "2026-01-01"  # type: ignore[index]
    assert t2.attributes == {"agreement_signed": "2025-02-20"}
    co1, cl1 = reg.people[:2]
    assert co1.attributes == {"team": "north"}
    assert cl1.attributes is NO_ATTRIBUTES


@pytest.mark.parametrize("columnar", [True, False])
def test_shared_attributes_survive_the_graph_and_back(tmp_path: Path, columnar: bool) -> None:
    reg = _csv_registry(tmp_path, columnar)
    g = build_graph(reg)
    assert g.edges["co1", "cl1", "t1"]["attributes"] == {"agreement_signed": "2025-02-20"}
    assert registry_from_graph(g).ties == reg.ties


def test_json_records_without_attributes_share_the_empty_one(tmp_path: Path) -> None:
    doc = document(
        [{"id": "co1", "roles": ["coach"]}, {"id": "cl1", "roles": ["client"], "attributes": {}}],
        [
            {"kind": "coaching", "source": "co1", "target": "cl1"},
            {"kind": "business", "source": "co1", "target": "cl1", "attributes": {"x": 1}},
        ],
    )
    path = tmp_path / "r.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    reg = load_registry(path)
    assert all(p.attributes is NO_ATTRIBUTES for p in reg.people)
    assert reg.ties[0].attributes is NO_ATTRIBUTES
    assert reg.ties[1].attributes == {"x": 1}
