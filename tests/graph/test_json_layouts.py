"""A JSON document in any layout is read by columns, as the document reader reads it.

``_json_columns`` reads a document's ``people`` and ``ties`` arrays through the C scan
``dualrel.graph._jscan`` whatever their layout: a record over several lines
(``indent``), the whole document on one line, compact separators, white space anywhere
JSON allows it, CRLF line ends, a byte order mark, every character beyond ASCII escaped.
On generated valid documents (with the records the document reader warns about) in each
layout, the columns must read the document, and give its registry, where each record was
read (line and JSON pointer) and its warnings (each at its field's line) exactly as the
document reader does.  The scan itself gives the same records however the text is cut
into blocks.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from dualrel.graph import CORE_ROLES, CORE_TIE_KINDS, _jscan, _json_columns, _jsonl_columns
from dualrel.graph._json import scan_document
from dualrel.graph.dump import registry_document

from .strategies import registries
from .test_json_columns import _columnar, _for_rules, _outcome, _plain, _tame

LAYOUTS = ("indent-1", "indent-2", "indent-tab", "one-line", "compact", "scattered")
#: a text in compact JSON (the documents here have no escapes), or anything else
_TOKENS = re.compile(r'"[^"]*"|[^"]+')


def _scattered(draw: st.DrawFn, text: str) -> str:
    """``text`` (compact JSON) with JSON white space drawn after each structural
    character outside a text."""
    spaces = st.sampled_from(["", " ", "\n", "  \n   ", "\t", "\n\n"])
    out: list[str] = []
    for token in _TOKENS.findall(text):
        if token.startswith('"'):
            out.append(token)
            continue
        for ch in token:
            out.append(ch)
            if ch in "{}[],:":
                out.append(draw(spaces))
    return draw(spaces) + "".join(out)


@st.composite
def laid_out(draw: st.DrawFn) -> str:
    """A valid document the columns read (text only, no escape but ``\\uXXXX``, at most
    one attribute a record, a person and a tie at least), some records warned about, in
    a layout."""
    reg = draw(registries(max_people=6, csv_safe=True))
    doc = registry_document(reg)
    people: list[dict[str, Any]] = doc["people"]
    ties: list[dict[str, Any]] = doc["ties"]
    for r in people + ties:
        _tame(r)
        if r.get("attributes"):
            r["attributes"] = dict(list(r["attributes"].items())[:1])
    assume(
        not any(k in _jsonl_columns._TOP for r in people + ties for k in r.get("attributes") or ())
    )
    people.append({"id": "Extra.1", "roles": ["client"]})  # no generated id has "."
    if draw(st.booleans()):  # warned about: an unknown role
        people[0]["roles"] = [*people[0].get("roles", []), "zz"]
    if draw(st.booleans()):  # warned about: a family tie without relation
        ties.append({"kind": "family", "source": people[0]["id"], "target": "Extra.1"})
    if draw(st.booleans()):  # warned about: a coaching tie whose source is no coach
        people.append({"id": "Extra.2", "roles": ["client"]})
        ties.append({"id": "Extra.m", "kind": "coaching", "source": "Extra.2", "target": "Extra.1"})
    if not ties:
        ties.append({"id": "t", "kind": "business", "source": people[0]["id"],
                     "target": "Extra.1"})  # fmt: skip
    if draw(st.booleans()):
        doc["as_of"] = "2026-11-26"
    order = draw(st.permutations(list(doc)))
    doc = {k: doc[k] for k in order}
    layout = draw(st.sampled_from(LAYOUTS))
    # every character beyond ASCII escaped (json.dump's default), or written as it is
    ascii = draw(st.booleans())
    if layout.startswith("indent"):
        indent = {"1": 1, "2": 2, "tab": "\t"}[layout[7:]]
        text = json.dumps(doc, indent=indent, ensure_ascii=ascii)
    elif layout == "one-line":
        text = json.dumps(doc, ensure_ascii=ascii)
    else:
        text = json.dumps(doc, separators=(",", ":"), ensure_ascii=ascii)
        if layout == "scattered":
            text = _scattered(draw, text)
    text += draw(st.sampled_from(["", "\n", "\n\n  "]))
    if draw(st.booleans()):
        text = text.replace("\n", "\r\n")
    if draw(st.booleans()):
        text = "\ufeff" + text
    return text


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=laid_out(), block=st.sampled_from([7, 64, 1 << 20]))
def test_every_layout_is_read_by_columns_as_the_document_reader_reads_it(
    tmp_path_factory: pytest.TempPathFactory, text: str, block: int
) -> None:
    path = tmp_path_factory.mktemp("json") / "reg.json"
    path.write_bytes(text.encode("utf-8"))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_json_columns, "BLOCK_SIZE", block)  # records and line ends cut
        mp.setattr("dualrel.graph._csv.COLUMNAR_MIN_BYTES", 0)
        columnar = _columnar(path)
        for_rules = _for_rules(path)
    expected = _outcome(path)
    assert columnar is not None
    assert columnar == expected
    assert for_rules == expected


def test_warnings_of_records_over_several_lines_are_at_their_fields(tmp_path: Path) -> None:
    path = _plain(tmp_path)
    path.write_text(json.dumps(json.loads(path.read_text()), indent=2), encoding="utf-8")
    read = _json_columns.read_json_columns(
        str(path), kinds=dict(CORE_TIE_KINDS), roles=CORE_ROLES, as_of=None
    )
    assert read is not None
    lines = path.read_text().splitlines()

    def line_of(needle: str, after: int = 0) -> int:
        return next(i for i, t in enumerate(lines, 1) if i > after and needle in t)

    person = line_of('"id": "cl1"') - 1  # its "{"
    family = line_of('"kind": "family"') - 1
    coaching = line_of('"id": "t3"') - 1
    assert [(w.code, w.line, w.pointer) for w in read[1]] == [
        ("unknown-role", line_of('"roles"', person), "/people/1/roles"),
        ("missing-relation", family, "/ties/1/attributes"),  # no such field: the record
        ("role-mismatch", coaching, "/ties/2/source"),
    ]
    location = read[0].full().locations[("tie", "t3")]
    assert (location.line, location.pointer) == (coaching, "/ties/2")
    assert _columnar(path) == _outcome(path)


def test_a_document_written_by_json_dump_s_defaults_is_read_by_columns(tmp_path: Path) -> None:
    # json.dump escapes every character beyond ASCII unless told otherwise
    path = _plain(tmp_path)
    doc = json.loads(path.read_text())
    doc["people"][0]["name"] = "José Ñúñez 😀"
    doc["ties"][0]["attributes"] = {"agreement_signed": "2024-12-30"}
    path.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    assert "\\u00e9" in path.read_text()
    assert _columnar(path) == _outcome(path)
    read = _json_columns.read_json_columns(
        str(path), kinds=dict(CORE_TIE_KINDS), roles=CORE_ROLES, as_of=None
    )
    assert read is not None and read[0].full().people[0].name == "José Ñúñez 😀"


@pytest.mark.parametrize("text", ["\r", "\r ", "\n\r"])
def test_a_lone_carriage_return_is_left_to_the_document_reader(tmp_path: Path, text: str) -> None:
    # the document reader counts it as a line break; the scan does not
    path = _plain(tmp_path)
    path.write_text(path.read_text().replace(",\n", "," + text, 1), encoding="utf-8")
    assert _columnar(path) is None
    assert _for_rules(path) == _outcome(path)


def test_a_one_line_document_is_read_a_block_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # never the whole text at once, even when it is one line: each piece parsed is at
    # most a block and a record
    path = _plain(tmp_path)
    doc = json.loads(path.read_text())
    path.write_text(json.dumps(doc), encoding="utf-8")
    longest = max(len(json.dumps(r)) for r in doc["people"] + doc["ties"])
    sizes: list[int] = []

    def parse(block: bytes, *rest: Any) -> Any:
        sizes.append(len(block))
        return _jsonl_columns.parse_block(block, *rest)

    monkeypatch.setattr(_json_columns, "parse_block", parse)
    monkeypatch.setattr(_json_columns, "BLOCK_SIZE", 64)
    assert _columnar(path) == _outcome(path)
    assert len(sizes) > 2 and max(sizes) <= 64 + longest


def _scan(data: bytes, cuts: list[int]) -> tuple[bytes, bytes, bytes, int, int]:
    """The scan of ``data`` (an array from its "[" on) fed in pieces ending at ``cuts``."""
    out = lines = starts = b""
    buf, line, state, offset = b"", 1, 0, 0
    for end in [*cuts, len(data)]:
        buf += data[len(buf) + offset : end]
        text, at, where, used, line, state, *_ = _jscan.records(buf, line, state, offset, ())
        out, lines, starts = out + text, lines + at, starts + where
        buf, offset = buf[used:], offset + used
        if state == 3:
            break
    return out, lines, starts, offset, state


@settings(max_examples=300, deadline=None)
@given(text=laid_out(), data=st.data())
def test_the_scan_gives_the_same_records_however_the_text_is_cut(
    text: str, data: st.DataObject
) -> None:
    text = text.lstrip("\ufeff")
    raw = text.encode("utf-8")
    key = scan_document(text)[1].keys["ties"]  # the top-level key's offset in the text
    at = len(text[:key].encode("utf-8"))
    array = raw[raw.index(b"[", at) + 1 :]
    cuts = sorted(data.draw(st.lists(st.integers(0, len(array)), max_size=8)))
    whole = _scan(array, [])
    assert whole[4] == 3  # the array was read to its "]"
    assert _scan(array, cuts) == whole
    # one compact object a line, each the record the document holds
    records = [json.loads(line) for line in whole[0].splitlines()]
    assert records == json.loads(text)["ties"]


def test_the_scan_writes_escaped_characters_as_they_are_but_what_the_columns_refuse() -> None:
    kept = rb"\u0022 \u005c \u001f \n \" \\ \ud800 \udc00 \u00zz \ud800"
    array = rb'{"a": "Jos\u00e9 \ud83d\ude00 \/ \u007f ' + kept + rb'\u0041"}]'
    text = _jscan.records(array, 1, 0, 0, ())[0]
    assert text == '{"a": "José 😀 / \x7f '.encode() + kept + b'A"}\n'
    # an escape cut by the block's end: the record is read whole with the next block
    for cut in range(len(array) - 2):  # all but its "}]"
        assert _jscan.records(array[:cut], 1, 0, 0, ())[0] == b""


@pytest.mark.parametrize(
    "array", [b"{}x", b"1]", b"{},]", b"{} {}]", b'{"a": "\x01"}]', b"{}\r]", b"[]]"]
)
def test_the_scan_refuses_what_is_no_array_of_objects(array: bytes) -> None:
    with pytest.raises(ValueError, match="not an array of objects"):
        _jscan.records(array, 1, 0, 0, ())
