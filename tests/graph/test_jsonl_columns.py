"""A JSON Lines registry read as columns gives what the line reader gives, good or bad.

``_jsonl_columns.read_jsonl_columns`` reads a file with pyarrow and the CSV folder's column
checks, and steps aside (None) for anything it does not read alike; whenever it gives a
registry, its whole registry (``ColumnarRegistry.full()``), where each record was read and
the warnings must be exactly what ``load_registry_with_warnings`` gives.  The files are
damaged in the ways that differ between the two readers (null and absent, escapes, empty
texts, blank lines, record types, attribute orders) and in the ways the checks find.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from dualrel import render
from dualrel.check import run_check
from dualrel.errors import RegistryError
from dualrel.graph import CORE_ROLES, CORE_TIE_KINDS, _jsonl_columns
from dualrel.graph.columns import ColumnarRegistry, load_for_rules
from dualrel.graph.dump import registry_document
from dualrel.graph.load import load_registry_with_warnings
from dualrel.graph.model import PRACTICE_SECTIONS

from .strategies import DAMAGES, damaged, practices, registries

#: what is done to a valid file: nothing, or one thing the columnar read must either take
#: as the line reader does or leave to it
TWISTS = (
    "none",
    "none",
    "none",
    "header",
    "header-as-of",
    "header-bad",
    "header-late",
    "header-broken",
    "shuffled",
    *DAMAGES,
    "no-people",
    "null-field-of-other-type",
    "null-allowed",
    "null-attribute",
    "null-role",
    "null-in-name",
    "empty-name",
    "empty-id",
    "escaped",
    "surrogate",
    "blank-line",
    "crlf",
    "lone-cr",
    "bom",
    "two-on-a-line",
    "two-attributes",
    "attribute-named-as-field",
    "practice-record",
    "not-an-object",
    "no-type",
    "tab",
    "role-with-semicolon",
    "roles-spaced",
    "no-tie-id",
)


@st.composite
def files(draw: st.DrawFn) -> tuple[str, bool]:
    """A file's text, and whether the columns must read it (no twist, nothing escaped,
    every text given non-empty, at most one attribute per record, none named as a field)."""
    csv_safe = draw(st.booleans())
    reg = draw(registries(max_people=6, csv_safe=csv_safe))
    doc = registry_document(reg)
    people: list[dict[str, Any]] = [{"type": "person", **p} for p in doc["people"]]
    ties: list[dict[str, Any]] = [{"type": "tie", **t} for t in doc["ties"]]
    header: dict[str, Any] | None = None
    twist = draw(st.sampled_from(TWISTS))
    text_twist: tuple[str, str] | None = None
    records = people + ties
    if draw(st.integers(0, 4)):  # mostly one attribute a record, which the columns read
        for r in records:
            if r.get("attributes"):
                r["attributes"] = dict(list(r["attributes"].items())[:1])
    if twist == "header":
        header = {"type": "registry", "format": "dualrel.registry/1"}
    elif twist == "header-as-of":
        header = {"type": "registry", "format": "dualrel.registry/1", "as_of": "2026-11-26"}
    elif twist == "header-bad":
        header = {"type": "registry", "format": "dualrel.registry/9", "as_of": "26/11/2026"}
    elif twist == "header-broken":  # not JSON: its first line says "registry"
        header = {"type": "registry", "format": "dualrel.registry/1"}
    elif twist == "header-late":
        records.append({"type": "registry", "format": "dualrel.registry/1"})
    elif twist == "shuffled":
        records = draw(st.permutations(records))
    elif twist in DAMAGES:  # as in a JSON document's records
        text_twist = damaged(draw, twist, people, ties)
        records = people + ties
    elif twist == "no-people":
        records = ties
    else:
        records, text_twist = _null_and_text_twists(draw, twist, reg, people, ties, records)
    lines = [json.dumps(r, ensure_ascii=False) for r in records]
    if header is not None:
        lines.insert(0, json.dumps(header))
    if twist == "blank-line":
        lines.insert(draw(st.integers(0, len(lines))), "")
    text = _text(lines, twist, text_twist)
    plain = (
        twist == "none"
        and csv_safe
        and "\\" not in text
        and all(len(r.get("attributes") or ()) <= 1 for r in records)
        # an attribute named as a field (a person's "kind"): refused by name, by design
        and not any(k in _jsonl_columns._TOP for r in records for k in r.get("attributes") or ())
    )
    return text, plain


def _null_and_text_twists(  # noqa: PLR0917
    draw: st.DrawFn,
    twist: str,
    reg: Any,
    people: list[dict[str, Any]],
    ties: list[dict[str, Any]],
    records: list[dict[str, Any]],
) -> tuple[list[dict[str, Any]], tuple[str, str] | None]:
    """The twists where null and absent, an empty text and an escape differ."""
    text_twist: tuple[str, str] | None = None
    if twist == "null-field-of-other-type":
        record = draw(st.sampled_from(records))
        record["end" if record["type"] == "person" else "name"] = None
    elif twist == "null-allowed":
        record = draw(st.sampled_from(records))
        field = "organisation" if record["type"] == "person" else "start"
        record[field] = None
        record["attributes"] = None
    elif twist == "null-attribute":
        draw(st.sampled_from(records))["attributes"] = {"x": None}
    elif twist == "null-role":
        draw(st.sampled_from(people))["roles"] = ["coach", None]
    elif twist == "null-in-name":
        draw(st.sampled_from(people))["name"] = draw(st.sampled_from(["null", "Annull", "a: null"]))
    elif twist == "empty-name":
        draw(st.sampled_from(people))["name"] = ""
    elif twist == "empty-id" and ties:
        draw(st.sampled_from(ties))["id"] = ""
    elif twist == "escaped":
        draw(st.sampled_from(people))["name"] = 'say "hi"'
    elif twist == "surrogate":
        draw(st.sampled_from(people))["name"] = "x"
        text_twist = ('"name": "x"', '"name": "\\ud800"')
    elif twist == "two-attributes" and ties:  # the line reader keeps their order
        draw(st.sampled_from(ties))["attributes"] = {"b": "1", "a": "2"}
    elif twist == "attribute-named-as-field":
        draw(st.sampled_from(records))["attributes"] = {"start": "x"}
    elif twist == "practice-record":
        person_ids = [p["id"] for p in people]
        practice = draw(practices(person_ids, [t["id"] for t in ties]))
        section = registry_document(reg.__class__((), (), None, practice=practice))
        for name, rows in section.items():
            if name not in ("format", "people", "ties", "as_of") and rows:
                records.append({"type": PRACTICE_SECTIONS[name], **rows[0]})
    elif twist == "not-an-object":
        records.append(["not", "a", "record"])  # type: ignore[arg-type]
    elif twist == "no-type":
        del draw(st.sampled_from(records))["type"]
    elif twist == "role-with-semicolon":
        draw(st.sampled_from(people))["roles"] = ["coach;client"]
    elif twist == "roles-spaced":
        draw(st.sampled_from(people))["roles"] = [" coach"]
    elif twist == "no-tie-id" and ties:
        del draw(st.sampled_from(ties))["id"]
    return records, text_twist


def _text(lines: list[str], twist: str, replaced: tuple[str, str] | None) -> str:
    """The file's text, with the twists that are made on the text."""
    if twist == "two-on-a-line" and len(lines) >= 2:
        lines[0:2] = [lines[0] + " " + lines[1]]
    text = "".join(line + "\n" for line in lines)
    if replaced is not None:
        text = text.replace(*replaced, 1)
    if twist == "header-broken":
        text = text.replace("}\n", "\n", 1)
    if twist == "crlf":
        text = text.replace("\n", "\r\n")
    elif twist == "lone-cr":
        text = text.replace("\n", "\r", 1)
    elif twist == "bom":
        text = "\ufeff" + text
    elif twist == "tab":
        text = text.replace(": ", ":\t", 1)
    return text


def _lines(reg: Any) -> dict[Any, Any]:
    return {key: (loc.file, loc.line, loc.pointer) for key, loc in reg.locations.items()}


def _outcome(path: Path) -> tuple[str, Any]:
    try:
        reg, warnings = load_registry_with_warnings(path)
    except RegistryError as e:
        return "error", e.problems
    return "ok", (reg.people, reg.ties, reg.practice, reg.as_of, reg.source, _lines(reg), warnings)


def _columnar(path: Path) -> tuple[str, Any] | None:
    read = _jsonl_columns.read_jsonl_columns(
        str(path), kinds=dict(CORE_TIE_KINDS), roles=CORE_ROLES, as_of=None
    )
    if read is None:
        return None
    columnar, warnings = read
    reg = columnar.full()
    return "ok", (reg.people, reg.ties, reg.practice, reg.as_of, reg.source, _lines(reg), warnings)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(file=files(), block=st.sampled_from([64, 200, 1 << 20]))
def test_columns_read_as_the_line_reader_does(
    tmp_path_factory: pytest.TempPathFactory, file: tuple[str, bool], block: int
) -> None:
    text, plain = file
    path = tmp_path_factory.mktemp("jsonl") / "reg.jsonl"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_jsonl_columns, "BLOCK_SIZE", block)  # many blocks, lines cut across
        columnar = _columnar(path)
    event("read by columns" if columnar is not None else "left to the line reader")
    if columnar is not None:
        assert columnar == _outcome(path)
    else:
        assert not plain


def _plain(tmp_path: Path) -> Path:
    records = [
        {"type": "registry", "format": "dualrel.registry/1", "as_of": "2026-11-26"},
        {"type": "person", "id": "co1", "roles": ["coach"], "name": None},
        {"type": "person", "id": "cl1", "roles": ["client", "zz"], "attributes": {"a": "b"}},
        {"type": "tie", "id": "t1", "kind": "coaching", "source": "co1", "target": "cl1",
         "start": "2025-01-01", "end": None, "attributes": {"agreement_signed": "2024-12-30"}},
        {"type": "person", "id": "pa", "roles": ["client"]},
        {"type": "tie", "kind": "family", "source": "pa", "target": "co1"},
        {"type": "tie", "id": "t3", "kind": "coaching", "source": "pa", "target": "cl1"},
    ]  # fmt: skip
    path = tmp_path / "reg.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def test_a_plain_file_is_read_by_columns_with_the_line_readers_warnings(tmp_path: Path) -> None:
    path = _plain(tmp_path)
    read = _jsonl_columns.read_jsonl_columns(
        str(path), kinds=dict(CORE_TIE_KINDS), roles=CORE_ROLES, as_of=None
    )
    assert read is not None
    columnar, warnings = read
    assert len(columnar.ties) == 3 and columnar.registry.ties == ()
    assert [(w.code, w.line, w.field) for w in warnings] == [
        ("unknown-role", 3, "roles"),
        ("missing-relation", 6, "attributes"),
        ("role-mismatch", 7, "source"),
    ]
    assert columnar.full().locations[("tie", "t3")].line == 7
    assert _columnar(path) == _outcome(path)


def test_load_for_rules_gives_columns_for_json_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _plain(tmp_path)
    monkeypatch.setattr("dualrel.graph._csv.COLUMNAR_MIN_BYTES", 0)
    loaded, warnings = load_for_rules(path)
    assert isinstance(loaded, ColumnarRegistry)
    assert warnings == load_registry_with_warnings(path)[1]
    # a file the columns do not read alike is read by lines, with its problems located
    path.write_text(path.read_text().replace('"cl1", "roles"', '"cl1", "roles": null, "roles"'))
    with pytest.raises(RegistryError) as e:
        load_for_rules(path)
    first = e.value.problems[0]
    assert (first.code, first.line, first.field) == ("duplicate-key", 3, "roles")


def test_a_check_reports_the_same_on_columns_and_on_objects(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _plain(tmp_path)
    monkeypatch.setattr("dualrel.graph._csv.COLUMNAR_MIN_BYTES", 0)
    reports = []
    for columnar in (True, False):
        if not columnar:
            monkeypatch.setattr(_jsonl_columns, "read_jsonl_columns", lambda *a, **k: None)
        result = run_check(str(path), ["coaching-core"])
        reports.append(render(result, "json"))
    assert reports[0] == reports[1]
    assert json.loads(reports[0])["findings"]


def test_a_person_attribute_named_as_a_tie_field_is_left_to_the_line_reader(
    tmp_path: Path,
) -> None:
    # the columns tell fields from attributes by name: a person's "kind" would read as one
    records = [
        {"type": "person", "id": "co1", "roles": ["coach"], "attributes": {"kind": "x"}},
        {"type": "person", "id": "cl1", "roles": ["client"]},
        {"type": "tie", "id": "t1", "kind": "coaching", "source": "co1", "target": "cl1"},
    ]
    path = tmp_path / "reg.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    assert (
        _jsonl_columns.read_jsonl_columns(
            str(path), kinds=dict(CORE_TIE_KINDS), roles=CORE_ROLES, as_of=None
        )
        is None
    )
    reg, _ = load_registry_with_warnings(path)
    assert dict(reg.people[0].attributes) == {"kind": "x"}
    assert [t.kind for t in reg.ties] == ["coaching"]
