"""A CSV folder split over many files reads as the same folder in one file per section.

Generated folders (``test_csv_columns.folders``, good and bad) are written once as
``people.csv``/``ties.csv`` and once split at random lines into parts; both readers (by
columns and row by row) must give the same people, ties and practice records, the same
problems, and each record located at a line of its part holding the same text as the
line it was read from in the single file.
"""

from __future__ import annotations

import itertools
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dualrel._internal.problems import Collector
from dualrel.check import registry_sha256
from dualrel.errors import RegistryError
from dualrel.graph import _csv, load_registry
from dualrel.graph.model import CORE_ROLES, CORE_TIE_KINDS
from dualrel.graph.parts import split_folder
from tests.graph.test_csv_columns import folders


def _load(folder: Path, *, columnar: bool) -> tuple[str, Any]:
    c = Collector()
    try:
        reg = _csv.load_csv_folder(
            str(folder), c, kinds=CORE_TIE_KINDS, roles=CORE_ROLES, as_of=None, columnar=columnar
        )
    except RegistryError as e:
        return "error", sorted((p.code, p.record or "", p.field or "") for p in e.problems)
    where = {key: (loc.file, loc.line) for key, loc in reg.locations.items()}
    warnings = sorted((p.code, p.record or "", p.field or "") for p in c.warnings)
    return "ok", (reg.people, reg.ties, reg.practice, warnings, where)


def _split_text(text: str, cuts: list[int]) -> list[str]:
    """``text`` (a header line, then rows) as parts, each with the header."""
    lines = text.splitlines(keepends=True)
    header, body = lines[0], lines[1:]
    if header.startswith("\ufeff"):
        header = header[1:]
    at = sorted({min(c, len(body)) for c in cuts})
    bounds = [0, *at, len(body)]
    return [header + "".join(body[a:b]) for a, b in itertools.pairwise(bounds)]


def _line(path: str, line: int | None) -> str:
    assert line is not None
    text = Path(path).read_bytes().decode("utf-8-sig").splitlines()
    return text[line - 1]


@settings(max_examples=150, deadline=None)
@given(
    case=folders(),
    cuts=st.lists(st.integers(0, 10), max_size=3),
    columnar=st.booleans(),
)
def test_a_split_folder_reads_as_the_single_files(
    case: dict[str, Any], cuts: list[int], columnar: bool
) -> None:
    # the cases outside line-by-line splitting: a lone carriage return is one long line,
    # quotes may span lines, latin-1 is refused for the first file only
    if "\r" in case["people"].replace("\r\n", "") or case["latin1"] or '"' in case["ties"]:
        return
    if not case["ties"]:
        return
    with tempfile.TemporaryDirectory() as tmp:
        one, split = Path(tmp) / "one", Path(tmp) / "split"
        one.mkdir()
        split.mkdir()
        (one / "people.csv").write_text(case["people"], encoding="utf-8")
        (one / "ties.csv").write_text(case["ties"], encoding="utf-8")
        for name in ("people", "ties"):
            for k, text in enumerate(_split_text(case[name], cuts)):
                (split / f"{name}-{k + 1:04d}.csv").write_text(text, encoding="utf-8")
        kind, got = _load(split, columnar=columnar)
        want_kind, want = _load(one, columnar=columnar)
        assert kind == want_kind
        if kind == "error":
            assert got == want
            return
        assert got[:4] == want[:4]
        where, where_one = got[4], want[4]
        assert where.keys() == where_one.keys()
        for key, (file, line) in where.items():
            assert Path(file).parent == split
            assert _line(file, line) == _line(*where_one[key])


BASE = Path(__file__).parent.parent.parent / "benchmarks" / "data" / "n100000-s1-planted" / "csv"


def _small_folder(tmp_path: Path) -> Path:
    d = tmp_path / "one"
    d.mkdir()
    (d / "people.csv").write_text(
        "id,roles\nco1,coach\ncl1,client\ncl2,client\nfr1,\n", encoding="utf-8"
    )
    (d / "ties.csv").write_text(
        "id,kind,source,target,start,relation\n"
        "t1,coaching,co1,cl1,2025-01-01,\n"
        "t2,coaching,co1,cl2,2025-01-01,\n"
        "t3,romance,cl1,co1,2025-02-01,\n"
        "t4,family,co1,fr1,,spouse\n",
        encoding="utf-8",
    )
    (d / "agreements.csv").write_text(
        "id,tie,signed\na1,t1,2024-12-20\na2,t2,2024-12-21\na3,t1,2024-12-22\n",
        encoding="utf-8",
    )
    return d


def test_split_folder_writes_parts_that_read_back(tmp_path: Path) -> None:
    one = _small_folder(tmp_path)
    written = split_folder(str(one), str(tmp_path / "split"), 2)
    assert [Path(w).name for w in written] == [
        "people-0001.csv",
        "people-0002.csv",
        "ties-0001.csv",
        "ties-0002.csv",
        "agreements-0001.csv",
        "agreements-0002.csv",
    ]
    a, b = load_registry(one), load_registry(tmp_path / "split")
    assert (a.people, a.ties, a.practice) == (b.people, b.ties, b.practice)
    # the third agreement is the first row of the second part
    loc = b.locations[("agreement", "a3")]
    assert (Path(loc.file).name, loc.line) == ("agreements-0002.csv", 2)
    assert registry_sha256(tmp_path / "split") != registry_sha256(one)


def test_a_duplicate_across_parts_is_located_in_both(tmp_path: Path) -> None:
    d = tmp_path / "split"
    d.mkdir()
    (d / "people-1.csv").write_text("id,roles\nco1,coach\ncl1,client\n", encoding="utf-8")
    (d / "people-2.csv").write_text("id,roles\ncl2,client\nco1,coach\n", encoding="utf-8")
    (d / "ties-1.csv").write_text("id,kind,source,target\nt1,coaching,co1,cl1\n", encoding="utf-8")
    (d / "ties-2.csv").write_text(
        "id,kind,source,target\nt2,coaching,co1,cl2\nt1,coaching,co1,cl2\n", encoding="utf-8"
    )
    (d / "agreements-1.csv").write_text("id,tie,signed\na1,t1,2024-12-20\n", encoding="utf-8")
    (d / "agreements-2.csv").write_text("id,tie,signed\na1,t2,2024-12-20\n", encoding="utf-8")
    with pytest.raises(RegistryError) as e:
        load_registry(d)
    got = sorted((Path(p.file).name, p.line, p.code, p.message) for p in e.value.problems)
    first_people = str(d / "people-1.csv")
    assert got == [
        ("agreements-2.csv", 2, "duplicate-agreement", "agreement id 'a1' already used at line 2"),
        (
            "people-2.csv",
            3,
            "duplicate-person",
            f"person id 'co1' already used at {first_people} line 2",
        ),
        (
            "ties-2.csv",
            3,
            "duplicate-tie",
            f"tie id 't1' already used at {d / 'ties-1.csv'} line 2",
        ),
    ]


def test_a_section_given_both_ways_is_refused(tmp_path: Path) -> None:
    d = _small_folder(tmp_path)
    (d / "ties-0001.csv").write_text("id,kind,source,target\n", encoding="utf-8")
    with pytest.raises(RegistryError) as e:
        load_registry(d)
    assert [(Path(p.file).name, p.code) for p in e.value.problems] == [("ties.csv", "invalid")]


@pytest.mark.parametrize("columnar", [False, True])
def test_a_person_given_again_in_a_later_part_has_no_roles_read(
    tmp_path: Path, columnar: bool
) -> None:
    """As within one file, a row giving an id of an earlier part is a duplicate whose roles
    are not read: its unknown role is not warned about, and a later row's use of the same
    roles text is the first one (the split reader once warned at the duplicate)."""
    people = "id,roles\np1,coach\np2,client\np1,wizard\np3,wizard\n"
    ties = "id,kind,source,target\nt1,coaching,p1,p2\n"
    one, split = tmp_path / "one", tmp_path / "split"
    one.mkdir()
    split.mkdir()
    (one / "people.csv").write_text(people, encoding="utf-8")
    (one / "ties.csv").write_text(ties, encoding="utf-8")
    for k, text in enumerate(_split_text(people, [2])):
        (split / f"people-{k + 1:04d}.csv").write_text(text, encoding="utf-8")
    (split / "ties-0001.csv").write_text(ties, encoding="utf-8")
    want = _load(one, columnar=columnar)
    assert want == (
        "error",
        [("duplicate-person", "p1", "id"), ("unknown-role", "p3", "roles")],
    )
    assert _load(split, columnar=columnar) == want
