"""The fast path for valid rows of the practice sections (but contacts) reads as the
general path does: on generated files, good and bad, the same records, lines, warnings
and errors with it (``PracticeReader.row``) and without it."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dualrel._internal.problems import Collector
from dualrel.errors import RegistryError
from dualrel.graph import _csv
from dualrel.graph._practice_reader import PracticeReader
from dualrel.graph.model import CORE_ROLES, CORE_TIE_KINDS

PEOPLE = "id,roles\nco1,coach\ncl1,client\ncl2,client\nsu1,coach\n"
TIES = "id,kind,source,target\nt1,coaching,co1,cl1\nt2,coaching,co1,cl2\nt3,friendship,cl1,cl2\n"

#: per section: its columns and a valid row (cells in column order)
GOOD: dict[str, tuple[list[str], list[str]]] = {
    "agreements": (
        [
            "id",
            "tie",
            "signed",
            "roles",
            "covers",
            "channels",
            "response_window_hours",
            "reviewed",
            "hours",
            "days",
        ],
        [
            "ag",
            "t1",
            "2026-01-05",
            "coach;assessor",
            "confidentiality;escalation",
            "email;platform",
            "24",
            "2026-03-01",
            "08:00-19:00",
            "mon;tue;wed",
        ],
    ),
    "consents": (
        ["id", "person", "purpose", "scope", "given", "withdrawn", "recipient"],
        ["cs", "cl1", "data_sharing", "sessions", "2026-01-01", "2026-02-01", "Acme Ltd"],
    ),
    "assessments": (
        ["id", "client", "assessor", "instrument", "date"],
        ["as", "cl1", "co1", "MBTI", "2026-02-03"],
    ),
    "disclosures": (
        ["id", "client", "recipient", "date", "content", "by"],
        ["ds", "cl2", "Acme Ltd", "2026-02-04", "summary", "co1"],
    ),
    "supervision_sessions": (
        ["id", "supervisor", "coach", "date"],
        ["ss", "su1", "co1", "2026-02-05"],
    ),
    "concerns": (
        ["id", "about", "raised", "status", "raised_by", "resolved"],
        ["cn", "t1", "2026-01-10", "resolved", "cl1", "2026-01-20"],
    ),
    "records": (
        ["id", "client", "kind", "created", "retain_until", "destroyed"],
        ["rc", "cl1", "session_notes", "2025-01-01", "2032-01-01", ""],
    ),
}

#: cells that make a row wrong or unusual (or are just other valid values)
TWISTS: dict[str, list[str]] = {
    "id": ["", " ", "dup"],
    "tie": ["", "t3", "t9", " "],
    "signed": ["", "2026-13-01", "05/01/2026", "2027-01-01"],
    "roles": ["", "coach;wizard", "mentor", ";;", "coach; mentor"],
    "covers": ["", "confidentiality;gossip", "fees"],
    "channels": ["", "pigeon", "Email", "sms"],
    "response_window_hours": ["", "0", "-3", "abc", " 12 ", "1.5", "\u00b2", "\u0663"],
    "reviewed": ["", "2025-01-01", "2026-02-30"],
    "hours": ["", "8-19", "19:00-08:00", "08:00-08:00", "24:00-01:00"],
    "days": ["", "mon;funday", "sun"],
    "person": ["", "nobody", " "],
    "purpose": ["assessment", "data_sharing", "gossip", ""],
    "scope": ["", " "],
    "given": ["", "2026-03-01", "x"],
    "withdrawn": ["", "2025-12-01"],
    "recipient": ["", " ", "co1"],
    "client": ["", "nobody", "cl2"],
    "assessor": ["", "co9"],
    "instrument": ["", " "],
    "date": ["", "2026-02-30"],
    "content": ["", " "],
    "by": ["", "nobody"],
    "supervisor": ["", "nobody"],
    "coach": ["", "cl1"],
    "about": ["", "cl1", "t9", "nobody"],
    "raised": ["", "2026-02-01"],
    "status": ["open", "in_review", "dismissed", "closed", ""],
    "raised_by": ["", "nobody"],
    "resolved": ["", "2026-01-01"],
    "kind": ["", "billing", "diary"],
    "created": ["", "2033-01-01"],
    "retain_until": ["", "2020-01-01"],
    "destroyed": ["", "2026-01-01", "2024-01-01"],
}


@st.composite
def section_files(draw: st.DrawFn) -> tuple[str, str]:
    section = draw(st.sampled_from(sorted(GOOD)))
    columns, good = GOOD[section]
    columns = list(columns)
    good = list(good)
    shape = draw(st.sampled_from(["same", "drop-optional", "extra", "shuffled"]))
    if shape == "drop-optional":
        drop = draw(st.sampled_from(columns[1:]))
        at = columns.index(drop)
        del columns[at], good[at]
    elif shape == "extra":
        columns.append("note")
        good.append("x")
    elif shape == "shuffled":
        order = draw(st.permutations(range(len(columns))))
        columns = [columns[i] for i in order]
        good = [good[i] for i in order]
    rows = []
    for i in range(draw(st.integers(1, 6))):
        row = list(good)
        row[columns.index("id")] = f"{good[columns.index('id')]}{i}"
        if draw(st.integers(0, 2)) == 0:  # about a third of the rows twisted
            at = draw(st.integers(0, len(columns) - 1))
            twists = TWISTS.get(columns[at], [""])
            value = draw(st.sampled_from(twists))
            row[at] = f"{good[columns.index('id')]}0" if value == "dup" else value
        rows.append(row)
    text = "\n".join(",".join(r) for r in [columns, *rows]) + "\n"
    return section, text


def _outcome(folder: Path, *, columnar: bool = False) -> tuple[str, Any]:
    c = Collector()
    try:
        reg = _csv.load_csv_folder(
            str(folder), c, kinds=CORE_TIE_KINDS, roles=CORE_ROLES, as_of=None, columnar=columnar
        )
    except RegistryError as e:
        return "error", e.problems
    lines = {key: (loc.file, loc.line) for key, loc in reg.locations.items()}
    return "ok", (lines, tuple(c.warnings), reg.practice)


def _both(folder: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any]:
    fast = _outcome(folder)
    with monkeypatch.context() as m:
        m.setattr(PracticeReader, "row_plan", lambda *_a: None)
        general = _outcome(folder)
    return fast, general


@settings(max_examples=500, deadline=None)
@given(case=section_files())
def test_valid_rows_read_fast_as_the_general_path_reads_them(case: tuple[str, str]) -> None:
    section, text = case
    with tempfile.TemporaryDirectory() as tmp, pytest.MonkeyPatch.context() as mp:
        d = Path(tmp)
        (d / "people.csv").write_text(PEOPLE, encoding="utf-8")
        (d / "ties.csv").write_text(TIES, encoding="utf-8")
        (d / f"{section}.csv").write_text(text, encoding="utf-8")
        fast, general = _both(d, mp)
        assert fast == general


def test_valid_rows_take_the_fast_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "people.csv").write_text(PEOPLE, encoding="utf-8")
    (tmp_path / "ties.csv").write_text(TIES, encoding="utf-8")
    for section, (columns, good) in GOOD.items():
        rows = [columns, good, [f"{good[0]}2", *good[1:]]]
        text = "\n".join(",".join(r) for r in rows) + "\n"
        (tmp_path / f"{section}.csv").write_text(text, encoding="utf-8")
    general: list[str] = []
    read = PracticeReader.read

    def counted(self: PracticeReader, section: str, *args: Any) -> bool:
        general.append(section)
        return read(self, section, *args)

    monkeypatch.setattr(PracticeReader, "read", counted)
    kind, outcome = _outcome(tmp_path)
    assert kind == "ok" and general == []
    practice = outcome[2]
    assert {s: n for s, n in practice.counts().items() if n} == dict.fromkeys(
        [s for s in GOOD if s != "contacts"], 2
    )
    assert practice.agreements[0].roles == ("coach", "assessor")
    assert practice.agreements[0].response_window_hours == 24
    monkeypatch.setattr(PracticeReader, "row_plan", lambda *_a: None)
    assert _outcome(tmp_path) == (kind, outcome)
    assert len(general) == 2 * len(GOOD)


@settings(max_examples=500, deadline=None)
@given(case=section_files(), quoted=st.booleans(), blank=st.booleans())
def test_sections_read_by_columns_as_rows_read_them(
    case: tuple[str, str], quoted: bool, blank: bool
) -> None:
    # the columnar reader takes a file only when every row would be kept by the row
    # reader's fast path; a quoted cell or a blank line leaves the file to the rows
    section, text = case
    if quoted:
        header, _, rest = text.partition("\n")
        text = header + "\n" + rest.replace(",", ',"', 1).replace(",", '",', 1)
    if blank:
        text += "\n"
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        (d / "people.csv").write_text(PEOPLE, encoding="utf-8")
        (d / "ties.csv").write_text(TIES, encoding="utf-8")
        (d / f"{section}.csv").write_text(text, encoding="utf-8")
        assert _outcome(d, columnar=True) == _outcome(d, columnar=False)


def test_valid_sections_are_read_by_columns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "people.csv").write_text(PEOPLE, encoding="utf-8")
    (tmp_path / "ties.csv").write_text(TIES, encoding="utf-8")
    for section, (columns, good) in GOOD.items():
        rows = [columns, good, [f"{good[0]}2", *good[1:]], [f"{good[0]}3", *good[1:]]]
        text = "\n".join(",".join(r) for r in rows) + "\n"
        (tmp_path / f"{section}.csv").write_text(text, encoding="utf-8")
    by_rows: list[str] = []
    row = PracticeReader.row

    def counted(self: PracticeReader, section: str, *args: Any) -> bool:
        by_rows.append(section)
        return row(self, section, *args)

    monkeypatch.setattr(PracticeReader, "row", counted)
    kind, outcome = _outcome(tmp_path, columnar=True)
    assert kind == "ok" and by_rows == []
    lines, _, practice = outcome
    assert {s: n for s, n in practice.counts().items() if n} == dict.fromkeys(
        [s for s in GOOD if s != "contacts"], 3
    )
    assert lines[("agreement", "ag3")] == (str(tmp_path / "agreements.csv"), 4)
    assert _outcome(tmp_path, columnar=False) == (kind, outcome)
    assert len(by_rows) == 3 * len(GOOD)
