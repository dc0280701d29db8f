"""The C scan's note of nulls and attribute keys against the records it was given.

``_jscan.lines`` (a JSON Lines block) and ``_jscan.records`` (a JSON document's array)
tell the columnar readers which records give null for which field, since pyarrow reads
null as absent: a bit a field of ``NULLABLE`` given null at the record's top level, bit 7
for a null anywhere else; and the keys of every ``attributes`` object (the schema).  Here
both are compared with what ``json`` makes of the same text.
"""

from __future__ import annotations

import json
from array import array
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dualrel.graph import CORE_ROLES, CORE_TIE_KINDS, _jscan, _jsonl_columns
from dualrel.graph._jsonl_columns import NULLABLE
from dualrel.graph.load import load_registry_with_warnings

#: texts without the escapes the scans refuse, with what looks like JSON inside
TEXTS = st.lists(st.sampled_from([*"ab é:{}[],", "null", "nul"]), max_size=6).map("".join)
NAMES = st.sampled_from([*(f.decode() for f in NULLABLE), "type", "kind", "x", "nulls", "null"])
VALUES = st.recursive(
    st.none() | TEXTS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(NAMES | TEXTS, inner, max_size=3),
    max_leaves=6,
)
RECORDS = st.lists(st.dictionaries(NAMES, VALUES, max_size=6), min_size=1, max_size=6)
#: what the line between keys and values looks like
SEPARATORS = st.sampled_from([(", ", ": "), (",", ":"), (" , ", " : "), (",\t", "\t:\t")])


def _has_null(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, list):
        return any(_has_null(v) for v in value)
    if isinstance(value, dict):
        return any(_has_null(v) for v in value.values())
    return False


def _expected(records: list[dict[str, Any]]) -> tuple[bytes, set[bytes], int]:
    """Each record's mask, the attribute keys, the masks or-ed."""
    masks = []
    for record in records:
        mask = 0
        for key, value in record.items():
            if value is None:
                f = key.encode()
                mask |= 1 << NULLABLE.index(f) if f in NULLABLE else 0x80
            elif _has_null(value):
                mask |= 0x80
        masks.append(mask)
    keys = {
        k.encode()
        for r in records
        if isinstance(r.get("attributes"), dict)
        for k in r["attributes"]
    }
    any_ = 0
    for m in masks:
        any_ |= m
    return bytes(masks), keys, any_


@settings(max_examples=300, deadline=None)
@given(records=RECORDS, separators=SEPARATORS, crlf=st.booleans(), last_break=st.booleans())
def test_lines_notes_the_nulls_and_keys_json_reads(
    records: list[dict[str, Any]], separators: tuple[str, str], crlf: bool, last_break: bool
) -> None:
    lines = [json.dumps(r, ensure_ascii=False, separators=separators) for r in records]
    text = ("\r\n" if crlf else "\n").join(lines) + ("\n" if last_break else "")
    rows, masks, keys, any_, starts = _jscan.lines(text.encode(), NULLABLE, 5)
    assert rows == len(records)
    ends = [len(line.encode()) + (2 if crlf else 1) for line in lines[:-1]]
    assert array("q", starts).tolist() == [5 + sum(ends[:i]) for i in range(len(lines))]
    assert (masks, keys, any_) == _expected(records)


@settings(max_examples=300, deadline=None)
@given(
    records=RECORDS,
    indent=st.sampled_from([None, 1, 2]),
    ascii_only=st.booleans(),
    cut=st.integers(0, 1 << 12),
)
def test_records_notes_the_nulls_and_keys_json_reads(
    records: list[dict[str, Any]], indent: int | None, ascii_only: bool, cut: int
) -> None:
    # the array after its "[", laid out as json.dump lays it out, escapes and all
    array = json.dumps(records, indent=indent, ensure_ascii=ascii_only).encode()[1:]
    text, _, _, used, _, state, masks, keys, any_, escaped = _jscan.records(
        array, 1, 0, 0, NULLABLE
    )
    assert (state, used, escaped) == (3, len(array), 0)
    assert [json.loads(line) for line in text.splitlines()] == records
    assert (masks, keys, any_) == _expected(records)
    # cut short: only the records read whole are noted
    part = _jscan.records(array[: cut % (len(array) + 1)], 1, 0, 0, NULLABLE)
    n = len(part[0].splitlines())
    assert part[6] == _expected(records)[0][:n]


@pytest.mark.parametrize(
    "block",
    [
        b'{"a": "x\\"y"}\n',
        b'{"a": 1}\r{"b": 2}\n',
        b'{"a": "x\ry"}\n',
        b'{"a": "x\n"}\n',
        b'{"a": "x',
    ],
)
def test_lines_refuses_what_the_columns_cannot_read_alike(block: bytes) -> None:
    with pytest.raises(ValueError):
        _jscan.lines(block, NULLABLE, 0)


def test_records_says_an_escape_was_kept() -> None:
    escaped = _jscan.records(b'{"a": "say \\"hi\\""}]', 1, 0, 0, NULLABLE)[9]
    plain = _jscan.records(b'{"a": "Jos\\u00e9"}]', 1, 0, 0, NULLABLE)[9]
    assert (escaped, plain) == (1, 0)


@pytest.mark.parametrize(
    "array", [b'{"attributes": {: null}}]', b'{"attributes": {"a" "b": 1}}]', b'{: "x"}]']
)
def test_records_leaves_what_is_no_json_to_the_parser(array: bytes) -> None:
    # a colon after no key notes nothing; the parser refuses the line
    text, *_, keys, _, _ = _jscan.records(array, 1, 0, 0, NULLABLE)
    assert text.count(b"\n") == 1 and keys <= {b"a", b"b"}


@pytest.mark.parametrize("stride", [1, 2, 3, 64])
def test_warned_records_are_read_again_from_the_offsets_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stride: int
) -> None:
    # every record warned about (an unknown role), a header line and CRLF line ends
    records = [{"type": "registry", "format": "dualrel.registry/1"}]
    records += [{"type": "person", "id": f"p{i}", "roles": ["coach", f"r{i}"]} for i in range(9)]
    records += [{"type": "tie", "kind": "coaching", "source": "p0", "target": "p1"}]
    path = tmp_path / "reg.jsonl"
    path.write_bytes("".join(json.dumps(r) + "\r\n" for r in records).encode())
    monkeypatch.setattr(_jsonl_columns, "STRIDE", stride)
    monkeypatch.setattr(_jsonl_columns, "BLOCK_SIZE", 100)  # offsets kept across blocks
    read = _jsonl_columns.read_jsonl_columns(
        str(path), kinds=dict(CORE_TIE_KINDS), roles=CORE_ROLES, as_of=None
    )
    assert read is not None
    assert read[1] == load_registry_with_warnings(path)[1]
    assert [w.line for w in read[1] if w.code == "unknown-role"] == list(range(2, 11))
