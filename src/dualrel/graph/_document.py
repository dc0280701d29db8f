"""Reading a registry held as one document, JSON or YAML (private).

The format readers decode the document and give a ``Locator`` that maps records and fields
back to lines; this module checks the document's shape and hands records on.
"""

from __future__ import annotations

from array import array
from collections.abc import Collection, Iterator, Mapping
from datetime import date
from typing import Any, Protocol

from dualrel._internal.dates import as_of_out_of_range
from dualrel._internal.problems import Collector
from dualrel._internal.suggest import did_you_mean
from dualrel.graph._assemble import SectionInfo, assemble
from dualrel.graph._people_ties import PeopleTiesReader
from dualrel.graph._practice_reader import PracticeReader
from dualrel.graph.model import FORMAT, PRACTICE_SECTIONS, Person, Registry, Tie

__all__ = ["DOCUMENT_KEYS", "Locator", "read_document"]

DOCUMENT_KEYS = ("format", "as_of", "people", "ties", *PRACTICE_SECTIONS)


class Locator(Protocol):
    """Lines of a decoded document's parts (None when unknown)."""

    def key_line(self, key: str) -> int | None: ...

    def record_line(self, section: str, index: int) -> int | None: ...

    def field_line(self, section: str, index: int, field: str) -> int | None: ...


def read_document(
    doc: Any,
    file: str,
    locator: Locator,
    collector: Collector,
    *,
    kinds: Mapping[str, bool],
    roles: Collection[str],
    as_of: date | None,
    plain_data: bool,
) -> Registry:
    c = collector
    if not isinstance(doc, dict):
        c.error(file, "wrong-type", "a registry must be an object", line=1, pointer="")
        c.raise_if_errors()
        raise AssertionError("unreachable")  # pragma: no cover
    for key in doc:
        if key not in DOCUMENT_KEYS:
            c.error(
                file,
                "unknown-field",
                f"unknown field {key!r}" + did_you_mean(str(key), DOCUMENT_KEYS),
                line=locator.key_line(str(key)),
                pointer=f"/{key}",
                field=str(key),
            )
    fmt = doc.get("format")
    if fmt is None:
        c.error(file, "missing-field", f"no 'format' (expected {FORMAT!r})", line=1, pointer="")
    elif fmt != FORMAT:
        c.error(
            file,
            "unsupported-format",
            f"format {fmt!r} is not supported (expected {FORMAT!r})",
            line=locator.key_line("format"),
            pointer="/format",
            field="format",
        )
    reader = PeopleTiesReader(c, kinds, roles, field_line=locator.field_line, plain_data=plain_data)
    doc_as_of, err = reader.date_value(doc.get("as_of"))
    if err:
        c.error(
            file,
            "invalid-date",
            err,
            line=locator.key_line("as_of"),
            pointer="/as_of",
            field="as_of",
        )
    elif doc_as_of is not None and (far := as_of_out_of_range(doc_as_of)):
        c.error(
            file,
            "out-of-range",
            far,
            line=locator.key_line("as_of"),
            pointer="/as_of",
            field="as_of",
        )
        doc_as_of = None
    sections: dict[str, tuple[list[Any], SectionInfo]] = {}
    for section, build in (("people", reader.person), ("ties", reader.tie)):
        raw = doc.get(section)
        lines = array("l")
        positions = array("l")
        out: list[Any] = []
        info = SectionInfo(file, lines, f"/{section}", positions)
        sections[section] = (out, info)
        if raw is None:
            if section == "people":
                c.error(file, "missing-field", "no 'people'", line=1, pointer="")
            continue
        for i, obj, line in _items(raw, section, file, locator, c):
            record = build(obj, file, line, f"/{section}/{i}", i)
            if record is not None:
                out.append(record)
                lines.append(line or 0)
                positions.append(i)
    practice = PracticeReader(reader)
    _read_practice(doc, file, locator, c, practice)
    people: list[Person] = sections["people"][0]
    ties: list[Tie] = sections["ties"][0]
    return assemble(
        c,
        people,
        sections["people"][1],
        ties,
        sections["ties"][1],
        as_of=as_of or doc_as_of,
        source=file,
        kinds=kinds,
        rejected_refs=reader.rejected_refs,
        rejected_people=reader.rejected_people,
        practice=practice,
    )


def _read_practice(
    doc: dict[str, Any], file: str, locator: Locator, c: Collector, practice: PracticeReader
) -> None:
    """The optional practice-record sections, each an array of records when present."""
    for section in PRACTICE_SECTIONS:
        raw = doc.get(section)
        if raw is None:
            continue
        for i, obj, line in _items(raw, section, file, locator, c):
            practice.read(section, obj, file, line, f"/{section}/{i}", i)


def _items(
    raw: Any, section: str, file: str, locator: Locator, c: Collector
) -> Iterator[tuple[int, Any, int | None]]:
    """The records of one section's array with their lines; an error if it is no array."""
    if not isinstance(raw, list):
        c.error(
            file,
            "wrong-type",
            f"{section!r} must be an array",
            line=locator.key_line(section),
            pointer=f"/{section}",
            field=section,
        )
        return
    for i, obj in enumerate(raw):
        if c.full:
            break
        yield i, obj, locator.record_line(section, i)
