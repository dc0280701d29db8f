"""'Did you mean': difflib's suggestions, at a cost bounded per set of known names."""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dualrel._internal import suggest
from dualrel._internal.suggest import SUGGEST_MAX_LENGTH, Suggester, did_you_mean
from dualrel.errors import RegistryError
from dualrel.graph import load_registry_with_warnings


def difflib_hint(name: str, known: list[str]) -> str:
    """The suggestion as it was made before the cost was bounded."""
    close = difflib.get_close_matches(name, sorted(set(known)), n=2, cutoff=0.6)
    return " (did you mean " + " or ".join(repr(c) for c in close) + "?)" if close else ""


_words = st.text(alphabet="abcde-", max_size=12)


@settings(max_examples=400, deadline=None)
@given(st.lists(_words, max_size=12), st.lists(_words, min_size=1, max_size=6))
def test_suggestions_are_difflibs(known: list[str], names: list[str]) -> None:
    shared = Suggester(known)
    for name in names:
        want = difflib_hint(name, known)
        assert did_you_mean(name, known) == want
        assert shared.hint(name) == want  # one suggester for many names: the same


def test_the_suggestions_users_see() -> None:
    assert did_you_mean("romace", ["romance", "business"]) == " (did you mean 'romance'?)"
    people = [f"cl{i:04d}" for i in range(300)] + ["co001", "co002"]
    assert did_you_mean("co0001", people) == difflib_hint("co0001", people) != ""
    assert did_you_mean("x" * SUGGEST_MAX_LENGTH, ["x" * SUGGEST_MAX_LENGTH + "y"]) != ""


class _CountedMatcher(difflib.SequenceMatcher):  # type: ignore[type-arg]
    ratios = 0

    def ratio(self) -> float:
        _CountedMatcher.ratios += 1
        return super().ratio()


@pytest.fixture
def ratios(monkeypatch: pytest.MonkeyPatch) -> type[_CountedMatcher]:
    monkeypatch.setattr(difflib, "SequenceMatcher", _CountedMatcher)
    _CountedMatcher.ratios = 0
    return _CountedMatcher


def write_registry(path: Path, ids: list[str], bad: int) -> Path:
    """People ``ids`` in coaching pairs; the first ``bad`` ties name a source one
    character off."""
    people = [{"id": p, "roles": ["coach" if i % 2 == 0 else "client"]} for i, p in enumerate(ids)]
    ties = [
        {"id": f"t{i}", "kind": "coaching", "source": ids[i], "target": ids[i + 1]}
        for i in range(0, len(ids) - 1, 2)
    ]
    for t in ties[:bad]:
        t["source"] = "Z" + str(t["source"])[1:]
    doc = {"format": "dualrel.registry/1", "as_of": "2026-01-01", "people": people, "ties": ties}
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def unknown_people(path: Path) -> list[str]:
    with pytest.raises(RegistryError) as info:
        load_registry_with_warnings(path)
    return [p.message for p in info.value.problems if p.code == "unknown-person"]


def test_long_ids_are_not_compared(tmp_path: Path, ratios: Any) -> None:
    # the report: 200 ids of 20,000 characters, 50 of them misspelt, took two
    # minutes to validate; the same shape, smaller
    ids = [f"{i:05d}" + "A" * 300 for i in range(40)]
    messages = unknown_people(write_registry(tmp_path / "long.json", ids, bad=10))
    assert len(messages) == 10
    assert not any("did you mean" in m for m in messages)
    assert ratios.ratios == 0


def test_a_registry_spends_a_bounded_budget_on_suggestions(
    tmp_path: Path, ratios: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(suggest, "SUGGEST_BUDGET", 50_000)
    ids = [f"person-{i:05d}" for i in range(600)]
    # each misspelt id costs 600 comparisons of 12 + 12 characters: 3 fit in the budget
    messages = unknown_people(write_registry(tmp_path / "many.json", ids, bad=200))
    compared = ratios.ratios
    assert compared <= 3 * len(ids)  # 120,000 before the budget
    assert len(messages) == 200
    hinted = [m for m in messages if "did you mean" in m]
    assert len(hinted) == 3
    for m in hinted:  # each exactly difflib's
        name = m.split("'")[1]
        assert m.endswith(f"is not a person of the registry{difflib_hint(name, ids)}")


def test_one_unknown_name_named_many_times_is_compared_once() -> None:
    s = Suggester(["romance", "business"])
    first = s.hint("romace")
    spent = s.spent
    assert [s.hint("romace") for _ in range(5)] == [first] * 5
    assert s.spent == spent
