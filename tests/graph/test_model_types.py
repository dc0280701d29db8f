"""Person and Tie check their fields' types when built in Python; the loaders do not ask
them again (their records are checked, located, field by field)."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

import dualrel
from dualrel.errors import InvalidArgument
from dualrel.graph import load_registry
from dualrel.graph.dump import dump_registry
from dualrel.graph.model import Person, Tie


class Day(date):
    """A date subclass that is not a datetime: a date all the same."""


GOOD_TIE: dict[str, Any] = {
    "id": "t1",
    "kind": "coaching",
    "source": "co1",
    "target": "cl1",
    "start": date(2025, 1, 1),
    "end": None,
    "attributes": {"agreement_signed": "2025-01-01"},
}


@pytest.mark.parametrize(
    ("field", "value", "expected", "given"),
    [
        ("id", 7, "a string", "int"),
        ("kind", None, "a string", "NoneType"),
        ("source", ["co1"], "a string", "list"),
        ("target", b"cl1", "a string", "bytes"),
        ("start", "2025-01-01", "a datetime.date or None", "str"),
        ("end", datetime(2025, 1, 1, 12), "a datetime.date or None", "datetime"),
        ("attributes", None, "a mapping with string keys", "NoneType"),
        ("attributes", {1: "x"}, "a mapping with string keys", "dict"),
    ],
)
def test_a_tie_of_a_wrong_type_names_the_field_the_type_and_what_was_given(
    field: str, value: Any, expected: str, given: str
) -> None:
    with pytest.raises(InvalidArgument) as info:
        Tie(**{**GOOD_TIE, field: value})
    message = str(info.value)
    assert f"{field} must be {expected}, got {given}" in message
    assert isinstance(info.value, TypeError)  # InvalidArgument is a TypeError too
    if field != "id":
        assert message.startswith("Tie 't1': ")


def test_a_date_as_text_says_how_to_parse_it_and_every_wrong_field_is_named() -> None:
    with pytest.raises(InvalidArgument) as info:
        Tie("t1", "coaching", "co1", "cl1", start="2025-01-01", end="2025-02-01")  # type: ignore[arg-type]
    message = str(info.value)
    assert "start must be" in message and "end must be" in message
    assert "datetime.date.fromisoformat" in message
    with pytest.raises(InvalidArgument, match="start must be"):
        dataclasses.replace(Tie(**GOOD_TIE), start="2025-01-01")


def test_right_types_pass_a_date_subclass_included() -> None:
    t = Tie(**{**GOOD_TIE, "start": Day(2025, 1, 1), "end": date(2025, 2, 1)})
    assert t.start == date(2025, 1, 1)
    assert Tie("t2", "romance", "a", "b").attributes == {}
    assert Person("p1", ("coach", "mentor"), "Name", None, {"k": 1}).roles == ("coach", "mentor")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"roles": "coach"}, "roles must be a tuple of strings, got str"),
        ({"roles": ["coach"]}, "roles must be a tuple of strings, got list"),
        ({"roles": ("coach", 3)}, "roles must be a tuple of strings, got tuple"),
        ({"id": None}, "id must be a string, got NoneType"),
        ({"organisation": 12}, "organisation must be a string or None, got int"),
        ({"attributes": []}, "attributes must be a mapping with string keys, got list"),
    ],
)
def test_a_person_of_a_wrong_type_names_the_field(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        Person(**{"id": "p1", **fields})


def test_the_message_never_shows_the_value() -> None:
    # a name may be any text: the message gives its type, not what it says
    with pytest.raises(InvalidArgument) as info:
        Person("p1", name=b"Ada Secret Example")  # type: ignore[arg-type]
    assert "Secret" not in str(info.value)
    assert "name must be a string or None, got bytes" in str(info.value)


def test_loaders_do_not_ask_the_type_check_again(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # every format: JSON here, and the CSV folder written from it (row and column paths)
    registry = load_registry(dualrel.example_registry())
    dump_registry(registry, tmp_path / "csv", "csv")

    def refuse(self: object) -> None:
        raise AssertionError(f"{type(self).__name__}.__post_init__ called by a loader")

    monkeypatch.setattr(Tie, "__post_init__", refuse)
    monkeypatch.setattr(Person, "__post_init__", refuse)
    for path in (dualrel.example_registry(), tmp_path / "csv"):
        again = load_registry(path)
        assert again.ties == registry.ties and again.people == registry.people
