"""JSON documents with line numbers for every record (private).

The standard library parser gives no positions, so the top level of the document is
scanned here and each value is decoded by the standard library's C scanner from a known
offset.  The offset of every person and tie is kept; lines are counted once, in order.
Anything unexpected falls back to ``json.loads`` for its exact error message and position.

A document is first read streamed (:func:`_streamed`): each record becomes a ``Person``,
``Tie`` or practice record as soon as it is decoded, so the decoded document (a dict per
record, several times the size of the text at a million people) never exists whole.  That
path gives exactly what the whole-document path gives, or nothing: on any problem, or a
document whose sections are not in the order the whole-document path reads them, it
returns None and the document is read whole, which locates every problem.
"""

from __future__ import annotations

import json
import re
from array import array
from bisect import bisect_left
from collections.abc import Collection, Mapping
from datetime import date
from typing import Any

from dualrel._internal import decode
from dualrel._internal.dates import as_of_out_of_range
from dualrel._internal.problems import Collector
from dualrel.errors import RegistryError
from dualrel.graph._assemble import SectionInfo, assemble
from dualrel.graph._document import DOCUMENT_KEYS, read_document
from dualrel.graph._people_ties import PeopleTiesReader
from dualrel.graph._practice_reader import PracticeReader
from dualrel.graph.model import FORMAT, PRACTICE_SECTIONS, Person, Registry, Tie

__all__ = ["JsonLocator", "find_key", "load_json", "scan_document"]

_WS = re.compile(r"[ \t\n\r]*")
#: JSON whitespace, each a one-character string (never the empty one: "" in a str is True)
_BLANK = frozenset(" \t\n\r")


def _skip(text: str, pos: int) -> int:
    """The first offset at or after ``pos`` that is not JSON whitespace."""
    m = _WS.match(text, pos)
    return m.end() if m is not None else pos


_SECTIONS = ("people", "ties", *PRACTICE_SECTIONS)


class _Fallback(Exception):
    """The fast scan met something it does not handle; use ``json.loads``."""


class JsonLocator:
    """Maps records and fields of a scanned JSON document to lines."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.keys: dict[str, int] = {}  # top-level key -> offset
        self.starts: dict[str, array[int]] = {s: array("q") for s in _SECTIONS}
        self.lines: dict[str, array[int]] = {s: array("l") for s in _SECTIONS}
        self._newlines: array[int] | None = None

    def line_at(self, offset: int) -> int:
        """The line of ``offset``: a search in the offsets of the newlines, found once when
        a first problem needs them (counting from the start of the text for each of a
        thousand problems near the end of a large file took minutes)."""
        newlines = self._newlines
        if newlines is None:
            newlines = self._newlines = _newline_offsets(self.text)
        return bisect_left(newlines, offset) + 1

    def key_line(self, key: str) -> int | None:
        off = self.keys.get(key)
        return None if off is None else self.line_at(off)

    def record_line(self, section: str, index: int) -> int | None:
        lines = self.lines.get(section)
        return lines[index] if lines is not None and index < len(lines) else None

    def field_line(self, section: str, index: int, field: str) -> int | None:
        starts = self.starts.get(section)
        if starts is None or index >= len(starts):
            return None
        off = find_key(self.text, starts[index], field)
        return self.record_line(section, index) if off is None else self.line_at(off)


def _newline_offsets(text: str) -> array[int]:
    offsets = array("q")
    find = text.find
    at = find("\n")
    while at >= 0:
        offsets.append(at)
        at = find("\n", at + 1)
    return offsets


def find_key(text: str, start: int, key: str) -> int | None:
    """Offset of ``"key":`` directly inside the object starting at ``start``."""
    if start >= len(text) or text[start] != "{":
        return None
    depth = 0
    i = start
    n = len(text)
    expect_key = False
    while i < n:
        ch = text[i]
        if ch == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            if depth == 1 and expect_key:
                try:
                    name = json.loads(text[i : j + 1])
                except ValueError:
                    return None
                if name == key:
                    return i
            expect_key = False
            i = j + 1
            continue
        if ch in "{[":
            depth += 1
            expect_key = ch == "{" and depth == 1
        elif ch in "}]":
            depth -= 1
            if depth == 0:
                return None
        elif ch == "," and depth == 1:
            expect_key = True
        i += 1
    return None


def scan_document(text: str) -> tuple[Any, JsonLocator]:
    """Decode ``text``; raises ``json.JSONDecodeError`` as ``json.loads`` would, and
    :class:`~dualrel._internal.decode.DecodeError` for what ``decode.loads`` refuses."""
    locator = JsonLocator(text)
    try:
        doc = _scan(text, locator)
    except (_Fallback, StopIteration, json.JSONDecodeError):
        doc = decode.loads(text)  # raises the standard error; or decodes without lines
        return doc, JsonLocator(text)
    except decode.REFUSED as exc:
        raise decode.refusal(text, exc) from None
    decode.check_text(text)
    return doc, locator


def _scan(text: str, loc: JsonLocator) -> Any:
    scan = decode.scanner()
    n = len(text)
    pos = _skip(text, 0)
    if pos >= n or text[pos] != "{":
        raise _Fallback
    doc: dict[str, Any] = {}
    pos = _skip(text, pos + 1)
    if pos < n and text[pos] == "}":
        pos += 1
    else:
        while True:
            if pos >= n or text[pos] != '"':
                raise _Fallback
            key_at = pos
            key, pos = scan(text, pos)
            pos = _skip(text, pos)
            if pos >= n or text[pos] != ":":
                raise _Fallback
            pos = _skip(text, pos + 1)
            if key in loc.keys:
                raise ValueError("duplicate key")  # located by decode.refusal
            loc.keys[key] = key_at
            if key in _SECTIONS and pos < n and text[pos] == "[":
                doc[key], pos = _scan_array(text, pos, scan, loc, key)
            else:
                doc[key], pos = scan(text, pos)
            pos = _skip(text, pos)
            if pos < n and text[pos] == ",":
                pos = _skip(text, pos + 1)
                continue
            if pos < n and text[pos] == "}":
                pos += 1
                break
            raise _Fallback
    if _skip(text, pos) != n:
        raise _Fallback
    return doc


def _scan_array(
    text: str, pos: int, scan: Any, loc: JsonLocator, section: str
) -> tuple[list[Any], int]:
    starts = array("q")
    lines = array("l")
    items: list[Any] = []
    n = len(text)
    line = text.count("\n", 0, pos) + 1
    last = pos
    pos = _skip(text, pos + 1)
    if pos < n and text[pos] == "]":
        loc.starts[section], loc.lines[section] = starts, lines
        return items, pos + 1
    count = text.count
    ws = _WS.match
    while True:
        line += count("\n", last, pos)
        last = pos
        starts.append(pos)
        lines.append(line)
        item, pos = scan(text, pos)
        items.append(item)
        # whitespace is matched only where there is some: most separators are "," or
        # ",\n", and a regular expression per record costs what the duplicate-key check
        # of its decoding does
        ch = text[pos : pos + 1]
        if ch in _BLANK:
            pos = ws(text, pos).end()  # type: ignore[union-attr]
            ch = text[pos : pos + 1]
        if ch == ",":
            pos += 1
            if text[pos : pos + 1] in _BLANK:
                pos = ws(text, pos).end()  # type: ignore[union-attr]
            continue
        if ch == "]":
            loc.starts[section], loc.lines[section] = starts, lines
            return items, pos + 1
        raise _Fallback


def load_json(
    text: str,
    file: str,
    collector: Collector,
    *,
    kinds: Mapping[str, bool],
    roles: Collection[str],
    as_of: date | None,
) -> Registry:
    streamed = _streamed(text, file, kinds=kinds, roles=roles, as_of=as_of)
    if streamed is not None:
        registry, warnings = streamed
        for w in warnings:
            collector.add(w)
        return registry
    return load_whole(text, file, collector, kinds=kinds, roles=roles, as_of=as_of)


def load_whole(
    text: str,
    file: str,
    collector: Collector,
    *,
    kinds: Mapping[str, bool],
    roles: Collection[str],
    as_of: date | None,
) -> Registry:
    """The document decoded whole, then read: every problem found and located."""
    try:
        doc, locator = scan_document(text)
    except json.JSONDecodeError as e:
        collector.error(file, "malformed", f"not valid JSON: {e.msg}", line=e.lineno)
        collector.raise_if_errors()
        raise AssertionError("unreachable") from e  # pragma: no cover
    except decode.DecodeError as e:
        for p in e.problems(file):
            collector.add(p)
        collector.raise_if_errors()
        raise AssertionError("unreachable") from e  # pragma: no cover
    return read_document(
        doc, file, locator, collector, kinds=kinds, roles=roles, as_of=as_of, plain_data=True
    )


#: The order in which the whole-document path reads the sections: a streamed read gives the
#: same warnings in the same order only when the document's sections come in this order.
_ORDER = {key: i for i, key in enumerate(_SECTIONS)}


def _streamed(
    text: str,
    file: str,
    *,
    kinds: Mapping[str, bool],
    roles: Collection[str],
    as_of: date | None,
) -> tuple[Registry, list[Any]] | None:
    """The registry and its warnings, each record built as it is decoded; None when the
    whole-document path must read it (any problem, or anything this scan does not read)."""
    if decode.has_lone_surrogate(text):
        return None
    c = Collector()
    locator = JsonLocator(text)
    reader = PeopleTiesReader(c, kinds, roles, field_line=locator.field_line, plain_data=True)
    practice = PracticeReader(reader)
    people: list[Person] = []
    ties: list[Tie] = []
    values: dict[str, Any] = {}
    try:
        _stream(text, locator, values, reader, practice, people, ties, file)
    except (_Fallback, StopIteration, json.JSONDecodeError, *decode.REFUSED):
        return None
    if c.errors or values.get("format") != FORMAT or "people" not in locator.keys:
        return None
    doc_as_of, err = reader.date_value(values.get("as_of"))
    if err or (doc_as_of is not None and as_of_out_of_range(doc_as_of)):
        return None
    # every record was accepted: the i-th is at position i of its array
    people_at = SectionInfo(file, locator.lines["people"], "/people")
    ties_at = SectionInfo(file, locator.lines["ties"], "/ties")
    try:
        registry = assemble(
            c,
            people,
            people_at,
            ties,
            ties_at,
            as_of=as_of or doc_as_of,
            source=file,
            kinds=kinds,
            rejected_refs=reader.rejected_refs,
            rejected_people=reader.rejected_people,
            practice=practice,
            # any error sends the document to the whole-document path, which words it:
            # a suggestion made here would be made twice, over the budget
            hints=False,
        )
    except RegistryError:
        return None
    return registry, c.warnings


def _stream(  # noqa: PLR0917
    text: str,
    loc: JsonLocator,
    values: dict[str, Any],
    reader: PeopleTiesReader,
    practice: PracticeReader,
    people: list[Person],
    ties: list[Tie],
    file: str,
) -> None:
    """Scan the document's top level, handing each record of a section to its reader as
    it is decoded; raises :class:`_Fallback` for what the whole-document path must read."""
    scan = decode.scanner()
    n = len(text)
    pos = _skip(text, 0)
    if pos >= n or text[pos] != "{":
        raise _Fallback
    pos = _skip(text, pos + 1)
    last_key = -1  # the order of the last section read
    while pos < n and text[pos] != "}":
        if text[pos] != '"':
            raise _Fallback
        key_at = pos
        key, pos = scan(text, pos)
        pos = _skip(text, pos)
        if pos >= n or text[pos] != ":":
            raise _Fallback
        pos = _skip(text, pos + 1)
        if key in loc.keys or key not in DOCUMENT_KEYS:  # repeated or unknown
            raise _Fallback
        order = _ORDER.get(key)
        if order is not None:
            if order <= last_key:
                raise _Fallback
            last_key = order
        loc.keys[key] = key_at
        if key in _SECTIONS:
            if pos >= n or text[pos] != "[":
                raise _Fallback
            pos = _stream_array(text, pos, scan, loc, key, reader, practice, people, ties, file)
        else:
            values[key], pos = scan(text, pos)
        pos = _skip(text, pos)
        if pos < n and text[pos] == ",":
            pos = _skip(text, pos + 1)
            if pos < n and text[pos] == "}":
                raise _Fallback  # a trailing comma: the decoder words the error
            continue
        break
    if pos >= n or text[pos] != "}" or _skip(text, pos + 1) != n:
        raise _Fallback


def _stream_array(  # noqa: PLR0917
    text: str,
    pos: int,
    scan: Any,
    loc: JsonLocator,
    section: str,
    reader: PeopleTiesReader,
    practice: PracticeReader,
    people: list[Person],
    ties: list[Tie],
    file: str,
) -> int:
    """Read one section's array from ``pos`` (its ``[``); the offset after its ``]``."""
    starts, lines = loc.starts[section], loc.lines[section]
    n = len(text)
    line = text.count("\n", 0, pos) + 1
    last = pos
    pos = _skip(text, pos + 1)
    if pos < n and text[pos] == "]":
        return pos + 1
    count = text.count
    ws = _WS.match
    i = 0
    while True:
        line += count("\n", last, pos)
        last = pos
        starts.append(pos)
        lines.append(line)
        item, pos = scan(text, pos)
        pointer = f"/{section}/{i}"
        if section == "ties":
            t = reader.tie(item, file, line, pointer, i)
            if t is None:
                raise _Fallback
            ties.append(t)
        elif section == "people":
            p = reader.person(item, file, line, pointer, i)
            if p is None:
                raise _Fallback
            people.append(p)
        else:
            practice.read(section, item, file, line, pointer, i)
        i += 1
        ch = text[pos : pos + 1]
        if ch in _BLANK:
            pos = ws(text, pos).end()  # type: ignore[union-attr]
            ch = text[pos : pos + 1]
        if ch == ",":
            pos += 1
            if text[pos : pos + 1] in _BLANK:
                pos = ws(text, pos).end()  # type: ignore[union-attr]
            continue
        if ch == "]":
            return pos + 1
        raise _Fallback
