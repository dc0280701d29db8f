"""The columnar path for JSON documents (private).

A large registry document is usually written the way ``dualrel``'s own tools and most
writers of records write it, a few fields at the top, then each of ``people`` and
``ties`` an array with one record on each line::

    {"format": "dualrel.registry/1", "as_of": "2026-11-26",
     "people": [
      {"id": "co1", "roles": ["coach"]},
      {"id": "cl1", "roles": ["client"]}
     ],
     "ties": [
      {"id": "t1", "kind": "coaching", "source": "co1", "target": "cl1"}
     ]}

but any other layout JSON allows is read the same way: records over several lines
(``json.dump(doc, f, indent=2)``), the whole document on one line, CRLF line ends, a
byte order mark, every character beyond ASCII escaped (``json.dump``'s default: the scan
writes a ``\\uXXXX`` escape as the character it stands for, unless it is a quote, a
backslash or a control character).  The document is read streamed, a block at a time:
the C scan ``dualrel.graph._jscan`` turns the complete records of a block of an array
into JSON Lines, one compact object a line, noting the line and byte offset of each
record's ``{``; the lines go through the JSON Lines columnar reader
(:mod:`dualrel.graph._jsonl_columns`: pyarrow's parser, the CSV folder's column checks),
told the type of every record by the array it is in.  Neither the text nor a dict per
record is ever held whole: one block of text, then the columns (and two integers a
record: its line and its offset).

It gives exactly what the document reader (``_json``) gives, or nothing:
:func:`read_json_columns` returns None, and the caller reads the document as today
(which locates every problem), for anything else: a top-level field other than
``format``, ``as_of``, ``people`` and ``ties`` (the practice sections, an unknown or
repeated key), a ``format`` or ``as_of`` the document reader would refuse or that is not
a plain text, a carriage return not followed by a line feed outside a text (the document
reader counts it as a line break), no people or no ties, and whatever the JSON Lines
columnar reader refuses (any other escape, a null or an empty text where it differs, ...).
The scan checks the arrays' structure (objects separated by commas, brackets balanced)
and pyarrow parses every line as exactly one object, so a document read here is valid
JSON of exactly this shape.  ``tests/graph/test_json_columns.py`` holds both paths to
the same registry on generated documents, good and damaged, in every layout.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date
from typing import IO

import pyarrow as pa

from dualrel._internal.dates import as_of_out_of_range
from dualrel._internal.problems import Collector
from dualrel._internal.reading import OnRead, check_file
from dualrel.errors import Problem
from dualrel.graph import _jscan
from dualrel.graph._jsonl_columns import (
    NULLABLE,
    Layout,
    Refused,
    Scanned,
    parse_block,
    registry_of,
)
from dualrel.graph._people_ties import PeopleTiesReader
from dualrel.graph.columns import ColumnarRegistry
from dualrel.graph.model import FORMAT

__all__ = ["BLOCK_SIZE", "read_json_columns"]

#: Bytes read at a time (the tests make it small, so that small files are many blocks).
BLOCK_SIZE = 16 << 20

#: JSON white space outside a text: a carriage return only before a line feed
_WS = re.compile(rb"(?:[ \t\n]|\r\n)*")
_KEY = re.compile(rb'"(format|as_of|people|ties)"(?:[ \t\n]|\r\n)*:(?:[ \t\n]|\r\n)*')
#: a top-level value read here: a text without escapes or control characters, or null
_VALUE = re.compile(rb'"([^"\\\x00-\x1f]*)"|null')
_BOM = b"\xef\xbb\xbf"
_RECORD_TYPES = {"people": "person", "ties": "tie"}
#: more text than a key, a value or white space between them needs here
_LONGEST = 1 << 16
#: the scan's state at an array's ``[`` and after its ``]``
_OPENED, _CLOSED = 0, 3


def read_json_columns(
    file: str,
    *,
    kinds: Mapping[str, bool],
    roles: Collection[str],
    as_of: date | None,
    on_read: OnRead | None = None,
) -> tuple[ColumnarRegistry, tuple[Problem, ...]] | None:
    """The registry of the JSON document ``file``, its ties as columns, and its warnings;
    None when the document reader must read it (see the module's docstring)."""
    try:
        return _read(file, kinds, roles, as_of, on_read)
    # what pyarrow cannot read, text that is not UTF-8, a file too large or not regular
    # (DecodeError), unreadable: the document reader says which, located
    except (Refused, ValueError, pa.ArrowException, OSError):
        return None


class _Text:
    """The file's bytes from a point on, read a block at a time; ``line`` is the line of
    ``buf[0]``, ``offset`` its byte offset in the file."""

    def __init__(self, f: IO[bytes]) -> None:
        self.f = f
        self.buf = b""
        self.line = 1
        self.offset = 0
        self.size = 0
        self.done = False

    def more(self) -> bool:
        """Read the next block onto ``buf``; False at the end of the file."""
        if self.done:
            return False
        data = self.f.read(BLOCK_SIZE)
        self.size += len(data)
        self.done = not data
        self.buf += data
        return bool(data)

    def match(self, pattern: re.Pattern[bytes]) -> re.Match[bytes]:
        """``pattern`` at the start of ``buf`` (read on while it could match further);
        what it matched is taken off ``buf``."""
        while True:
            m = pattern.match(self.buf)
            # a carriage return last in the block may be half of a line break
            end = len(self.buf) - self.buf.endswith(b"\r")
            if m is not None and (m.end() < end or self.done):
                break
            # what it matches is short: no match in a long text is none at all
            if m is None and (len(self.buf) > _LONGEST or not self.more()):
                raise Refused
            if m is not None:
                self.more()
        self.take(m.end())
        return m

    def take(self, n: int) -> bytes:
        taken, self.buf = self.buf[:n], self.buf[n:]
        self.line += taken.count(b"\n")
        self.offset += n
        return taken

    def peek(self) -> bytes:
        """The next byte (b"" at the end)."""
        while not self.buf and self.more():
            pass
        return self.buf[:1]


def _read(
    file: str,
    kinds: Mapping[str, bool],
    roles: Collection[str],
    as_of: date | None,
    on_read: OnRead | None,
) -> tuple[ColumnarRegistry, tuple[Problem, ...]] | None:
    if not check_file(file, "registry"):  # a pipe: read once, by the document reader
        return None
    values: dict[str, str | None] = {}
    sections: dict[str, _Section] = {}
    with open(file, "rb") as f:
        text = _Text(f)
        while len(text.buf) < len(_BOM) and text.more():
            pass
        if text.buf.startswith(_BOM):  # the document reader drops it too
            text.take(len(_BOM))
        text.match(_WS)
        if text.take(1) != b"{":
            raise Refused
        text.match(_WS)
        while True:
            key = text.match(_KEY).group(1).decode()
            if key in values or key in sections:
                raise Refused
            if key in _RECORD_TYPES:
                sections[key] = _section(text, _RECORD_TYPES[key])
            else:
                value = text.match(_VALUE).group(1)
                values[key] = None if value is None else value.decode("utf-8")
            text.match(_WS)
            separator = text.take(1)
            if separator == b"}":
                break
            if separator != b",":
                raise Refused
            text.match(_WS)
        text.match(_WS)
        if text.peek():
            raise Refused
        size = text.size
    if values.get("format") != FORMAT or set(sections) != {"people", "ties"}:
        raise Refused
    doc_as_of, err = PeopleTiesReader(Collector(), kinds, roles).date_value(values.get("as_of"))
    if err or (doc_as_of is not None and as_of_out_of_range(doc_as_of)):
        raise Refused
    people, ties = sections.pop("people"), sections.pop("ties")
    if not len(people.lines) or not len(ties.lines):
        raise Refused
    blocks = [*people.blocks, *ties.blocks]
    lines, starts = people.lines, people.starts
    n_people = len(lines)
    lines.extend(ties.lines)
    starts.extend(ties.starts)
    del people, ties
    return registry_of(
        file,
        blocks,
        Layout(0, n_people, lines, starts),
        doc_as_of,
        kinds=kinds,
        roles=roles,
        as_of=as_of,
        size=size,
        on_read=on_read,
    )


@dataclass(frozen=True, slots=True)
class _Section:
    """One array's records: tables of blocks, and the line and byte offset of each."""

    blocks: list[pa.Table]
    lines: array[int]
    starts: array[int]


def _section(text: _Text, record_type: str) -> _Section:
    """One array, read from its ``[`` to its ``]``, a block at a time."""
    if text.peek() != b"[":
        raise Refused
    text.take(1)
    blocks: list[pa.Table] = []
    lines, starts = array("l"), array("q")
    state = _OPENED
    while True:
        records, at, offsets, used, line, state, masks, keys, nulls, escaped = _jscan.records(
            text.buf, text.line, state, text.offset, NULLABLE
        )
        if escaped:  # read as written: the columns would not read it as the document does
            raise Refused
        text.buf = text.buf[used:]
        text.line = line
        text.offset += used
        if records:
            lines.frombytes(at)
            starts.frombytes(offsets)
            scanned = Scanned(len(masks), masks, keys, nulls, offsets)
            blocks.append(parse_block(records, record_type, scanned))
        if state == _CLOSED:
            return _Section(blocks, lines, starts)
        if not text.more():
            raise Refused
