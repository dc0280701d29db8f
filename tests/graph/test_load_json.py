"""JSON registries: loading, locations, and every validation error with its location."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from dualrel._internal import problems as _problems
from dualrel.errors import InvalidArgument, RegistryError
from dualrel.graph import (
    Person,
    SourceLocation,
    Tie,
    derive_tie_id,
    load_registry,
    load_registry_with_warnings,
)

from .helpers import PEOPLE, document, one, problems_of, write_lines_json

COACHING = {
    "id": "t1",
    "kind": "coaching",
    "source": "co001",
    "target": "cl0001",
    "start": "2025-03-01",
    "end": None,
    "attributes": {"agreement_signed": "2025-02-20"},
}


def write(tmp_path: Path, ties: list[dict[str, object]], people=None) -> Path:  # type: ignore[no-untyped-def]
    return write_lines_json(
        tmp_path / "reg.json", document(PEOPLE if people is None else people, ties)
    )


# people are on lines 4, 5, 6; ties start on line 8


def test_loads_people_ties_and_locations(tmp_path: Path) -> None:
    reg = load_registry(write(tmp_path, [COACHING]))
    assert reg.people[0] == Person("co001", ("coach",), "Ada Example", None, {})
    assert reg.people[2].attributes == {"tier": "gold"}
    assert reg.ties == (
        Tie(
            "t1",
            "coaching",
            "co001",
            "cl0001",
            date(2025, 3, 1),
            None,
            {"agreement_signed": "2025-02-20"},
        ),
    )
    assert reg.as_of == date(2026, 11, 26)
    file = str(tmp_path / "reg.json")
    assert reg.locations[("person", "cl0001")] == SourceLocation(file, 5, "/people/1")
    assert reg.locations[("tie", "t1")] == SourceLocation(file, 8, "/ties/0")
    assert len(reg.locations) == 4
    assert ("tie", "nope") not in reg.locations


def test_as_of_override_and_extra_kinds(tmp_path: Path) -> None:
    tie = {**COACHING, "kind": "board_membership"}
    path = write(tmp_path, [tie])
    assert one(problems_of(path), "unknown-kind").line == 8
    reg = load_registry(path, extra_kinds={"board_membership": False}, as_of="2027-01-01")
    assert reg.as_of == date(2027, 1, 1)
    assert reg.kinds["board_membership"] is False
    assert reg.kinds["coaching"] is True


def test_bad_arguments_are_invalid_argument(tmp_path: Path) -> None:
    path = write(tmp_path, [])
    with pytest.raises(InvalidArgument, match="as_of"):
        load_registry(path, as_of="26/11/2026")
    with pytest.raises(TypeError, match="extra_kinds"):
        load_registry(path, extra_kinds={"x": "yes"})  # type: ignore[dict-item]
    with pytest.raises(InvalidArgument, match="redeclares"):
        load_registry(path, extra_kinds={"romance": True})


def test_tie_without_id_gets_the_derived_id(tmp_path: Path) -> None:
    tie = {k: v for k, v in COACHING.items() if k != "id"}
    reg = load_registry(write(tmp_path, [tie]))
    expected = derive_tie_id(
        "coaching",
        "co001",
        "cl0001",
        date(2025, 3, 1),
        None,
        {"agreement_signed": "2025-02-20"},
    )
    assert reg.ties[0].id == expected
    assert load_registry(tmp_path / "reg.json").ties[0].id == expected  # stable on rerun
    assert reg.locations[("tie", expected)].line == 8


def test_malformed_json_reports_the_parser_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"format": "dualrel.registry/1",\n "people": [\n  {"id": "a",}\n]}\n')
    p = one(problems_of(path), "malformed")
    assert (p.file, p.line) == (str(path), 3)


def test_every_record_error_is_collected_with_line_and_pointer(tmp_path: Path) -> None:
    people = [
        *PEOPLE,
        {"roles": ["client"]},  # line 7: missing id
        {"id": "cl0001", "roles": ["client"]},  # line 8: duplicate
        {"id": "cl0003", "roles": "client"},  # line 9: wrong type
    ]
    ties = [
        {**COACHING, "target": "cl0099"},  # line 11: unknown person
        {**COACHING, "id": "t2", "start": "2025-02-30"},  # 12: invalid date
        {**COACHING, "id": "t3", "end": "2024-01-01"},  # 13: end before start
        {**COACHING, "id": "t4", "kind": "coachng"},  # 14: unknown kind
        {**COACHING, "id": "t5", "target": "co001"},  # 15: self tie
        {**COACHING, "id": "t1"},  # 16: duplicate tie id
        {"id": "t7", "kind": "romance", "source": "co001"},  # 17: missing target
        {**COACHING, "id": "t8", "attributes": {"agreement_signed": "soon"}},  # 18
        {**COACHING, "id": "t9", "colour": "red"},  # 19: unknown field
    ]
    path = write(tmp_path, ties, people)
    probs = problems_of(path)
    file = str(path)
    assert all(p.file == file for p in probs)
    found = {(p.code, p.line, p.pointer) for p in probs}
    assert found >= {
        ("missing-field", 7, "/people/3"),
        ("duplicate-person", 8, "/people/4/id"),
        ("wrong-type", 9, "/people/5/roles"),
        ("unknown-person", 11, "/ties/0/target"),
        ("invalid-date", 12, "/ties/1/start"),
        ("end-before-start", 13, "/ties/2/end"),
        ("unknown-kind", 14, "/ties/3/kind"),
        ("self-tie", 15, "/ties/4/target"),
        ("duplicate-tie", 16, "/ties/5"),
        ("missing-field", 17, "/ties/6"),
        ("invalid-date", 18, "/ties/7/attributes"),
        ("unknown-field", 19, "/ties/8/colour"),
    }
    kind = one(probs, "unknown-kind")
    assert "did you mean 'coaching'?" in kind.message
    assert kind.record == "t4"
    assert kind.field == "kind"
    assert "line 11" in one(probs, "duplicate-tie").message  # points at the first one


def test_field_lines_in_a_pretty_printed_document(tmp_path: Path) -> None:
    doc = document(PEOPLE, [{**COACHING, "end": "2020-01-01"}])
    path = tmp_path / "pretty.json"
    path.write_text(json.dumps(doc, indent=2))
    lines = path.read_text().splitlines()
    end_line = next(i for i, text in enumerate(lines, 1) if '"end": "2020' in text)
    p = one(problems_of(path), "end-before-start")
    assert (p.line, p.pointer) == (end_line, "/ties/0/end")


def test_document_level_errors(tmp_path: Path) -> None:
    path = tmp_path / "doc.json"
    path.write_text(
        json.dumps({"format": "dualrel.registry/2", "as_of": "tomorrow", "people": {}, "tie": []})
    )
    probs = problems_of(path)
    assert one(probs, "unsupported-format").pointer == "/format"
    assert one(probs, "invalid-date").pointer == "/as_of"
    assert one(probs, "wrong-type").pointer == "/people"
    unknown = one(probs, "unknown-field")
    assert (unknown.pointer, unknown.line) == ("/tie", 1)
    assert "did you mean 'ties'?" in unknown.message


def test_not_an_object_and_missing_format(tmp_path: Path) -> None:
    path = tmp_path / "list.json"
    path.write_text("[1, 2]")
    assert one(problems_of(path), "wrong-type").line == 1
    path.write_text(json.dumps({"people": [{"id": "a"}]}))
    assert "format" in one(problems_of(path), "missing-field").message


def test_empty_registry(tmp_path: Path) -> None:
    path = write(tmp_path, [], people=[])
    p = one(problems_of(path), "empty-registry")
    assert p.file == str(path)


def test_unreadable_and_unknown_format(tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    assert one(problems_of(missing), "unreadable").file == str(missing)
    txt = tmp_path / "reg.txt"
    txt.write_text("{}")
    assert one(problems_of(txt), "unknown-format").file == str(txt)
    latin = tmp_path / "latin.json"
    latin.write_bytes(b'{"format": "dualrel.registry/1",\n "people": ["caf\xe9"]}')
    assert one(problems_of(latin), "wrong-encoding").line == 2


def test_warnings_do_not_stop_the_load(tmp_path: Path) -> None:
    people = [{"id": "a", "roles": ["client"]}, {"id": "b", "roles": ["coah"]}]
    ties = [
        {"id": "t1", "kind": "coaching", "source": "a", "target": "b"},
        {"id": "t2", "kind": "family", "source": "a", "target": "b"},
    ]
    reg, warnings = load_registry_with_warnings(write(tmp_path, ties, people))
    assert len(reg.ties) == 2
    codes = {(w.code, w.line, w.field) for w in warnings}
    assert ("unknown-role", 5, "roles") in codes
    assert ("role-mismatch", 7, "source") in codes  # a is no coach
    assert ("role-mismatch", 7, "target") in codes  # b is no client
    assert ("missing-relation", 8, "attributes") in codes
    assert all(w.severity == "warning" for w in warnings)
    assert "did you mean 'coach'?" in next(w for w in warnings if w.code == "unknown-role").message


def test_errors_carry_the_warnings_too(tmp_path: Path) -> None:
    people = [{"id": "a", "roles": ["coah"]}]
    ties = [{"id": "t1", "kind": "romance", "source": "a", "target": "zz"}]
    with pytest.raises(RegistryError) as info:
        load_registry(write(tmp_path, ties, people))
    severities = sorted(p.severity for p in info.value.problems)
    assert severities == ["error", "warning"]
    assert "1 problem(s)" in str(info.value)


def test_invalid_family_relation(tmp_path: Path) -> None:
    ties = [
        {
            "id": "t1",
            "kind": "family",
            "source": "co001",
            "target": "cl0001",
            "attributes": {"relation": "cousn"},
        }
    ]
    p = one(problems_of(write(tmp_path, ties)), "invalid-relation")
    assert (p.line, p.pointer) == (8, "/ties/0/attributes")
    assert "did you mean 'cousin'?" in p.message


def test_too_many_problems_are_capped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_problems, "MAX_ERRORS", 5)
    ties = [{**COACHING, "id": f"t{i}", "target": "nobody"} for i in range(20)]
    probs = problems_of(write(tmp_path, ties))
    assert len(probs) == 6
    assert probs[-1].code == "too-many-problems" or any(
        p.code == "too-many-problems" for p in probs
    )
