"""The C loops of ``dualrel._findtext`` give what the Python they stand for gives.

Fingerprints and sort texts against :func:`dualrel.findings.fingerprint` and
``_ordered_text`` (any text: controls, the sort key's low separators, non-ASCII,
characters past U+FFFF and lone surrogates; texts long enough for several sha256 blocks);
the columns of dicts, looked-up ties and frozen objects against the comprehensions they
replace. The JSON text of the findings is held to pydantic's in
``tests/report/test_json_text.py``.
"""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import date
from types import MappingProxyType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dualrel import _findtext
from dualrel._internal.frozen import instances
from dualrel.findings import (
    EvidenceTie,
    RemediationStep,
    _ordered_text,
    fingerprint,
    fingerprints,
)
from dualrel.graph.model import SourceLocation

_text = (
    st.text(
        st.sampled_from(["\x00", "\x01", "\x02", "\x03", "\x1f", "\x7f", "a", "é", "€", "😀"])
        | st.sampled_from(['"', "\\", "\n", "\t", "\b", "\f", "\r", "\ud800", "\udfff"]),
        max_size=6,
    )
    | st.text(max_size=8)
    | st.text(st.sampled_from("ab"), min_size=60, max_size=200)  # several sha256 blocks
)
_ids = st.lists(_text, max_size=3).map(tuple)
_subjects = st.dictionaries(
    st.sampled_from(["coach", "client", "c", ""]) | _text, _text, max_size=4
)
_row = st.tuples(_subjects, _ids, _ids)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(_text, _text), min_size=1, max_size=3), st.lists(_row, max_size=8), st.data()
)
def test_fingerprints_are_each_findings_fingerprint(
    heads: list[tuple[str, str]],
    rows: list[tuple[dict[str, str], tuple[str, ...], tuple[str, ...]]],
    data: st.DataObject,
) -> None:
    rule = [data.draw(st.integers(0, len(heads) - 1)) for _ in rows]
    subjects = [s for s, _, _ in rows]
    evidence = [e for _, e, _ in rows]
    records = [r for _, _, r in rows]
    made = fingerprints(heads, rule, list(subjects), evidence, records)
    assert made == [
        fingerprint(*heads[r], s, e, rec)
        for r, s, e, rec in zip(rule, subjects, evidence, records, strict=True)
    ]


@settings(max_examples=300, deadline=None)
@given(st.lists(_row, max_size=8))
def test_sort_texts_are_each_findings_ordered_text(
    rows: list[tuple[dict[str, str], tuple[str, ...], tuple[str, ...]]],
) -> None:
    subjects = [s for s, _, _ in rows]
    evidence = [e for _, e, _ in rows]
    records = [r for _, _, r in rows]
    assert _findtext.ordered_texts(list(subjects), evidence, records) == [
        _ordered_text(*row) for row in rows
    ]


def test_any_mapping_of_text_and_many_subjects_are_read() -> None:
    many = {f"v{i:02d}": f"p{40 - i}" for i in range(40)}  # more than the 16 kept in place
    for subjects in (MappingProxyType({"coach": "c1", "client": "k1"}), many):
        assert fingerprints([("rs", "r")], [0], [subjects], [("t1",)], [()]) == [
            fingerprint("rs", "r", subjects, ("t1",))
        ]
        assert _findtext.ordered_texts([subjects], [()], [()]) == [_ordered_text(subjects, (), ())]


def test_the_sha256_is_hashlibs() -> None:
    # the fingerprint of a text is its sha256: lengths around each block's edge
    for n in (0, 1, 30, 55, 56, 63, 64, 65, 119, 120, 128, 300):
        rule = "x" * n
        text = f'["rs","{rule}",[],[]]'.encode()
        assert fingerprint("rs", rule, {}, ()) == hashlib.sha256(text).hexdigest()[:32]


def test_what_is_not_text_is_refused() -> None:
    with pytest.raises(TypeError):
        fingerprints([("rs", "r")], [0], [{"coach": 1}], [()], [()])  # type: ignore[dict-item]
    with pytest.raises(TypeError):
        _findtext.ordered_texts([{}], [(1,)], [()])  # type: ignore[list-item]
    with pytest.raises(IndexError):
        fingerprints([("rs", "r")], [1], [{}], [()], [()])


@settings(deadline=None)
@given(st.lists(st.lists(st.tuples(_text, _text), max_size=3) | st.just([["a", "b"], ("a", "c")])))
def test_dicts_are_dict_of_each(pairs: list[list[tuple[str, str]]]) -> None:
    rows = [tuple(p) if i % 2 else p for i, p in enumerate(pairs)]  # tuples, and lists
    assert _findtext.dicts(rows) == [dict(p) for p in rows]


@settings(deadline=None)
@given(st.dictionaries(_text, st.integers(), max_size=5), st.lists(_ids, max_size=5))
def test_looked_up_keeps_the_keys_there_are(
    mapping: dict[str, int], keys: list[tuple[str, ...]]
) -> None:
    keys = [*keys, tuple(mapping)]
    assert _findtext.looked_up(mapping, keys) == [
        tuple(mapping[k] for k in ids if k in mapping) for ids in keys
    ]


_dates = st.none() | st.dates()
_ties = st.builds(
    EvidenceTie,
    _text,
    _text,
    _text,
    _text,
    st.booleans(),
    _dates,
    _dates,
    st.none() | _text,
    st.none() | st.integers(1, 10**7),
    st.none() | _text,
)


@settings(deadline=None)
@given(st.lists(_ties, max_size=5))
def test_frozen_instances_are_the_objects_init_makes(ties: list[EvidenceTie]) -> None:
    names = [f.name for f in dataclasses.fields(EvidenceTie)]
    made = instances(EvidenceTie, [[getattr(t, n) for t in ties] for n in names])
    assert made == ties
    assert [repr(t) for t in made] == [repr(t) for t in ties]
    assert all(type(t) is EvidenceTie for t in made)
    if made:
        with pytest.raises(dataclasses.FrozenInstanceError):
            made[0].id = "other"  # type: ignore[misc]
        assert hash(made[0]) == hash(ties[0])


def test_frozen_instances_need_every_field_and_a_frozen_dataclass() -> None:
    step = RemediationStep("Pause", 7, date(2026, 1, 8), "coach", "c1")
    columns = [[getattr(step, f.name)] for f in dataclasses.fields(RemediationStep)]
    assert instances(RemediationStep, columns) == [step]
    with pytest.raises(ValueError):
        instances(SourceLocation, [["a.csv"]])

    @dataclasses.dataclass(slots=True)
    class Plain:
        x: int

    with pytest.raises(TypeError):
        instances(Plain, [[1]])


@settings(max_examples=200, deadline=None)
@given(
    st.lists(_row, max_size=10),
    st.lists(st.integers(0, 0x10FFFF), min_size=1, max_size=4),
    st.data(),
)
def test_placed_sort_texts_order_as_place_then_text(
    rows: list[tuple[dict[str, str], tuple[str, ...], tuple[str, ...]]],
    places: list[int],
    data: st.DataObject,
) -> None:
    rule = [data.draw(st.integers(0, len(places) - 1)) for _ in rows]
    texts = _findtext.ordered_texts(
        [s for s, _, _ in rows], [e for _, e, _ in rows], [r for _, _, r in rows], rule, places
    )
    keys = [(places[r], _ordered_text(*row)) for r, row in zip(rule, rows, strict=True)]
    n = len(rows)
    assert sorted(range(n), key=texts.__getitem__) == sorted(range(n), key=keys.__getitem__)


@settings(deadline=None)
@given(st.lists(_ties, max_size=5))
def test_attributes_are_each_objects_attributes(ties: list[EvidenceTie]) -> None:
    names = ("id", "kind", "start", "line")
    assert _findtext.attributes(ties, names) == tuple([getattr(t, n) for t in ties] for n in names)
    with pytest.raises(AttributeError):
        _findtext.attributes([*ties, object()], names)
