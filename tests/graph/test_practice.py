"""The optional practice-record sections: every loader reads every section, and every
problem is reported with its location (file and line; JSON pointer for JSON and YAML)."""

from __future__ import annotations

import copy
import csv
import json
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from dualrel.errors import Problem
from dualrel.graph import (
    PRACTICE_SECTIONS,
    SourceLocation,
    build_graph,
    dump_registry,
    load_registry,
    load_registry_with_warnings,
    registry_from_graph,
)
from dualrel.graph.practice import Agreement, Contact

from .helpers import FORMAT, one, problems_of

CET = timezone(timedelta(hours=1))

PEOPLE = [
    {"id": "co001", "roles": ["coach"]},
    {"id": "cl0001", "roles": ["client"]},
    {"id": "su001", "roles": ["supervisor"]},
    {"id": "sp001", "roles": ["sponsor"], "organisation": "Acme"},
]
TIES = [
    {"id": "t1", "kind": "coaching", "source": "co001", "target": "cl0001", "start": "2025-03-01"},
    {"id": "t2", "kind": "sponsorship", "source": "sp001", "target": "cl0001"},
]
SECTIONS: dict[str, list[dict[str, Any]]] = {
    "agreements": [
        {
            "id": "a1",
            "tie": "t1",
            "signed": "2025-02-20",
            "roles": ["coach", "assessor"],
            "covers": ["confidentiality", "escalation"],
            "channels": ["email", "platform"],
            "response_window_hours": 48,
            "reviewed": "2026-09-01",
            "hours": "09:00-18:00",
            "days": ["mon", "tue", "wed", "thu", "fri"],
        },
    ],
    "consents": [
        {
            "id": "c1",
            "person": "cl0001",
            "purpose": "data_sharing",
            "scope": "progress",
            "given": "2025-03-01",
            "withdrawn": None,
            "recipient": "sp001",
        },
        {
            "id": "c2",
            "person": "cl0001",
            "purpose": "assessment",
            "given": "2025-03-01",
            "withdrawn": "2025-09-01",
        },
    ],
    "assessments": [
        {
            "id": "as1",
            "client": "cl0001",
            "assessor": "co001",
            "instrument": "MBTI",
            "date": "2025-04-01",
        },
    ],
    "disclosures": [
        {
            "id": "d1",
            "client": "cl0001",
            "recipient": "Acme",
            "date": "2025-05-01",
            "content": "progress summary",
            "by": "co001",
        },
    ],
    "supervision_sessions": [
        {"id": "s1", "supervisor": "su001", "coach": "co001", "date": "2026-11-01"},
    ],
    "contacts": [
        {
            "id": "k1",
            "coach": "co001",
            "client": "cl0001",
            "channel": "sms",
            "at": "2026-11-20T22:10:00+01:00",
            "responded_at": "2026-11-22T09:00:00Z",
            "initiated_by": "client",
        },
        {
            "id": "k2",
            "coach": "co001",
            "client": "cl0001",
            "channel": "email",
            "at": "2026-11-21T08:00:00Z",
            "initiated_by": "coach",
        },
    ],
    "concerns": [
        {
            "id": "q1",
            "raised_by": "cl0001",
            "about": "t1",
            "raised": "2026-10-01",
            "status": "open",
        },
        {
            "id": "q2",
            "about": "co001",
            "raised": "2026-10-01",
            "status": "resolved",
            "resolved": "2026-10-09",
        },
    ],
    "records": [
        {
            "id": "r1",
            "client": "cl0001",
            "kind": "session_notes",
            "created": "2018-01-01",
            "retain_until": "2025-01-01",
            "destroyed": None,
        },
    ],
}


def _doc(**sections: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "as_of": "2026-11-26",
        "people": PEOPLE,
        "ties": TIES,
        **copy.deepcopy(SECTIONS),
        **sections,
    }


def write_json(path: Path, doc: dict[str, Any]) -> tuple[Path, dict[tuple[str, int], int]]:
    """One record per line; returns the line of each (section, index)."""
    out = ["{" + f'"format": {json.dumps(doc["format"])}, "as_of": "2026-11-26",']
    lines: dict[tuple[str, int], int] = {}
    keys = [k for k in doc if k not in ("format", "as_of")]
    for n, key in enumerate(keys):
        out.append(f' "{key}": [')
        for i, rec in enumerate(doc[key]):
            lines[(key, i)] = len(out) + 1
            comma = "," if i < len(doc[key]) - 1 else ""
            out.append("  " + json.dumps(rec) + comma)
        out.append(" ]" + ("," if n < len(keys) - 1 else ""))
    out.append("}")
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path, lines


def write_yaml(path: Path, doc: dict[str, Any]) -> tuple[Path, dict[tuple[str, int], int]]:
    """Flow-style records one per line (``- {...}``); returns the line of each record."""
    out = [f"format: {doc['format']}", "as_of: 2026-11-26"]
    lines: dict[tuple[str, int], int] = {}
    for key in (k for k in doc if k not in ("format", "as_of")):
        out.append(f"{key}:")
        for i, rec in enumerate(doc[key]):
            lines[(key, i)] = len(out) + 1
            out.append("  - " + json.dumps(rec))
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path, lines


def write_jsonl(path: Path, doc: dict[str, Any]) -> tuple[Path, dict[tuple[str, int], int]]:
    out = [json.dumps({"type": "registry", "format": FORMAT, "as_of": "2026-11-26"})]
    lines: dict[tuple[str, int], int] = {}
    types = {"people": "person", "ties": "tie", **PRACTICE_SECTIONS}
    for key in (k for k in doc if k not in ("format", "as_of")):
        for i, rec in enumerate(doc[key]):
            lines[(key, i)] = len(out) + 1
            out.append(json.dumps({"type": types[key], **rec}))
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path, lines


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ";".join(value)
    return str(value)


def write_csv(folder: Path, doc: dict[str, Any]) -> tuple[Path, dict[tuple[str, int], int]]:
    """A CSV folder; returns the line of each record (in its own file)."""
    folder.mkdir(exist_ok=True)
    lines: dict[tuple[str, int], int] = {}
    for key in (k for k in doc if k not in ("format", "as_of")):
        name = {"people": "people", "ties": "ties"}.get(key, key)
        records = doc[key]
        columns: list[str] = []
        for rec in records:
            columns += [k for k in rec if k not in columns]
        if key == "people":
            columns = ["id", "roles", *[c for c in columns if c not in ("id", "roles")]]
        with open(folder / f"{name}.csv", "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(columns)
            for i, rec in enumerate(records):
                lines[(key, i)] = i + 2
                w.writerow([_cell(rec.get(c)) for c in columns])
    return folder, lines


WRITERS = {
    "json": (write_json, "reg.json"),
    "yaml": (write_yaml, "reg.yaml"),
    "jsonl": (write_jsonl, "reg.jsonl"),
    "csv": (write_csv, "folder"),
}


Lines = dict[tuple[str, int], int]


def _write(fmt: str, tmp_path: Path, doc: dict[str, Any]) -> tuple[Path, Lines]:
    writer, name = WRITERS[fmt]
    return writer(tmp_path / name, doc)


def _file(fmt: str, path: Path, section: str) -> str:
    return str(path / f"{section}.csv") if fmt == "csv" else str(path)


# -- reading ------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", list(WRITERS))
def test_every_loader_reads_every_section(tmp_path: Path, fmt: str) -> None:
    path, lines = _write(fmt, tmp_path, _doc())
    reg, warnings = load_registry_with_warnings(path, as_of="2026-11-26")
    assert warnings == ()
    counts = reg.practice.counts()
    assert counts == {s: len(SECTIONS[s]) for s in PRACTICE_SECTIONS}
    (a,) = reg.practice.agreements
    assert a == Agreement(
        "a1",
        "t1",
        date(2025, 2, 20),
        ("coach", "assessor"),
        ("confidentiality", "escalation"),
        ("email", "platform"),
        48,
        date(2026, 9, 1),
        "09:00-18:00",
        ("mon", "tue", "wed", "thu", "fri"),
    )
    k1, k2 = reg.practice.contacts
    assert k1 == Contact(
        "k1",
        "co001",
        "cl0001",
        "sms",
        datetime(2026, 11, 20, 22, 10, tzinfo=CET),
        "client",
        datetime(2026, 11, 22, 9, tzinfo=UTC),
    )
    assert k1.at.utcoffset() == timedelta(hours=1)
    assert k2.responded_at is None
    assert reg.practice.consents[1].withdrawn == date(2025, 9, 1)
    assert reg.practice.concerns[0].is_open and reg.practice.concerns[1].raised_by is None
    assert reg.practice.disclosures[0].recipient == "Acme"
    assert reg.practice.records[0].kept_past_retention(date(2026, 11, 26))
    # every record has a location, like people and ties
    for section, kind in PRACTICE_SECTIONS.items():
        for i, rec in enumerate(SECTIONS[section]):
            loc = reg.locations[(kind, rec["id"])]
            pointer = None if fmt in ("csv", "jsonl") else f"/{section}/{i}"
            assert loc == SourceLocation(_file(fmt, path, section), lines[(section, i)], pointer)
    # and the graph carries the records
    G = build_graph(reg)
    assert G.graph["practice"] is reg.practice
    assert registry_from_graph(G) == reg


def test_registries_without_sections_are_unchanged(tmp_path: Path) -> None:
    doc = {"format": FORMAT, "people": PEOPLE, "ties": TIES}
    path, _ = write_json(tmp_path / "old.json", doc)
    reg = load_registry(path)
    assert reg.practice.is_empty()
    assert ("agreement", "a1") not in reg.locations
    out = tmp_path / "out.json"
    dump_registry(reg, out)
    assert set(json.loads(out.read_text())) == {"format", "as_of", "people", "ties"}


def test_yaml_timestamps_need_a_timezone(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    contact = "{id: k1, coach: co001, client: cl0001, channel: sms, initiated_by: client, "
    path.write_text(
        f"format: {FORMAT}\n"
        + "people: "
        + json.dumps(PEOPLE)
        + "\n"
        + "ties: "
        + json.dumps(TIES)
        + "\n"
        + "contacts:\n"
        + f"  - {contact}at: 2026-11-20 22:10:00+01:00}}\n"
        + f"  - {contact.replace('k1', 'k2')}at: 2026-11-20 22:10:00}}\n"
        + "supervision_sessions:\n"
        + "  - {id: s1, supervisor: su001, coach: co001, date: 2026-11-01}\n",
        encoding="utf-8",
    )
    p = one(problems_of(path), "naive-datetime")
    assert (p.line, p.pointer, p.record, p.field) == (6, "/contacts/1/at", "k2", "at")


# -- problems, located ----------------------------------------------------------------------


def _problems(fmt: str, tmp_path: Path, doc: dict[str, Any]) -> tuple[list[Problem], Path, Any]:
    path, lines = _write(fmt, tmp_path, doc)
    return problems_of(path, as_of="2026-11-26"), path, lines


def _assert_at(  # noqa: PLR0917
    p: Problem, fmt: str, path: Path, lines: Lines, section: str, i: int, field: str
) -> None:
    assert p.file == _file(fmt, path, section), p
    assert p.line == lines[(section, i)], p
    if fmt in ("json", "yaml"):
        assert p.pointer == f"/{section}/{i}/{field}", p
    else:
        assert p.pointer is None, p


CASES: list[tuple[str, str, int, str, dict[str, Any], str, str]] = [
    # (section, index, field, changes, code, words in the message)
    ("agreements", 0, "tie", {"tie": "t9"}, "unknown-tie", "'t9' is not a tie"),
    ("agreements", 0, "channels", {"channels": ["emial"]}, "invalid-value", "did you mean 'email'"),
    (
        "agreements",
        0,
        "covers",
        {"covers": ["confidentialty"]},
        "invalid-value",
        "did you mean 'confidentiality'",
    ),
    (
        "agreements",
        0,
        "response_window_hours",
        {"response_window_hours": 0},
        "wrong-type",
        "positive whole number",
    ),
    ("agreements", 0, "hours", {"hours": "9-18"}, "invalid-hours", "HH:MM-HH:MM"),
    # a digit to str.isdigit(), not to int(): an error, not a crash
    ("agreements", 0, "hours", {"hours": "0²:00-17:00"}, "invalid-hours", "HH:MM-HH:MM"),
    (
        "agreements",
        0,
        "reviewed",
        {"reviewed": "2024-01-01"},
        "date-order",
        "'reviewed' 2024-01-01 is before 'signed'",
    ),
    (
        "consents",
        0,
        "purpose",
        {"purpose": "datasharing"},
        "invalid-value",
        "did you mean 'data_sharing'",
    ),
    ("consents", 1, "withdrawn", {"withdrawn": "2025-02-30"}, "invalid-date", "2025-02-30"),
    ("consents", 0, "person", {"person": "cl001"}, "unknown-person", "did you mean 'cl0001'"),
    ("assessments", 0, "assessor", {"assessor": "co999"}, "unknown-person", "'co999'"),
    ("disclosures", 0, "by", {"by": "zz"}, "unknown-person", "'zz'"),
    ("supervision_sessions", 0, "date", {"date": "01/11/2026"}, "invalid-date", "YYYY-MM-DD"),
    ("contacts", 0, "at", {"at": "2026-11-20T22:10:00"}, "naive-datetime", "no timezone"),
    (
        "contacts",
        0,
        "responded_at",
        {"responded_at": "2026-11-20T20:00:00Z"},
        "date-order",
        "'responded_at'",
    ),
    ("contacts", 1, "at", {"at": "2026-11-21"}, "invalid-datetime", "date and time"),
    (
        "contacts",
        1,
        "initiated_by",
        {"initiated_by": "clients"},
        "invalid-value",
        "did you mean 'client'",
    ),
    ("contacts", 1, "client", {"client": "cl9"}, "unknown-person", "'cl9'"),
    ("contacts", 1, "id", {"id": "k1"}, "duplicate-contact", "already used"),
    ("concerns", 0, "about", {"about": "t99"}, "unknown-reference", "neither a person nor a tie"),
    ("concerns", 0, "resolved", {"resolved": "2026-10-02"}, "inconsistent-status", "'open'"),
    ("concerns", 1, "status", {"status": "closed"}, "invalid-value", "unknown status"),
    ("records", 0, "destroyed", {"destroyed": "2017-01-01"}, "date-order", "'destroyed'"),
    ("records", 0, "client", {"client": "cl0002"}, "unknown-person", "'cl0002'"),
]


@pytest.mark.parametrize("fmt", list(WRITERS))
@pytest.mark.parametrize(
    ("section", "index", "field", "changes", "code", "words"),
    CASES,
    ids=[f"{c[0]}-{c[4]}-{c[2]}" for c in CASES],
)
def test_each_problem_is_located(  # noqa: PLR0917
    tmp_path: Path,
    fmt: str,
    section: str,
    index: int,
    field: str,
    changes: dict[str, Any],
    code: str,
    words: str,
) -> None:
    doc = _doc()
    doc[section][index].update(changes)
    problems, path, lines = _problems(fmt, tmp_path, doc)
    p = one(problems, code)
    assert words in p.message, p
    assert p.record == doc[section][index]["id"] and p.field == field, p
    _assert_at(p, fmt, path, lines, section, index, field)


@pytest.mark.parametrize("fmt", list(WRITERS))
def test_every_problem_is_collected(tmp_path: Path, fmt: str) -> None:
    doc = _doc()
    doc["agreements"][0]["tie"] = "t9"
    doc["contacts"][0]["channel"] = "smss"
    doc["records"][0]["created"] = "yesterday"
    doc["concerns"].append(dict(doc["concerns"][0]))  # duplicate id
    problems, _path, lines = _problems(fmt, tmp_path, doc)
    codes = sorted(p.code for p in problems)
    assert codes == ["duplicate-concern", "invalid-date", "invalid-value", "unknown-tie"]
    dup = one(problems, "duplicate-concern")
    assert dup.line == lines[("concerns", 2)]
    assert f"already used at line {lines[('concerns', 0)]}" in dup.message


@pytest.mark.parametrize("fmt", ["json", "yaml", "jsonl"])
def test_missing_and_unknown_fields(tmp_path: Path, fmt: str) -> None:
    doc = _doc()
    del doc["assessments"][0]["instrument"]
    doc["supervision_sessions"][0]["dat"] = doc["supervision_sessions"][0].pop("date")
    del doc["consents"][0]["recipient"]
    problems, path, lines = _problems(fmt, tmp_path, doc)
    unknown = one(problems, "unknown-field")
    assert "did you mean 'date'" in unknown.message and unknown.record == "s1"
    _assert_at(unknown, fmt, path, lines, "supervision_sessions", 0, "dat")
    missing = sorted((p.record, p.message) for p in problems if p.code == "missing-field")
    assert missing == [
        ("as1", "assessment has no 'instrument'"),
        ("c1", "a data_sharing consent has no 'recipient' (a person id or an organisation)"),
        ("s1", "supervision session has no 'date'"),
    ]
    for p in problems:
        assert p.line is not None and p.file == str(path)


def test_a_section_must_be_an_array(tmp_path: Path) -> None:
    doc = _doc(contacts={"id": "k1"})  # type: ignore[arg-type]
    path = tmp_path / "r.json"
    path.write_text(json.dumps(doc, indent=1))
    p = one(problems_of(path), "wrong-type")
    assert (p.pointer, p.message) == ("/contacts", "'contacts' must be an array")
    assert p.line is not None


def test_jsonl_unknown_type_suggests_the_practice_type(tmp_path: Path) -> None:
    path, _ = write_jsonl(tmp_path / "r.jsonl", _doc())
    with path.open("a") as f:
        f.write(json.dumps({"type": "agrement", "id": "a2", "tie": "t1"}) + "\n")
    p = one(problems_of(path), "unknown-type")
    assert "did you mean 'agreement'" in p.message
    assert p.line == len(path.read_text().splitlines())


def test_jsonl_records_may_come_before_people(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    rows = [{"type": "supervision_session", **SECTIONS["supervision_sessions"][0]}]
    rows += [{"type": "person", **p} for p in PEOPLE]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    reg = load_registry(path)
    assert reg.locations[("supervision_session", "s1")].line == 1


def test_csv_section_files_need_their_columns(tmp_path: Path) -> None:
    folder, _ = write_csv(tmp_path / "f", _doc())
    (folder / "contacts.csv").write_text("id,coach,client,chanel,at,initiated_by\n")
    p = one(problems_of(folder, as_of="2026-11-26"), "missing-column")
    assert p.file == str(folder / "contacts.csv") and p.line == 1
    assert "did you mean 'chanel'" in p.message


def test_csv_extra_columns_become_attributes(tmp_path: Path) -> None:
    doc = _doc()
    doc["records"][0]["location"] = "archive room"
    folder, _ = write_csv(tmp_path / "f", doc)
    reg = load_registry(folder, as_of="2026-11-26")
    assert dict(reg.practice.records[0].attributes) == {"location": "archive room"}


def test_references_to_rejected_people_and_ties_are_not_unknown(tmp_path: Path) -> None:
    doc = _doc()
    doc["ties"] = [dict(TIES[0], end="2000-01-01"), TIES[1]]  # t1 rejected: end before start
    problems, _, _ = _problems("json", tmp_path, doc)
    assert [p.code for p in problems] == ["end-before-start"]


def test_warnings_do_not_stop_the_load(tmp_path: Path) -> None:
    doc = _doc()
    doc["agreements"][0]["roles"] = ["coach", "advisor"]
    doc["agreements"][0]["tie"] = "t2"  # a sponsorship tie
    doc["records"][0]["kind"] = "video"
    doc["concerns"][1].pop("resolved")
    path, lines = write_json(tmp_path / "r.json", doc)
    reg, warnings = load_registry_with_warnings(path)
    codes = sorted(w.code for w in warnings)
    assert codes == ["missing-field", "not-coaching", "unknown-value", "unknown-value"]
    advisor = next(w for w in warnings if "advisor" in w.message)
    assert "did you mean 'adviser'" in advisor.message
    assert advisor.line == lines[("agreements", 0)] and advisor.pointer == "/agreements/0/roles"
    assert len(reg.practice.agreements) == 1


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_a_repeated_list_warns_on_every_record(tmp_path: Path, fmt: str) -> None:
    # list cells repeat and are checked once when all their values are known; a list with
    # an unknown value is told about on every record that has it
    doc = _doc()
    second = dict(doc["agreements"][0], id="ag-2")
    doc["agreements"] = [doc["agreements"][0], second]
    for a in doc["agreements"]:
        a["roles"] = ["coach", "advisor"]
    path, _ = _write(fmt, tmp_path, doc)
    _, warnings = load_registry_with_warnings(path, as_of="2026-11-26")
    assert [w.record for w in warnings if w.code == "unknown-value"] == [
        doc["agreements"][0]["id"],
        "ag-2",
    ]


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_large_contacts_share_ids_and_timezones(tmp_path: Path, fmt: str) -> None:
    doc = _doc()
    doc["contacts"] = [
        {
            "id": f"k{i}",
            "coach": "co001",
            "client": "cl0001",
            "channel": "email",
            "at": f"2026-11-{i + 1:02d}T10:00:00+01:00",
            "initiated_by": "client",
        }
        for i in range(5)
    ]
    path, _ = _write(fmt, tmp_path, doc)
    contacts = load_registry(path, as_of="2026-11-26").practice.contacts
    assert len({id(k.at.tzinfo) for k in contacts}) == 1
    assert len({id(k.client) for k in contacts}) == 1
    assert [k.at.isoformat() for k in contacts][:2] == [
        "2026-11-01T10:00:00+01:00",
        "2026-11-02T10:00:00+01:00",
    ]


def test_csv_contacts_with_extra_columns_keep_them(tmp_path: Path) -> None:
    doc = _doc()
    doc["contacts"][0]["topic"] = "scheduling"
    folder, _ = write_csv(tmp_path / "f", doc)
    k1, k2 = load_registry(folder, as_of="2026-11-26").practice.contacts
    assert dict(k1.attributes) == {"topic": "scheduling"} and dict(k2.attributes) == {}
