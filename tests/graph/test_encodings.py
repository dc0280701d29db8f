"""Files saved the way spreadsheets save them: another separator, another encoding.

Each gives one located error naming what was found (``wrong-delimiter``, ``wrong-encoding``),
never a cascade of ``missing-column`` or ``unknown-person`` errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dualrel.graph import load_registry_with_warnings
from tests.graph.helpers import FORMAT, problems_of

PEOPLE = "id,roles,name\nco1,coach,Ann\ncl1,client,Zoë\ncl2,client,Cy\n"
TIES = "kind,source,target,start\ncoaching,co1,cl1,2025-01-01\ncoaching,co1,cl2,2025-02-01\n"


def folder(tmp_path: Path, people: bytes, ties: bytes | None = None) -> Path:
    d = tmp_path / "reg"
    d.mkdir()
    (d / "people.csv").write_bytes(people)
    (d / "ties.csv").write_bytes(TIES.encode() if ties is None else ties)
    return d


def codes(d: Path) -> list[tuple[str, int | None, str]]:
    return [(Path(p.file).name, p.line, p.code) for p in problems_of(d)]


@pytest.mark.parametrize(("sep", "named"), [(";", "semicolons"), ("\t", "tabs")])
def test_a_file_separated_otherwise_is_one_error_naming_the_separator(
    tmp_path: Path, sep: str, named: str
) -> None:
    d = folder(tmp_path, PEOPLE.replace(",", sep).encode())
    problems = problems_of(d)
    assert [(Path(p.file).name, p.line, p.code) for p in problems] == [
        ("people.csv", 1, "wrong-delimiter")
    ]
    assert named in problems[0].message and "comma-separated" in problems[0].message


def test_both_files_separated_otherwise_are_each_named(tmp_path: Path) -> None:
    d = folder(tmp_path, PEOPLE.replace(",", ";").encode(), TIES.replace(",", ";").encode())
    assert codes(d) == [("people.csv", 1, "wrong-delimiter"), ("ties.csv", 1, "wrong-delimiter")]


def test_a_comma_file_missing_a_column_still_says_so(tmp_path: Path) -> None:
    d = folder(tmp_path, b"id;x,name\nco1,Ann\n")
    assert ("people.csv", 1, "missing-column") in codes(d)


@pytest.mark.parametrize(
    ("encoding", "named"),
    [
        ("utf-16", "UTF-16 (little-endian, with a byte order mark)"),
        ("utf-16-le", "UTF-16 (little-endian, without a byte order mark)"),
        ("utf-16-be", "UTF-16 (big-endian, without a byte order mark)"),
        ("utf-32", "UTF-32 (little-endian, with a byte order mark)"),
    ],
)
def test_utf16_and_utf32_are_named_at_line_1(tmp_path: Path, encoding: str, named: str) -> None:
    d = folder(tmp_path, PEOPLE.encode(encoding))
    problems = problems_of(d)
    assert [(Path(p.file).name, p.line, p.code) for p in problems] == [
        ("people.csv", 1, "wrong-encoding")
    ]
    assert named in problems[0].message and "save the file as UTF-8" in problems[0].message


def test_cp1252_is_named_at_its_line_without_cascading(tmp_path: Path) -> None:
    d = folder(tmp_path, PEOPLE.encode("cp1252"))
    problems = problems_of(d)
    # the people after the bad line are missing: their ties are not reported one by one
    assert [(Path(p.file).name, p.line, p.code) for p in problems] == [
        ("people.csv", 3, "wrong-encoding")
    ]
    assert "Windows-1252" in problems[0].message and "save the file as UTF-8" in problems[0].message


def test_cp1252_in_ties_is_named_at_its_line(tmp_path: Path) -> None:
    ties = TIES.replace("start\n", "start,note\n").replace("01-01\n", "01-01,café\n")
    d = folder(tmp_path, PEOPLE.encode(), ties.encode("cp1252"))
    assert codes(d) == [("ties.csv", 2, "wrong-encoding")]


def test_json_and_jsonl_encodings_are_named(tmp_path: Path) -> None:
    doc = {"format": FORMAT, "people": [{"id": "a", "roles": ["coach"], "name": "Zoë"}]}
    text = json.dumps(doc, ensure_ascii=False, indent=1)
    u16 = tmp_path / "r.json"
    u16.write_bytes(text.encode("utf-16"))
    (p,) = problems_of(u16)
    assert (p.line, p.code) == (1, "wrong-encoding") and "UTF-16" in p.message
    latin = tmp_path / "latin.json"
    latin.write_bytes(text.encode("cp1252"))
    (p,) = problems_of(latin)
    line = 1 + text[: text.index("Zoë")].count("\n")
    assert (p.line, p.code) == (line, "wrong-encoding") and "Windows-1252" in p.message
    lines = tmp_path / "r.jsonl"
    lines.write_bytes(
        b'{"type": "person", "id": "a", "roles": ["coach"]}\n'.decode().encode("utf-16-le")
    )
    (p,) = problems_of(lines)
    assert (p.line, p.code) == (1, "wrong-encoding") and "UTF-16" in p.message


def test_utf8_with_a_byte_order_mark_still_reads(tmp_path: Path) -> None:
    d = folder(tmp_path, PEOPLE.encode("utf-8-sig"), TIES.encode("utf-8-sig"))
    registry, _ = load_registry_with_warnings(d)
    assert [p.name for p in registry.people] == ["Ann", "Zoë", "Cy"]
