"""Writing a registry in the interchange format (JSON, JSON Lines or a CSV folder).

Files are written atomically: to a temporary file beside the target, then renamed, so a
failure never leaves a partial file.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterable, Iterator
from datetime import date
from functools import partial
from typing import IO, Any

from dualrel._internal.atomic import open_atomic
from dualrel.errors import InvalidArgument
from dualrel.graph.model import FORMAT, PRACTICE_SECTIONS, Person, Registry, Tie
from dualrel.graph.practice import PRACTICE_CATALOGUE

__all__ = [
    "DUMP_FORMATS",
    "dump_registry",
    "person_record",
    "practice_record",
    "registry_document",
    "tie_record",
]

DUMP_FORMATS = ("json", "jsonl", "csv")


def person_record(p: Person) -> dict[str, Any]:
    """A person as an interchange record (optional fields only when set).

    >>> person_record(Person("co001", ("coach",)))
    {'id': 'co001', 'roles': ['coach']}
    """
    rec: dict[str, Any] = {"id": p.id, "roles": list(p.roles)}
    if p.name is not None:
        rec["name"] = p.name
    if p.organisation is not None:
        rec["organisation"] = p.organisation
    if p.attributes:
        rec["attributes"] = dict(p.attributes)
    return rec


def tie_record(t: Tie) -> dict[str, Any]:
    """A tie as an interchange record (the id always written, so it survives a reload).

    >>> tie_record(Tie("t1", "romance", "a", "b"))
    {'id': 't1', 'kind': 'romance', 'source': 'a', 'target': 'b', 'start': None, 'end': None}
    """
    rec: dict[str, Any] = {
        "id": t.id,
        "kind": t.kind,
        "source": t.source,
        "target": t.target,
        "start": t.start.isoformat() if t.start is not None else None,
        "end": t.end.isoformat() if t.end is not None else None,
    }
    if t.attributes:
        rec["attributes"] = dict(t.attributes)
    return rec


def _plain_value(value: Any) -> Any:
    if isinstance(value, date):  # dates and datetimes
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


def practice_record(section: str, record: Any) -> dict[str, Any]:
    """A practice record of ``section`` as an interchange record: ``id``, the required
    fields, the optional ones when set, ``attributes`` when not empty.

    >>> from dualrel.graph.practice import Consent
    >>> practice_record("consents", Consent("c1", "cl1", "assessment", given=date(2025, 1, 2)))
    {'id': 'c1', 'person': 'cl1', 'purpose': 'assessment', 'given': '2025-01-02'}
    """
    rec: dict[str, Any] = {"id": record.id}
    for f in PRACTICE_CATALOGUE[section].fields:
        value = getattr(record, f.name)
        if f.required or (value is not None and value != ()):
            rec[f.name] = _plain_value(value)
    if record.attributes:
        rec["attributes"] = dict(record.attributes)
    return rec


def _sections(registry: Registry) -> Iterator[tuple[str, tuple[Any, ...]]]:
    """The practice sections that hold records, in document order."""
    for section in PRACTICE_SECTIONS:
        records = registry.practice.section(section)
        if records:
            yield section, records


def registry_document(registry: Registry) -> dict[str, Any]:
    """The registry as one interchange document (plain JSON data); practice sections
    only when they hold records."""
    doc: dict[str, Any] = {"format": FORMAT}
    if registry.as_of is not None:
        doc["as_of"] = registry.as_of.isoformat()
    doc["people"] = [person_record(p) for p in registry.people]
    doc["ties"] = [tie_record(t) for t in registry.ties]
    for section, records in _sections(registry):
        doc[section] = [practice_record(section, r) for r in records]
    return doc


def _write_json(registry: Registry, f: IO[str]) -> None:
    # one record per line: diffable, and the loader reports a line per record
    w = f.write
    w('{"format": ' + json.dumps(FORMAT))
    if registry.as_of is not None:
        w(',\n "as_of": ' + json.dumps(registry.as_of.isoformat()))
    sections: list[tuple[str, Iterable[dict[str, Any]], bool]] = [
        ("people", (person_record(p) for p in registry.people), bool(registry.people)),
        ("ties", (tie_record(t) for t in registry.ties), bool(registry.ties)),
    ]
    for section, records in _sections(registry):
        sections.append((section, map(partial(practice_record, section), records), True))
    for name, recs, some in sections:
        w(f',\n "{name}": [')
        for i, rec in enumerate(recs):
            w(("\n  " if i == 0 else ",\n  ") + json.dumps(rec, ensure_ascii=False))
        w("\n ]" if some else "]")
    w("}\n")


def _write_jsonl(registry: Registry, f: IO[str]) -> None:
    header: dict[str, Any] = {"type": "registry", "format": FORMAT}
    if registry.as_of is not None:
        header["as_of"] = registry.as_of.isoformat()
    f.write(json.dumps(header) + "\n")
    for p in registry.people:
        f.write(json.dumps({"type": "person", **person_record(p)}, ensure_ascii=False) + "\n")
    for t in registry.ties:
        f.write(json.dumps({"type": "tie", **tie_record(t)}, ensure_ascii=False) + "\n")
    for section, records in _sections(registry):
        kind = PRACTICE_SECTIONS[section]
        for r in records:
            rec = {"type": kind, **practice_record(section, r)}
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")


def _csv_value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _write_csv(registry: Registry, folder: str) -> None:
    os.makedirs(folder, exist_ok=True)
    pcols = sorted({k for p in registry.people for k in p.attributes})
    tcols = sorted({k for t in registry.ties for k in t.attributes})
    with open_atomic(os.path.join(folder, "people.csv"), newline="") as f:
        w = csv.writer(f, lineterminator="\r\n")
        w.writerow(["id", "roles", "name", "organisation", *pcols])
        for p in registry.people:
            a = p.attributes
            w.writerow(
                [p.id, ";".join(p.roles), p.name or "", p.organisation or ""]
                + [_csv_value(a[k]) if k in a else "" for k in pcols]
            )
    with open_atomic(os.path.join(folder, "ties.csv"), newline="") as f:
        w = csv.writer(f, lineterminator="\r\n")
        w.writerow(["id", "kind", "source", "target", "start", "end", *tcols])
        for t in registry.ties:
            a = t.attributes
            w.writerow(
                [
                    t.id,
                    t.kind,
                    t.source,
                    t.target,
                    t.start.isoformat() if t.start else "",
                    t.end.isoformat() if t.end else "",
                ]
                + [_csv_value(a[k]) if k in a else "" for k in tcols]
            )
    for section in PRACTICE_SECTIONS:
        path = os.path.join(folder, section + ".csv")
        records = registry.practice.section(section)
        # an existing file is rewritten even when empty, so no stale record survives
        if records or os.path.exists(path):
            _write_section_csv(section, records, path)


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, tuple):
        return ";".join(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _write_section_csv(section: str, records: tuple[Any, ...], path: str) -> None:
    names = [f.name for f in PRACTICE_CATALOGUE[section].fields]
    acols = sorted({k for r in records for k in r.attributes})
    with open_atomic(path, newline="") as f:
        w = csv.writer(f, lineterminator="\r\n")
        w.writerow(["id", *names, *acols])
        for r in records:
            a = r.attributes
            w.writerow(
                [r.id, *(_csv_cell(getattr(r, n)) for n in names)]
                + [_csv_value(a[k]) if k in a else "" for k in acols]
            )


def dump_registry(
    registry: Registry, path_or_file: str | os.PathLike[str] | IO[str], format: str = "json"
) -> None:
    """Write ``registry`` as ``json`` (one document), ``jsonl`` or ``csv`` (a folder).

    A path is written atomically; an open text file is written as is.  CSV holds only
    text, so non-string attribute values are written as JSON text (and read back as
    strings); JSON and JSON Lines round-trip exactly.

    >>> import io
    >>> from dualrel.graph.model import Person
    >>> buf = io.StringIO()
    >>> dump_registry(Registry((Person("co001", ("coach",)),), ()), buf)
    >>> print(buf.getvalue())
    {"format": "dualrel.registry/1",
     "people": [
      {"id": "co001", "roles": ["coach"]}
     ],
     "ties": []}
    <BLANKLINE>
    """
    if format not in DUMP_FORMATS:
        raise InvalidArgument(f"format must be one of {DUMP_FORMATS}, got {format!r}")
    if format == "csv":
        if isinstance(path_or_file, io.IOBase) or not isinstance(path_or_file, str | os.PathLike):
            raise InvalidArgument("format='csv' writes a folder: give its path")
        _write_csv(registry, os.fspath(path_or_file))
        return
    write = _write_json if format == "json" else _write_jsonl
    if isinstance(path_or_file, str | os.PathLike):
        with open_atomic(os.fspath(path_or_file)) as f:
            write(registry, f)
    else:
        write(registry, path_or_file)
