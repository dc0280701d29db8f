"""JSON documents with line numbers for every record (private).

The standard library parser gives no positions, so the top level of the document is
scanned here and each value is decoded by the standard library's C scanner from a known
offset.  The offset of every person and tie is kept; lines are counted once, in order.
Anything unexpected falls back to ``json.loads`` for its exact error message and position.
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
from dualrel._internal.problems import Collector
from dualrel.graph._document import read_document
from dualrel.graph.model import PRACTICE_SECTIONS, Registry

__all__ = ["JsonLocator", "load_json", "scan_document"]

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
        self.starts: dict[str, list[int]] = {s: [] for s in _SECTIONS}
        self.lines: dict[str, list[int]] = {s: [] for s in _SECTIONS}
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
        off = _find_key(self.text, starts[index], field)
        return self.record_line(section, index) if off is None else self.line_at(off)


def _newline_offsets(text: str) -> array[int]:
    offsets = array("q")
    find = text.find
    at = find("\n")
    while at >= 0:
        offsets.append(at)
        at = find("\n", at + 1)
    return offsets


def _find_key(text: str, start: int, key: str) -> int | None:
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
    starts: list[int] = []
    lines: list[int] = []
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
