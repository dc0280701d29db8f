"""The columnar CSV path gives what the row-by-row reader gives, or steps aside.

``load_csv_folder(columnar=False)`` is the row-by-row reader alone, ``columnar=True`` tries
the columnar path first, and the default picks by the files' size.  On generated folders,
good and bad, both must give the same people, ties, lines and warnings, or the same errors.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dualrel._internal.problems import Collector
from dualrel.errors import RegistryError
from dualrel.graph import _csv, _csv_columns
from dualrel.graph._arrow_columns import distinct
from dualrel.graph._csv_people import _blank
from dualrel.graph._people_ties import PeopleTiesReader
from dualrel.graph._practice_reader import PracticeReader
from dualrel.graph.model import CORE_ROLES, CORE_TIE_KINDS

PEOPLE_IDS = ["co1", "co2", "cl1", "cl2", "cl3", "sp1", "su1", "ma1"]
ROLE_TEXTS = [
    "coach",
    "client",
    "coach;mentor",
    "sponsor",
    "supervisor",
    "manager",
    "",
    "client ; sponsor",
    "cleint",
]
KINDS = [
    "coaching",
    "family",
    "romance",
    "sponsorship",
    "supervision",
    "management",
    "business",
    "friendship",
]
DATES = ["", "2024-01-01", "2025-06-30", "2026-11-26"]
RELATIONS = ["", "spouse", "cousin"]
TIE_COLUMNS = [
    "id,kind,source,target,start,end,agreement_signed,relation",
    "kind,source,target,start,end",
    "id,kind,source,target,relation",
    "id,kind,source,target,start,end",
    "kind,source,target,agreement_signed",
]
#: one error planted in a row (or none): each is what the columnar path must step aside for
BREAKS = ["none"] * 8 + [
    "unknown-kind",
    "unknown-person",
    "invalid-date",
    "end-before-start",
    "self-tie",
    "duplicate-tie",
    "empty-person-id",
    "space-person-id",
    "duplicate-person",
    "invalid-relation",
    "invalid-attribute-date",
]
#: the ways a file leaves what the columnar path reads alike (or none)
TWISTS = ["none"] * 8 + [
    "bom",
    "crlf",
    "blank",
    "quote",
    "quoted-comma",
    "width",
    "cr",
    "space-header",
    "nul",
    "latin1",
    "empty-ties",
    "header-only",
]


@st.composite
def folders(draw: st.DrawFn) -> dict[str, Any]:
    """The text of a people.csv and a ties.csv: valid, or broken in one of many ways."""
    people = draw(st.lists(st.sampled_from(PEOPLE_IDS), min_size=2, max_size=8, unique=True))
    extra_people_column = draw(st.booleans())
    header = "id,roles,name,organisation" + (",team" if extra_people_column else "")
    rows = []
    for pid in people:
        cells = [
            pid,
            draw(st.sampled_from(ROLE_TEXTS)),
            draw(st.sampled_from(["", "Ada", "Kim Okafor"])),
            draw(st.sampled_from(["", "Acme", "Bluebird"])),
        ]
        if extra_people_column:
            cells.append(draw(st.sampled_from(["", "north"])))
        rows.append(cells)
    columns = draw(st.sampled_from(TIE_COLUMNS)).split(",")
    ties = []
    for i in range(draw(st.integers(0, 10))):
        source, target = draw(st.permutations(people))[:2]
        start, end = sorted(draw(st.lists(st.sampled_from(DATES[1:]), min_size=2, max_size=2)))
        ties.append(
            {
                "id": draw(st.sampled_from([f"t{i}", f"t{i}", ""])),
                "kind": draw(st.sampled_from(KINDS)),
                "source": source,
                "target": target,
                "start": draw(st.sampled_from(["", start])),
                "end": draw(st.sampled_from(["", end])),
                "agreement_signed": draw(st.sampled_from(DATES)),
                "relation": draw(st.sampled_from(RELATIONS)),
            }
        )
    broken = draw(st.sampled_from(BREAKS))
    if ties:
        tie = draw(st.sampled_from(ties))
        if broken == "unknown-kind":
            tie["kind"] = "romence"
        elif broken == "unknown-person":
            tie[draw(st.sampled_from(["source", "target"]))] = "nobody"
        elif broken == "invalid-date":
            tie[draw(st.sampled_from(["start", "end"]))] = draw(
                st.sampled_from(["2025-02-30", "2025-1-1", "soon"])
            )
        elif broken == "end-before-start":
            tie["start"], tie["end"] = "2026-01-02", "2026-01-01"
        elif broken == "self-tie":
            tie["target"] = tie["source"]
        elif broken == "duplicate-tie":
            tie["id"] = "t0"
        elif broken == "invalid-relation":
            tie["kind"], tie["relation"] = "family", "aunt"
        elif broken == "invalid-attribute-date":
            tie["agreement_signed"] = "yesterday"
    row = draw(st.sampled_from(rows))
    if broken == "empty-person-id":
        row[0] = ""
    elif broken == "space-person-id":
        row[0] = " "
    elif broken == "duplicate-person":
        row[0] = people[0]
    people_text = "\n".join([header, *map(",".join, rows)]) + "\n"
    tie_rows = [",".join(t[c] for c in columns) for t in ties]
    ties_text = "\n".join([",".join(columns), *tie_rows]) + draw(st.sampled_from(["\n", ""]))
    twist = draw(st.sampled_from(TWISTS))
    if twist == "bom":
        people_text = "\ufeff" + people_text
    elif twist == "crlf":
        ties_text = ties_text.replace("\n", "\r\n")
    elif twist == "blank":
        people_text = people_text.replace("\n", "\n\n", 1)
    elif twist == "quote" and ties:
        ties_text = ties_text.replace(",", ',"', 1).replace(",", '",', 2)
    elif twist == "quoted-comma":
        people_text = people_text.replace(",Ada,", ',"Ada, Lovelace",')
    elif twist == "width" and ties:
        ties_text = ties_text.rstrip("\n") + ",extra\n"
    elif twist == "cr":
        people_text = people_text.replace("\n", "\r")
    elif twist == "space-header":
        people_text = " id , roles" + people_text[len("id,roles") :]
    elif twist == "nul":
        people_text = people_text.replace("Kim", "K\x00im")
    elif twist == "empty-ties":
        ties_text = ""
    elif twist == "header-only":
        ties_text = ",".join(columns) + "\n"
    return {"people": people_text, "ties": ties_text, "latin1": twist == "latin1"}


def _outcome(folder: Path, *, columnar: bool) -> tuple[str, Any]:
    c = Collector()
    try:
        reg = _csv.load_csv_folder(
            str(folder),
            c,
            kinds=CORE_TIE_KINDS,
            roles=CORE_ROLES,
            as_of=None,
            columnar=columnar,
        )
    except RegistryError as e:
        return "error", e.problems
    lines = {key: (loc.file, loc.line) for key, loc in reg.locations.items()}
    return "ok", (reg.people, reg.ties, lines, tuple(c.warnings), reg.practice)


def _write(folder: Path, case: dict[str, Any]) -> None:
    folder.mkdir(exist_ok=True)
    encoding = "latin-1" if case["latin1"] else "utf-8"
    people = case["people"].replace("Ada", "Adé") if case["latin1"] else case["people"]
    (folder / "people.csv").write_bytes(people.encode(encoding, "replace"))
    (folder / "ties.csv").write_bytes(case["ties"].encode("utf-8"))


@settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(case=folders())
def test_columnar_reads_as_rows_do(tmp_path: Path, case: dict[str, Any]) -> None:
    _write(tmp_path / "reg", case)
    by_rows = _outcome(tmp_path / "reg", columnar=False)
    assert _outcome(tmp_path / "reg", columnar=True) == by_rows


@settings(max_examples=60, deadline=None)
@given(case=folders())
def test_columnar_reads_files_of_many_chunks_as_rows_do(case: dict[str, Any]) -> None:
    # large files come in many chunks (pyarrow parses a block at a time): every column,
    # code and slice must line up across chunk boundaries
    with tempfile.TemporaryDirectory() as tmp, pytest.MonkeyPatch.context() as mp:
        mp.setattr(_csv_columns, "BLOCK_SIZE", 64)
        _write(Path(tmp) / "reg", case)
        by_rows = _outcome(Path(tmp) / "reg", columnar=False)
        assert _outcome(Path(tmp) / "reg", columnar=True) == by_rows


def _plain(tmp_path: Path, people: str, ties: str) -> Path:
    d = tmp_path / "reg"
    d.mkdir(exist_ok=True)
    (d / "people.csv").write_text(people, encoding="utf-8")
    (d / "ties.csv").write_text(ties, encoding="utf-8")
    return d


PEOPLE = "id,roles,name\nco1,coach,\ncl1,client,Kim\nfr1,,\n"
TIES = (
    "id,kind,source,target,start,end,relation\n"
    "t1,coaching,co1,cl1,2025-01-01,,\n"
    "t2,family,co1,fr1,,,\n"
    "t3,coaching,fr1,cl1,,,\n"
)


def test_plain_files_take_the_columnar_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    d = _plain(tmp_path, PEOPLE, TIES)
    by_rows = _outcome(d, columnar=False)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the row-by-row reader was used")

    monkeypatch.setattr(_csv, "_read_ties", refuse)
    monkeypatch.setattr(_csv, "_read_people", refuse)
    kind, (people, ties, lines, warnings, _) = _outcome(d, columnar=True)
    assert (kind, (people, ties, lines, warnings, _)) == by_rows
    # the warnings a valid file has: a family tie without relation, a coaching tie from
    # someone without the coach role, in row order, located
    assert [(w.code, w.line, w.field) for w in warnings] == [
        ("missing-relation", 3, "relation"),
        ("role-mismatch", 4, "source"),
    ]
    assert lines[("tie", "t3")] == (str(d / "ties.csv"), 4)


def _refuse(*args: object, **kwargs: object) -> None:
    raise AssertionError("this reader must not be used")


def test_by_default_small_folders_are_read_by_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    d = _plain(tmp_path, PEOPLE, TIES)
    monkeypatch.setattr(_csv, "_pyarrow_imported", lambda: False)
    monkeypatch.setattr(_csv_columns, "read_columns", _refuse)
    c = Collector()
    reg = _csv.load_csv_folder(str(d), c, kinds=CORE_TIE_KINDS, roles=CORE_ROLES, as_of=None)
    _, (people, ties, *_) = _outcome(d, columnar=False)
    assert (reg.people, reg.ties) == (people, ties)


def test_by_default_folders_from_the_threshold_up_are_read_by_columns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    d = _plain(tmp_path, PEOPLE, TIES)
    size = (d / "people.csv").stat().st_size + (d / "ties.csv").stat().st_size
    monkeypatch.setattr(_csv, "_pyarrow_imported", lambda: False)
    monkeypatch.setattr(_csv, "COLUMNAR_MIN_BYTES", size)
    monkeypatch.setattr(_csv, "_read_ties", _refuse)
    monkeypatch.setattr(_csv, "_read_people", _refuse)
    c = Collector()
    reg = _csv.load_csv_folder(str(d), c, kinds=CORE_TIE_KINDS, roles=CORE_ROLES, as_of=None)
    assert len(reg.ties) == 3
    # one byte more and the row reader takes it, unless pyarrow is imported already
    monkeypatch.setattr(_csv, "COLUMNAR_MIN_BYTES", size + 1)
    with pytest.raises(AssertionError, match="must not be used"):
        _csv.load_csv_folder(
            str(d), Collector(), kinds=CORE_TIE_KINDS, roles=CORE_ROLES, as_of=None
        )
    monkeypatch.setattr(_csv, "_pyarrow_imported", lambda: True)
    reg = _csv.load_csv_folder(
        str(d), Collector(), kinds=CORE_TIE_KINDS, roles=CORE_ROLES, as_of=None
    )
    assert len(reg.ties) == 3


def test_whether_pyarrow_is_imported_is_told_right() -> None:
    code = (
        "import sys; from dualrel.graph import _csv; a = _csv._pyarrow_imported(); "
        "import dualrel.graph._csv_columns; print(a, _csv._pyarrow_imported())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]


@pytest.mark.parametrize(
    ("people", "ties"),
    [
        (PEOPLE.replace("Kim", '"Okafor, Kim"'), TIES),  # quoting
        (PEOPLE, TIES.replace("t2,", "\nt2,")),  # a blank line shifts the lines
        (PEOPLE, TIES.replace("co1,cl1", "co1,nobody")),  # an error: rows locate it
        (PEOPLE, TIES.replace("t3,", "t1,")),  # a duplicate id
        (PEOPLE, TIES.replace("t3,coaching,fr1,cl1,,,", "t3,coaching,fr1,cl1,,")),  # width
    ],
)
def test_files_outside_the_columnar_path_step_aside(tmp_path: Path, people: str, ties: str) -> None:
    d = _plain(tmp_path, people, ties)
    assert (
        _csv_columns.read_columns(
            str(d / "people.csv"), str(d / "ties.csv"), kinds=CORE_TIE_KINDS, roles=CORE_ROLES
        )
        is None
    )
    assert _outcome(d, columnar=True) == _outcome(d, columnar=False)


CONTACT_PEOPLE = "id,roles\nco1,coach\ncl1,client\ncl2,client\n"
CONTACT_TIES = "id,kind,source,target\nt1,coaching,co1,cl1\nt2,coaching,co1,cl2\n"
AT = ["2026-10-27T14:28:00+01:00", "2026-10-28T09:00:00Z", "2026-11-01T23:59:00-05:00"]


@st.composite
def contact_files(draw: st.DrawFn) -> str:
    """A contacts.csv: valid rows, now and then one broken or unusual."""
    columns = draw(
        st.sampled_from(
            [
                "id,coach,client,channel,at,initiated_by,responded_at",
                "id,coach,client,channel,at,initiated_by",
                "id,client,coach,at,channel,initiated_by,responded_at",
                "id,coach,client,channel,at,initiated_by,responded_at,note",
            ]
        )
    ).split(",")
    rows = []
    for i in range(draw(st.integers(0, 8))):
        at = draw(st.sampled_from(AT))
        rows.append(
            {
                "id": f"ct{i}",
                "coach": "co1",
                "client": draw(st.sampled_from(["cl1", "cl2"])),
                "channel": draw(st.sampled_from(["email", "phone", "platform"])),
                "at": at,
                "initiated_by": draw(st.sampled_from(["coach", "client"])),
                "responded_at": draw(st.sampled_from(["", "2026-11-02T10:00:00+00:00"])),
                "note": draw(st.sampled_from(["", "late"])),
            }
        )
    if rows:
        row = draw(st.sampled_from(rows))
        field, value = draw(
            st.sampled_from(
                [
                    ("id", "ct0"),  # duplicate, or the same
                    ("id", " "),
                    ("coach", ""),
                    ("coach", "nobody"),
                    ("client", "co1"),
                    ("channel", "pigeon"),
                    ("channel", "Email"),
                    ("at", "2026-10-27T14:28:00"),  # no timezone
                    ("at", "2026-10-27"),
                    ("at", "yesterday"),
                    ("initiated_by", "sponsor"),
                    ("responded_at", "2026-01-01T00:00:00+00:00"),  # before the contact
                    ("responded_at", "soon"),
                    ("note", "x"),
                ]
                + [("id", row["id"])] * 8  # most files stay valid
            )
        )
        row[field] = value
    text = "\n".join([",".join(columns), *(",".join(r[c] for c in columns) for r in rows)])
    return text + "\n"


@settings(max_examples=300, deadline=None)
@given(contacts=contact_files())
def test_columnar_reads_contacts_as_rows_do(contacts: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        d = _plain(Path(tmp), CONTACT_PEOPLE, CONTACT_TIES)
        (d / "contacts.csv").write_text(contacts, encoding="utf-8")
        assert _outcome(d, columnar=True) == _outcome(d, columnar=False)


def _two_contacts(tmp_path: Path, at: str, responded: str) -> tuple[Path, bool]:
    """A folder whose contacts are ``ct1`` (at ``at``, answered at ``responded``) and a
    plain ``ct2``; and whether the columnar reader takes its contacts."""
    d = _plain(tmp_path, CONTACT_PEOPLE, CONTACT_TIES)
    (d / "contacts.csv").write_text(
        "id,coach,client,channel,at,initiated_by,responded_at\n"
        f"ct1,co1,cl1,email,{at},client,{responded}\n"
        f"ct2,co1,cl2,phone,{AT[2]},coach,\n",
        encoding="utf-8",
    )
    practice = PracticeReader(PeopleTiesReader(Collector(), CORE_TIE_KINDS, CORE_ROLES))
    return d, _csv_columns.read_contacts(str(d / "contacts.csv"), practice)


def test_plain_contacts_take_the_columnar_path(tmp_path: Path) -> None:
    d, columnar = _two_contacts(tmp_path, AT[0], AT[1])
    assert columnar
    kind, outcome = _outcome(d, columnar=True)
    assert (kind, outcome) == _outcome(d, columnar=False)
    contacts = outcome[4].contacts
    assert [(k.id, k.channel, k.at.utcoffset(), k.responded_at) for k in contacts] == [
        ("ct1", "email", timedelta(hours=1), datetime(2026, 10, 28, 9, tzinfo=UTC)),
        ("ct2", "phone", timedelta(hours=-5), None),
    ]
    assert outcome[2][("contact", "ct2")] == (str(d / "contacts.csv"), 3)


@pytest.mark.parametrize(
    ("responded", "columnar"),
    [
        ("2026-11-02T09:30:00+00:00", True),  # 09:30Z, after the contact at 09:00Z
        ("2026-11-02T10:00:00+01:00", True),  # the same instant as the contact
        ("2026-11-02T09:59:00+01:00", False),  # 08:59Z: before it, for the checks to say
        ("2026-11-02T08:59:59.999999+00:00", False),
    ],
)
def test_answers_before_their_contact_are_compared_as_instants(
    tmp_path: Path, responded: str, columnar: bool
) -> None:
    d, taken = _two_contacts(tmp_path, "2026-11-02T10:00:00+01:00", responded)
    assert taken is columnar
    assert _outcome(d, columnar=True) == _outcome(d, columnar=False)


@given(
    st.lists(
        st.lists(st.sampled_from(["a", "b", "c", "p1", "p2", "t1", "t2", "é"]), max_size=5),
        max_size=4,
    ),
    st.booleans(),
)
def test_ids_are_distinct_exactly_when_no_id_repeats(runs: list[list[str]], sort: bool) -> None:
    # exports in id order one after another (sorted runs) take the comparison of
    # neighbours; anything else the hash
    values = [v for run in runs for v in (sorted(run) if sort else run)]
    assert distinct(pa.array(values, pa.string())) == (len(set(values)) == len(values))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(st.sampled_from(" \t\x1c\x85\u3000\u200ba1é"), max_size=3), min_size=1))
def test_blank_ids_are_told_as_str_isspace_tells_them(ids: list[str]) -> None:
    # an empty id or one of white space only (Unicode's, as Python reads it) sends the
    # folder to the row-by-row reader; an id that only begins with white space does not
    expected = any(not i or i.isspace() for i in ids)
    assert _blank(pa.array(ids, pa.string())) == expected
