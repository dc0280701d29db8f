"""The one safe YAML parser: each limit breaks with its code and a line; lines by pointer."""

from __future__ import annotations

import time
from datetime import date

import pytest
import yaml

from dualrel._internal import safeyaml
from dualrel._internal.safeyaml import YamlLimitError, loads

BOMB = "a: &a [x,x,x,x,x,x,x,x,x,x]\n" + "".join(
    f"{c}: &{c} [{', '.join(['*' + p] * 10)}]\n"
    for p, c in zip("abcdefgh", "bcdefghi", strict=True)
)


def limit(text: str, **limits: int | None) -> tuple[str, int | None]:
    with pytest.raises(YamlLimitError) as info:
        loads(text, **limits)
    return info.value.code, info.value.line


def test_each_limit_has_a_code_and_a_line() -> None:
    assert limit("x: é\n", max_bytes=5) == ("too-large", None)  # bytes, not characters
    loads("x: é\n", max_bytes=6)
    assert limit("a: 1\nb: " + "[" * 4 + "]" * 4 + "\n", max_depth=3) == ("too-deep", 2)
    assert limit("a: &r 1\nb: *r\nc: *r\n", max_aliases=1) == ("too-many-aliases", 3)
    twice = "a: &a [1, 2, 3]\nb: [*a, *a]\n"  # 8 nodes of its own, 16 expanded
    assert limit(twice, max_alias_expansion=0) == ("alias-expansion", 2)
    assert limit(twice, max_alias_expansion=7) == ("alias-expansion", 1)
    loads(twice, max_alias_expansion=8)
    assert limit("a: [1, 2, 3]\n", max_nodes=4) == ("too-many-nodes", 1)


def test_no_limit_when_none() -> None:
    doc = loads("a: &a [1, 2, 3]\nb: [*a, *a]\n", max_alias_expansion=None, max_aliases=None)
    assert doc.data == {"a": [1, 2, 3], "b": [[1, 2, 3], [1, 2, 3]]}


def test_alias_bomb_fails_fast() -> None:
    t0 = time.perf_counter()
    code, line = limit(BOMB)
    assert code == "alias-expansion" and line is not None and 2 <= line <= 9
    assert time.perf_counter() - t0 < 2.0


def test_depth_through_aliases() -> None:
    nest = "[" * 40 + "]" * 40
    text = f"a: &a {nest}\nb: {'[' * 30}*a{']' * 30}\n"
    assert limit(text) == ("too-deep", 1)


def test_an_alias_inside_its_own_anchor() -> None:
    assert limit("x: &a [1, *a]\n") == ("alias-expansion", 1)


def test_tags() -> None:
    for text in ("x: !!set {a}\n", "x: !!omap [a: 1]\n", "x: !!python/tuple [1]\n", "x: !a 1\n"):
        with pytest.raises(yaml.constructor.ConstructorError):
            loads(text)
    assert loads("x: !!str 1\ny: !!binary aGk=\n").data == {"x": "1", "y": b"hi"}


def test_merge_keys_and_lines() -> None:
    doc = loads("d: &d {a: 1, b: 2}\nx:\n  <<: *d\n  b: 3\n")
    assert doc.data["x"] == {"a": 1, "b": 3}
    assert doc.lines["/x/a"] == 1 and doc.lines["/x/b"] == 4


def test_pointer_lines() -> None:
    doc = loads("a/b:\n  - k~: 1\n    2024-01-01: x\nlist: [z]\n")
    assert doc.lines == {
        "": 1,
        "/a~1b": 1,
        "/a~1b/0": 2,
        "/a~1b/0/k~0": 2,
        "/a~1b/0/2024-01-01": 3,
        "/list": 4,
        "/list/0": 4,
    }
    assert safeyaml.escape("a/b~c") == "a~1b~0c"


def test_non_scalar_keys_are_refused() -> None:
    with pytest.raises(yaml.constructor.ConstructorError, match="must be a scalar"):
        loads("? [a]\n: 1\n")


def test_a_timestamp_that_is_no_date_stays_its_text() -> None:
    # the field's own validation then refuses it, located, instead of a ValueError here
    assert loads("a: 2026-02-30\nb: 2026-13-01\nc: 2026-02-28\n").data == {
        "a": "2026-02-30",
        "b": "2026-13-01",
        "c": date(2026, 2, 28),
    }
