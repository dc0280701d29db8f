"""CSV folders: BOM, roles, extra columns, line numbers, and every error located."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from dualrel.graph import Person, Tie, derive_tie_id, load_registry, load_registry_with_warnings

from .helpers import one, problems_of

PEOPLE = """\
id,roles,name,organisation,team
co001,coach;mentor,Ada Example,Clearwater,north
cl0001,client,,,
cl0002, client ; sponsor ,,Bluebird,south
"""
TIES = """\
id,kind,source,target,start,end,agreement_signed,relation
t1,coaching,co001,cl0001,2025-03-01,,2025-02-20,
t2,family,co001,cl0002,,,,cousin
"""


def folder(tmp_path: Path, people: str = PEOPLE, ties: str = TIES, bom: bool = False) -> Path:
    d = tmp_path / "reg"
    d.mkdir(exist_ok=True)
    prefix = "\ufeff" if bom else ""
    (d / "people.csv").write_text(prefix + people, encoding="utf-8")
    (d / "ties.csv").write_text(prefix + ties, encoding="utf-8")
    return d


@pytest.mark.parametrize("bom", [False, True])
def test_loads_folder(tmp_path: Path, bom: bool) -> None:
    d = folder(tmp_path, bom=bom)
    reg = load_registry(d, as_of=date(2026, 11, 26))
    assert reg.people[0] == Person(
        "co001", ("coach", "mentor"), "Ada Example", "Clearwater", {"team": "north"}
    )
    assert reg.people[1] == Person("cl0001", ("client",), None, None, {})
    assert reg.people[2].roles == ("client", "sponsor")
    assert reg.ties[0] == Tie(
        "t1",
        "coaching",
        "co001",
        "cl0001",
        date(2025, 3, 1),
        None,
        {"agreement_signed": "2025-02-20"},
    )
    assert reg.ties[1].attributes == {"relation": "cousin"}
    assert reg.as_of == date(2026, 11, 26)
    assert reg.source == str(d)
    loc = reg.locations[("tie", "t2")]
    assert (loc.file, loc.line, loc.pointer) == (str(d / "ties.csv"), 3, None)
    assert reg.locations[("person", "cl0002")].line == 4


def test_optional_columns_absent_and_derived_ids(tmp_path: Path) -> None:
    d = folder(tmp_path, "id,roles\na,coach\nb,client\n", "kind,source,target\nromance,b,a\n")
    reg = load_registry(d)
    assert reg.ties[0].id == derive_tie_id("romance", "a", "b", None, None, {}, directed=False)
    assert reg.ties[0].start is None


def test_quoted_line_breaks_keep_line_numbers_right(tmp_path: Path) -> None:
    people = 'id,roles,note\na,coach,"two\nlines"\n\nb,client,x\nc,client,y\n'
    d = folder(tmp_path, people, "id,kind,source,target\nt1,romance,a,b\nt2,romance,c,c\n")
    p = one(problems_of(d), "self-tie")
    assert p.line == 3
    reg_dir = folder(tmp_path, people, "id,kind,source,target\nt1,romance,a,b\n")
    reg = load_registry(reg_dir)
    assert [reg.locations[("person", x)].line for x in "abc"] == [3, 5, 6]
    assert reg.people[0].attributes == {"note": "two\nlines"}


def test_every_row_error_is_collected_with_its_line(tmp_path: Path) -> None:
    people = PEOPLE + ",client,,,\ncl0001,client,,,\ncl0003,client\n"
    ties = (
        TIES
        + "t3,coaching,co001,cl0099,2025-01-01,,,\n"  # 4 unknown person
        + "t4,coaching,co001,cl0001,2025-13-01,,,\n"  # 5 invalid date
        + "t5,coaching,co001,cl0001,2025-03-01,2025-01-01,,\n"  # 6 end before start
        + "t6,romence,co001,cl0001,,,,\n"  # 7 unknown kind
        + "t7,romance,cl0001,cl0001,,,,\n"  # 8 self-tie
        + "t1,romance,co001,cl0001,,,,\n"  # 9 duplicate id
        + "t9,,co001,cl0001,,,,\n"  # 10 missing kind
        + "t10,coaching,co001,cl0001,,,yesterday,\n"  # 11 invalid attribute date
        + "t11,family,co001,cl0001,,,,aunt\n"  # 12 invalid relation
        + "t12,romance,co001\n"  # 13 wrong number of cells
    )
    d = folder(tmp_path, people, ties)
    probs = problems_of(d)
    pf, tf = str(d / "people.csv"), str(d / "ties.csv")
    found = {(p.file, p.line, p.code) for p in probs}
    assert found >= {
        (pf, 5, "missing-field"),
        (pf, 6, "duplicate-person"),
        (pf, 7, "wrong-column-count"),
        (tf, 4, "unknown-person"),
        (tf, 5, "invalid-date"),
        (tf, 6, "end-before-start"),
        (tf, 7, "unknown-kind"),
        (tf, 8, "self-tie"),
        (tf, 9, "duplicate-tie"),
        (tf, 10, "missing-field"),
        (tf, 11, "invalid-date"),
        (tf, 12, "invalid-relation"),
        (tf, 13, "wrong-column-count"),
    }
    assert "did you mean 'romance'?" in one(probs, "unknown-kind").message
    assert one(probs, "unknown-person").record == "t3"
    assert "line 2" in one(probs, "duplicate-tie").message


def test_a_person_id_given_again_names_the_line_it_was_first_given_on(tmp_path: Path) -> None:
    # the first line was once looked up before the lines read so far were counted: "line 0"
    people = "id,roles\na,coach\n\nb,client\nc,client\nb,coach\na,coach\nc,client\n"
    probs = problems_of(folder(tmp_path, people, "id,kind,source,target\nt1,romance,a,b\n"))
    assert [(p.line, p.code, p.message) for p in probs] == [
        (6, "duplicate-person", "person id 'b' already used at line 4"),
        (7, "duplicate-person", "person id 'a' already used at line 2"),
        (8, "duplicate-person", "person id 'c' already used at line 5"),
    ]


@pytest.mark.parametrize("dates", [",", "2025-03-01,"])
def test_unknown_person_with_dates_seen_before_is_an_error(tmp_path: Path, dates: str) -> None:
    # the fast loop reads a missing person as None (no KeyError) when nothing else in the
    # row is new: that row must still be reported, not crash
    ties = TIES + f"t3,coaching,co001,cl0099,{dates},,\nt4,romance,nobody,cl0001,,,,\n"
    probs = problems_of(folder(tmp_path, PEOPLE, ties))
    assert [(p.line, p.code, p.field) for p in probs if p.severity == "error"] == [
        (4, "unknown-person", "target"),
        (5, "unknown-person", "source"),
    ]


@pytest.mark.parametrize(
    ("ids", "dup"),
    [
        (["t1", "t2", "t3", "p1", "p2"], None),  # two increasing runs, apart: no set needed
        (["t1", "t2", "t3", "p1", "t2"], ("t2", 6, 3)),  # the second run reaches into the first
        (["t3", "t2", "t1", "t2"], ("t2", 5, 3)),  # decreasing: the set decides
        (["a", "b", "c", "a"], ("a", 5, 2)),
    ],
)
def test_duplicate_tie_ids_in_any_order(
    tmp_path: Path, ids: list[str], dup: tuple[str, int, int] | None
) -> None:
    rows = "".join(f"{i},friendship,co001,cl0001,,,,\n" for i in ids)
    d = folder(tmp_path, ties=TIES.splitlines()[0] + "\n" + rows)
    if dup is None:
        assert len(load_registry(d).ties) == len(ids)
        return
    found = one(problems_of(d), "duplicate-tie")
    assert (found.record, found.line) == dup[:2]
    assert f"line {dup[2]}" in found.message


def test_header_problems(tmp_path: Path) -> None:
    d = folder(tmp_path, "id,role\na,coach\n", "kind,source,targt,kind\n")
    probs = problems_of(d)
    missing = [p for p in probs if p.code == "missing-column"]
    assert {(p.file.rsplit("/", 1)[1], p.field) for p in missing} == {
        ("people.csv", "roles"),
        ("ties.csv", "target"),
    }
    assert all(p.line == 1 for p in missing)
    roles = next(p for p in missing if p.field == "roles")
    assert "did you mean 'role'?" in roles.message
    assert one(probs, "invalid-header").line == 1


def test_missing_file_and_bad_encoding(tmp_path: Path) -> None:
    d = tmp_path / "reg"
    d.mkdir()
    (d / "people.csv").write_text("id,roles\na,coach\n")
    assert one(problems_of(d), "unreadable").file == str(d / "ties.csv")
    (d / "ties.csv").write_bytes(b"kind,source,target\nromance,a,b\nromance,a,\xff\n")
    (d / "people.csv").write_text("id,roles\na,coach\nb,client\n")
    p = one(problems_of(d), "wrong-encoding")
    assert p.file == str(d / "ties.csv")


def test_malformed_quoting(tmp_path: Path) -> None:
    d = folder(tmp_path, ties='kind,source,target\nromance,"co001"x,cl0001\n')
    p = one(problems_of(d), "malformed")
    assert (p.file, p.line) == (str(d / "ties.csv"), 2)


def test_empty_registry_and_empty_file(tmp_path: Path) -> None:
    d = folder(tmp_path, "id,roles\n", "kind,source,target\n")
    assert one(problems_of(d), "empty-registry").file == str(d / "people.csv")
    d = folder(tmp_path, "", "kind,source,target\n")
    assert one(problems_of(d), "missing-header").line == 1


def test_warnings(tmp_path: Path) -> None:
    d = folder(
        tmp_path,
        "id,roles\na,client\nb,clent\n",
        "kind,source,target\ncoaching,a,b\nfamily,a,b\n",
    )
    _, warnings = load_registry_with_warnings(d)
    found = {(w.code, w.line) for w in warnings}
    assert found == {
        ("unknown-role", 3),
        ("role-mismatch", 2),
        ("missing-relation", 3),
    }
