"""A JSON document read as columns gives what the document reader gives, good or bad.

``_json_columns.read_json_columns`` reads a document laid out one record a line through
the JSON Lines columnar reader, and steps aside (None) for anything it does not read
alike; ``load_for_rules`` then reads it with the document reader.  So, on generated
documents, good and damaged (in their records, as for JSON Lines, and in their layout):
whenever the columns give a registry, its whole registry, where each record was read (line
and JSON pointer) and its warnings are exactly what ``load_registry_with_warnings`` gives;
``load_for_rules`` gives the same registry or the same located problems either way; and a
plain document is read by the columns.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from dualrel import render
from dualrel.check import run_check
from dualrel.errors import RegistryError
from dualrel.graph import CORE_ROLES, CORE_TIE_KINDS, _json_columns, _jsonl_columns
from dualrel.graph.columns import ColumnarRegistry, load_for_rules
from dualrel.graph.dump import dump_registry, registry_document
from dualrel.graph.load import load_registry, load_registry_with_warnings

from .strategies import DAMAGES, damaged, practices, registries

#: what is done to a valid document: nothing, or one thing the columnar read must either
#: take as the document reader does or leave to it
RECORD_TWISTS = (
    *DAMAGES,
    "type-field",
    "null-field-of-other-type",
    "null-allowed",
    "null-attribute",
    "null-in-name",
    "empty-name",
    "escaped",
    "two-attributes",
    "attribute-named-as-field",
    "role-with-semicolon",
    "no-tie-id",
    "number-id",
)
LAYOUT_TWISTS = (
    "as-of",
    "as-of-null",
    "as-of-bad",
    "format-bad",
    "format-missing",
    "ties-first",
    "as-of-last",
    "no-ties",
    "no-people",
    "empty-people",
    "practice-section",
    "unknown-key",
    "repeated-key",
    "indented",
    "two-on-a-line",
    "record-over-two-lines",
    "missing-comma",
    "trailing-comma",
    "comma-on-next-line",
    "space-before-comma",
    "blank-line",
    "crlf",
    "bom",
    "trailing-text",
    "truncated",
    "not-json",
)
TWISTS = (*["none"] * 10, *RECORD_TWISTS, *LAYOUT_TWISTS)


def _tame(record: dict[str, Any]) -> None:
    """A name, organisation or attribute that JSON writes with an escape, made plain."""
    for key in ("name", "organisation"):
        if "\\" in json.dumps(record.get(key), ensure_ascii=False):
            record[key] = "plain"
    attributes = record.get("attributes") or {}
    for key, value in attributes.items():
        if "\\" in json.dumps(value, ensure_ascii=False):
            attributes[key] = "plain"


def _array(records: list[dict[str, Any]], twist: str) -> str:
    """A section's array, one record a line as ``dump_registry`` writes it (but for the
    layout twists made on it)."""
    if not records:
        return "[]"
    lines = [json.dumps(r, ensure_ascii=False) for r in records]
    if twist == "two-on-a-line" and len(lines) >= 2:
        lines[0:2] = [lines[0] + ", " + lines[1]]
    if twist == "record-over-two-lines":
        lines[0] = lines[0].replace(", ", ",\n   ", 1)
    separators = [",\n  "] * (len(lines) - 1)
    if twist == "missing-comma" and separators:
        separators[0] = "\n  "
    if twist == "comma-on-next-line" and separators:
        separators[0] = "\n  ,"
    if twist == "space-before-comma" and separators:
        separators[0] = " ,\n  "
    if twist == "blank-line" and separators:
        separators[0] = ",\n\n  "
    body = "".join(line + sep for line, sep in zip(lines, [*separators, ""], strict=True))
    end = ",\n ]" if twist == "trailing-comma" else "\n ]"
    return "[\n  " + body + end


@st.composite
def documents(draw: st.DrawFn) -> tuple[str, bool]:
    """A document's text, and whether the columns must read it (no twist, nothing
    escaped, every text given non-empty, at most one attribute a record, none named as a
    field, at least one person and one tie)."""
    # mostly what the columns read (text only, written without an escape, at most one
    # attribute a record, a tie at least), so that each twist meets the columns too
    friendly = draw(st.integers(0, 3)) > 0
    csv_safe = friendly or draw(st.booleans())
    reg = draw(registries(max_people=6, csv_safe=csv_safe))
    doc = registry_document(reg)
    people: list[dict[str, Any]] = doc["people"]
    ties: list[dict[str, Any]] = doc["ties"]
    if friendly:
        for r in people + ties:
            _tame(r)
            if r.get("attributes"):
                r["attributes"] = dict(list(r["attributes"].items())[:1])
        if not ties:
            people.append({"id": "Extra.1", "roles": ["client"]})  # no generated id has "."
            ties.append({"id": "t", "kind": "business", "source": people[0]["id"],
                         "target": "Extra.1"})  # fmt: skip
    twist = draw(st.sampled_from(TWISTS))
    replaced = damaged(draw, twist, people, ties)
    top: dict[str, str] = {"format": '"dualrel.registry/1"'}
    if twist in ("as-of", "as-of-last"):
        top["as_of"] = '"2026-11-26"'
    elif twist == "as-of-null":
        top["as_of"] = "null"
    elif twist == "as-of-bad":
        top["as_of"] = '"26/11/2026"'
    elif twist == "format-bad":
        top["format"] = '"dualrel.registry/9"'
    elif twist == "format-missing":
        del top["format"]
    if twist != "no-people":
        top["people"] = _array(people if twist != "empty-people" else [], twist)
    if twist != "no-ties":
        top["ties"] = _array(ties, twist)
    if twist == "ties-first" and "people" in top:
        top["people"] = top.pop("people")
    if twist == "as-of-last":
        top["as_of"] = top.pop("as_of")
    if twist == "practice-section":
        practice = draw(practices([p["id"] for p in people], [t["id"] for t in ties]))
        section = registry_document(reg.__class__((), (), None, practice=practice))
        extra = [k for k in section if k not in ("format", "people", "ties", "as_of")]
        if extra:
            top[extra[0]] = json.dumps(section[extra[0]])
    if twist == "unknown-key":
        top["colour"] = '"red"'
    pairs = [f'"{k}": {v}' for k, v in top.items()]
    if twist == "repeated-key":
        pairs.append('"format": "dualrel.registry/1"')
    text = "{" + ",\n ".join(pairs) + "}\n"
    if twist == "indented":
        text = json.dumps(json.loads(text), indent=1) + "\n"
    if replaced is not None:
        text = text.replace(*replaced, 1)
    if twist == "crlf":
        text = text.replace("\n", "\r\n")
    elif twist == "bom":
        text = "\ufeff" + text
    elif twist == "trailing-text":
        text += "{}"
    elif twist == "truncated":
        text = text[: len(text) // 2]
    elif twist == "not-json":
        text = text.replace("[", "(", 1)
    plain = (
        twist in ("none", "as-of", "as-of-null", "as-of-last", "ties-first")
        and csv_safe
        and bool(ties)
        and "\\" not in text
        and all(len(r.get("attributes") or ()) <= 1 for r in people + ties)
        and not any(
            k in _jsonl_columns._TOP for r in people + ties for k in r.get("attributes") or ()
        )
    )
    return text, plain


def _lines(reg: Any) -> dict[Any, Any]:
    return {key: (loc.file, loc.line, loc.pointer) for key, loc in reg.locations.items()}


def _of(reg: Any, warnings: Any) -> tuple[str, Any]:
    return "ok", (reg.people, reg.ties, reg.practice, reg.as_of, reg.source, _lines(reg), warnings)


def _outcome(path: Path) -> tuple[str, Any]:
    try:
        reg, warnings = load_registry_with_warnings(path)
    except RegistryError as e:
        return "error", e.problems
    return _of(reg, warnings)


def _for_rules(path: Path) -> tuple[str, Any]:
    try:
        loaded, warnings = load_for_rules(path)
    except RegistryError as e:
        return "error", e.problems
    return _of(loaded.full() if isinstance(loaded, ColumnarRegistry) else loaded, warnings)


def _columnar(path: Path) -> tuple[str, Any] | None:
    read = _json_columns.read_json_columns(
        str(path), kinds=dict(CORE_TIE_KINDS), roles=CORE_ROLES, as_of=None
    )
    return None if read is None else _of(read[0].full(), read[1])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=documents(), block=st.sampled_from([16, 100, 1 << 20]))
def test_columns_read_a_document_as_the_document_reader_does(
    tmp_path_factory: pytest.TempPathFactory, doc: tuple[str, bool], block: int
) -> None:
    text, plain = doc
    path = tmp_path_factory.mktemp("json") / "reg.json"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_json_columns, "BLOCK_SIZE", block)  # many blocks, lines cut across
        mp.setattr("dualrel.graph._csv.COLUMNAR_MIN_BYTES", 0)
        columnar = _columnar(path)
        for_rules = _for_rules(path)
    expected = _outcome(path)
    event("read by columns" if columnar is not None else "left to the document reader")
    if columnar is not None:
        assert columnar == expected
    else:
        assert not plain
    # either way, the same registry or the same problems, each located as today
    assert for_rules == expected


def _plain(tmp_path: Path) -> Path:
    people = [
        {"id": "co1", "roles": ["coach"], "name": None},
        {"id": "cl1", "roles": ["client", "zz"], "attributes": {"a": "b"}},
        {"id": "pa", "roles": ["client"]},
    ]
    ties = [
        {"id": "t1", "kind": "coaching", "source": "co1", "target": "cl1",
         "start": "2025-01-01", "end": None, "attributes": {"agreement_signed": "2024-12-30"}},
        {"kind": "family", "source": "pa", "target": "co1"},
        {"id": "t3", "kind": "coaching", "source": "pa", "target": "cl1"},
        {"id": "t4", "kind": "romance", "source": "co1", "target": "cl1", "start": "2026-01-01"},
    ]  # fmt: skip
    text = (
        '{"format": "dualrel.registry/1", "as_of": "2026-11-26",\n "people": '
        + _array(people, "none")
        + ',\n "ties": '
        + _array(ties, "none")
        + "}\n"
    )
    path = tmp_path / "reg.json"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_plain_document_is_read_by_columns_with_the_document_readers_warnings(
    tmp_path: Path,
) -> None:
    path = _plain(tmp_path)
    read = _json_columns.read_json_columns(
        str(path), kinds=dict(CORE_TIE_KINDS), roles=CORE_ROLES, as_of=None
    )
    assert read is not None
    columnar, warnings = read
    assert len(columnar.ties) == 4 and columnar.registry.ties == ()
    assert [(w.code, w.line, w.pointer, w.field) for w in warnings] == [
        ("unknown-role", 4, "/people/1/roles", "roles"),
        ("missing-relation", 9, "/ties/1/attributes", "attributes"),
        ("role-mismatch", 10, "/ties/2/source", "source"),
    ]
    location = columnar.full().locations[("tie", "t3")]
    assert (location.line, location.pointer) == (10, "/ties/2")
    assert _columnar(path) == _outcome(path)


def test_dump_registry_writes_what_the_columns_read(tmp_path: Path) -> None:
    path = _plain(tmp_path)
    out = io.StringIO()
    dump_registry(load_registry(path), out, "json")
    path.write_text(out.getvalue(), encoding="utf-8")
    assert _columnar(path) == _outcome(path)


def test_a_narrowed_registry_locates_its_ties_by_pointer(tmp_path: Path) -> None:
    import pyarrow as pa  # noqa: PLC0415

    read = _json_columns.read_json_columns(
        str(_plain(tmp_path)), kinds=dict(CORE_TIE_KINDS), roles=CORE_ROLES, as_of=None
    )
    assert read is not None
    narrowed = read[0].narrowed(pa.array([1, 3], pa.int64()))
    assert [t.kind for t in narrowed.ties] == ["family", "romance"]
    located = [narrowed.locations[("tie", t.id)] for t in narrowed.ties]
    assert [(loc.line, loc.pointer) for loc in located] == [(9, "/ties/1"), (11, "/ties/3")]


def test_a_check_reports_the_same_on_columns_and_on_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _plain(tmp_path)
    monkeypatch.setattr("dualrel.graph._csv.COLUMNAR_MIN_BYTES", 0)
    reports = []
    for columnar in (True, False):
        if not columnar:
            monkeypatch.setattr(_json_columns, "read_json_columns", lambda *a, **k: None)
        result = run_check(str(path), ["coaching-core"])
        reports.append(render(result, "json"))
    assert reports[0] == reports[1]
    assert '"/ties/3"' in reports[0]  # the romance tie's evidence, located by pointer


def test_a_document_with_problems_is_left_to_the_document_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _plain(tmp_path)
    monkeypatch.setattr("dualrel.graph._csv.COLUMNAR_MIN_BYTES", 0)
    path.write_text(
        path.read_text().replace(
            '"target": "cl1", "start": "2026', '"target": "cx1", "start": "2026'
        )
    )
    with pytest.raises(RegistryError) as e:
        load_for_rules(path)
    errors = [(p.code, p.line, p.pointer) for p in e.value.problems if p.code.startswith("unk")]
    assert errors == [
        ("unknown-role", 4, "/people/1/roles"),
        ("unknown-person", 11, "/ties/3/target"),
    ]
    assert _outcome(path) == ("error", e.value.problems)


def test_the_document_is_read_a_block_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # never the whole text at once: each piece parsed is at most a block and a line
    path = _plain(tmp_path)
    longest = max(map(len, path.read_bytes().splitlines(keepends=True)))
    sizes: list[int] = []

    def parse(block: bytes, *rest: Any) -> Any:
        sizes.append(len(block))
        return _jsonl_columns.parse_block(block, *rest)

    monkeypatch.setattr(_json_columns, "parse_block", parse)
    monkeypatch.setattr(_json_columns, "BLOCK_SIZE", 64)
    assert _columnar(path) == _outcome(path)
    assert len(sizes) > 2 and max(sizes) <= 64 + longest
