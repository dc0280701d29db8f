"""JSON Lines registries: one record per line, streamed (private).

Each line is an object with ``"type"``: ``"person"`` or ``"tie"``, or the type of a
practice record (``"agreement"``, ``"consent"``, ..., ``"contact"``, ...; see
``PRACTICE_SECTIONS``), in any order.  An optional first record ``{"type": "registry",
"format": "dualrel.registry/1", "as_of": ...}`` carries the document's metadata.  Blank
lines are skipped.  Only the typed records are kept: the file is read line by line.
"""

from __future__ import annotations

import json
from array import array
from collections.abc import Collection, Iterable, Mapping
from datetime import date

from dualrel._internal import decode
from dualrel._internal.dates import as_of_out_of_range
from dualrel._internal.problems import Collector
from dualrel._internal.suggest import did_you_mean
from dualrel.graph._assemble import SectionInfo, assemble
from dualrel.graph._people_ties import PeopleTiesReader
from dualrel.graph._practice_reader import CONTACT_FAST_FIELDS, PracticeReader
from dualrel.graph.model import FORMAT, PRACTICE_SECTIONS, Person, Registry, Tie

__all__ = ["header_as_of", "load_jsonl"]

#: JSON Lines record type -> practice section
_PRACTICE_TYPES = {t: s for s, t in PRACTICE_SECTIONS.items()}
_TYPES = ("person", "tie", "registry", *_PRACTICE_TYPES)
_HEADER_FIELDS = frozenset({"type", "format", "as_of"})


def load_jsonl(
    lines: Iterable[str],
    file: str,
    collector: Collector,
    *,
    kinds: Mapping[str, bool],
    roles: Collection[str],
    as_of: date | None,
) -> Registry:
    c = collector
    reader = PeopleTiesReader(c, kinds, roles, extra_fields=("type",))
    practice = PracticeReader(reader, extra_fields=("type",))
    counts = dict.fromkeys(PRACTICE_SECTIONS, 0)
    people: list[Person] = []
    ties: list[Tie] = []
    plines = array("l")
    tlines = array("l")
    doc_as_of: date | None = None
    loads = decode.loads
    seen_record = False
    for lineno, text in enumerate(lines, 1):
        if c.full:
            break
        if not text.strip():
            continue
        try:
            obj = loads(text, first_line=lineno)
        except json.JSONDecodeError as e:
            c.error(file, "malformed", f"not valid JSON: {e.msg} (column {e.colno})", line=lineno)
            continue
        except decode.DecodeError as e:
            for problem in e.problems(file):
                c.add(problem)
            continue
        kind = obj.get("type") if isinstance(obj, dict) else None
        if kind == "tie":
            t = reader.tie(obj, file, lineno, None, len(ties))
            if t is not None:
                ties.append(t)
                tlines.append(lineno)
        elif kind == "person":
            p = reader.person(obj, file, lineno, None, len(people))
            if p is not None:
                people.append(p)
                plines.append(lineno)
        elif kind == "contact":
            g = obj.get
            if not (
                obj.keys() <= CONTACT_FAST_FIELDS
                and practice.contact(
                    g("id"),
                    g("coach"),
                    g("client"),
                    g("channel"),
                    g("at"),
                    g("initiated_by"),
                    g("responded_at"),
                    file,
                    lineno,
                    counts["contacts"],
                )
            ):
                practice.read("contacts", obj, file, lineno, None, counts["contacts"])
            counts["contacts"] += 1
        elif kind in _PRACTICE_TYPES:
            section = _PRACTICE_TYPES[kind]
            practice.read(section, obj, file, lineno, None, counts[section])
            counts[section] += 1
        elif kind == "registry":
            if seen_record:
                c.error(
                    file,
                    "misplaced-header",
                    "the 'registry' record must be the first record",
                    line=lineno,
                )
                continue
            doc_as_of = header_as_of(obj, reader, file, lineno, c)
        elif not isinstance(obj, dict):
            c.error(file, "wrong-type", "a record must be an object", line=lineno)
        elif kind is None:
            c.error(
                file,
                "missing-field",
                "record has no 'type' (person, tie, or a practice record type)",
                line=lineno,
                field="type",
            )
        else:
            c.error(
                file,
                "unknown-type",
                f"unknown record type {kind!r}" + did_you_mean(str(kind), _TYPES),
                line=lineno,
                field="type",
            )
        seen_record = True
    return assemble(
        c,
        people,
        SectionInfo(file, plines, None),
        ties,
        SectionInfo(file, tlines, None),
        as_of=as_of or doc_as_of,
        source=file,
        kinds=kinds,
        rejected_refs=reader.rejected_refs,
        rejected_people=reader.rejected_people,
        practice=practice,
    )


def header_as_of(
    obj: dict[str, object], reader: PeopleTiesReader, file: str, lineno: int, c: Collector
) -> date | None:
    """The ``as_of`` of a ``registry`` record, after reporting its problems."""
    for key in obj:
        if key not in _HEADER_FIELDS:
            c.error(
                file,
                "unknown-field",
                f"unknown field {key!r}" + did_you_mean(key, _HEADER_FIELDS),
                line=lineno,
                field=key,
            )
    fmt = obj.get("format")
    if fmt != FORMAT:
        c.error(
            file,
            "unsupported-format",
            f"format {fmt!r} is not supported (expected {FORMAT!r})",
            line=lineno,
            field="format",
        )
    d, err = reader.date_value(obj.get("as_of"))
    if err:
        c.error(file, "invalid-date", err, line=lineno, field="as_of")
    elif d is not None and (far := as_of_out_of_range(d)):
        c.error(file, "out-of-range", far, line=lineno, field="as_of")
        return None
    return d
