"""Matches read by fact id from the engine's raw messages (``_durable.match_ids``).

The fast path reads only the ids and relies on the engine returning each fact as the text
that was asserted; these tests hold it to the full parse on real engine messages, including
values made to look like the structure it searches for.
"""

from __future__ import annotations

import json

import pytest
from pydantic_core import from_json

import dualrel.rules._durable as d
from dualrel.rules._durable import Engine, match_ids

_DEFINITION = {
    "r": {
        "all": [
            {"a": {"k": "x"}},
            {"b": {"$and": [{"k": "y"}, {"s": {"a": "s"}}]}},
        ]
    },
    "q": {"all": [{"c": {"k": "z"}}]},
}

# values a fact may carry (from registry text), shaped like the message structure
_TRICKY = [
    "plain",
    ':{"sid":"1","id":"99"',
    '{"sid":"1","id":"5","k":"x"}',
    '"a":{"sid":"',
    "Soci\u00e9t\u00e9 \u2603",
    "back\\slash\\",
    "}}}",
]


def _raw_and_parsed(bodies: list[str]) -> tuple[list[tuple[str, list[tuple[str, str]]]], list]:
    engine = Engine(_DEFINITION)
    try:
        with engine.session(raw=True) as session:
            for body in bodies:
                session.assert_fact(body)
            messages, prefix = session.raw_matches, session.prefix
        fast = [m for message in messages for m in match_ids(message, prefix)]
        full = [
            (name, [(alias, fact["id"]) for alias, fact in facts.items()])
            for message in messages
            for name, facts in from_json(message).items()
        ]
        return fast, full
    finally:
        engine.close()


@pytest.mark.parametrize("value", _TRICKY)
def test_ids_read_from_raw_messages_equal_the_full_parse(value: str) -> None:
    text = json.dumps(value)
    bodies = [
        f'"k":"x","s":1,"v":{text}',
        f'"k":"y","s":1,"v":{text}',
        f'"k":"y","s":2,"v":{text}',
        f'"k":"z","v":{text}',
    ]
    fast, full = _raw_and_parsed(bodies)
    assert fast == full
    assert sorted(name for name, _ in fast) == ["q", "r"]
    # the join matched the right facts: ids are "1".. in assert order
    assert ("r", [("a", "1"), ("b", "2")]) in fast


def test_a_value_that_looks_like_structure_falls_back_to_the_full_parse() -> None:
    prefix = '{"sid":"3","id":"'
    tricky = '{"r":{"a":{"sid":"3","id":"7","v":"x:{y"}}}'
    assert match_ids(tricky, prefix) == [("r", [("a", "7")])]
    two_rules = '{"r":{"a":{"sid":"3","id":"7"}},"q":{"c":{"sid":"3","id":"8"}}}'
    assert match_ids(two_rules, prefix) == [("r", [("a", "7")]), ("q", [("c", "8")])]


def test_ordinary_messages_are_read_without_parsing_the_facts(monkeypatch) -> None:
    def refuse(_text: str) -> None:
        raise AssertionError("parsed in full")

    engine = Engine(_DEFINITION)
    try:
        with engine.session(raw=True) as session:
            for body in ['"k":"x","s":1,"v":"a"', '"k":"y","s":1,"v":"b"', '"k":"z"']:
                session.assert_fact(body)
            messages, prefix = session.raw_matches, session.prefix
        monkeypatch.setattr(d, "from_json", refuse)
        assert [m for message in messages for m in match_ids(message, prefix)] == [
            ("r", [("a", "1"), ("b", "2")]),
            ("q", [("c", "3")]),
        ]
    finally:
        engine.close()
