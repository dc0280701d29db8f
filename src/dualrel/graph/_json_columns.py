"""The columnar path for JSON documents laid out one record a line (private).

A large registry document is usually written the way ``dualrel``'s own tools and most
writers of records write it: a few fields at the top, then each of ``people`` and
``ties`` an array with one record on each line::

    {"format": "dualrel.registry/1", "as_of": "2026-11-26",
     "people": [
      {"id": "co1", "roles": ["coach"]},
      {"id": "cl1", "roles": ["client"]}
     ],
     "ties": [
      {"id": "t1", "kind": "coaching", "source": "co1", "target": "cl1"}
     ]}

Such a document is read streamed, a block of lines at a time: the lines of an array,
without the comma after each record, are JSON Lines, and go through the JSON Lines
columnar reader (:mod:`dualrel.graph._jsonl_columns`: pyarrow's parser, the CSV folder's
column checks), told the type of every record by the array it is in.  Neither the text
nor a dict per record is ever held whole: one block of text, then the columns.

It gives exactly what the document reader (``_json``) gives, or nothing:
:func:`read_json_columns` returns None, and the caller reads the document as today
(which locates every problem), for anything else: another layout (a record over several
lines, two on one, a blank line), a top-level field other than ``format``, ``as_of``,
``people`` and ``ties`` (the practice sections, an unknown or repeated key), a ``format``
or ``as_of`` the document reader would refuse or that is not a plain text, a carriage
return, a byte order mark, no people or no ties, and whatever the JSON Lines columnar
reader refuses (a backslash, a null or an empty text where it differs, ...).  Every line
of an array is parsed by pyarrow as exactly one object and every comma is counted, so a
document read here is valid JSON of exactly this shape.
``tests/graph/test_json_columns.py`` holds both paths to the same registry on generated
documents, good and damaged.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from datetime import date
from typing import IO

import pyarrow as pa

from dualrel._internal.dates import as_of_out_of_range
from dualrel._internal.problems import Collector
from dualrel._internal.reading import OnRead, check_file
from dualrel.errors import Problem
from dualrel.graph._jsonl_columns import Layout, Refused, parse_block, registry_of
from dualrel.graph._people_ties import PeopleTiesReader
from dualrel.graph.columns import ColumnarRegistry
from dualrel.graph.model import FORMAT

__all__ = ["BLOCK_SIZE", "read_json_columns"]

#: Bytes read at a time (the tests make it small, so that small files are many blocks).
BLOCK_SIZE = 16 << 20

_WS = re.compile(rb"[ \t\n]*")
_KEY = re.compile(rb'"(format|as_of|people|ties)"[ \t\n]*:[ \t\n]*')
#: a top-level value read here: a text without escapes or control characters, or null
_VALUE = re.compile(rb'"([^"\\\x00-\x1f]*)"|null')
#: an array's opening bracket and the rest of its line; an empty array
_OPEN = re.compile(rb"\[[ \t]*\n")
_EMPTY = re.compile(rb"\[[ \t\n]*\]")
#: the line closing an array
_CLOSE = re.compile(rb"[ \t]*\]")
_RECORD_TYPES = {"people": "person", "ties": "tie"}
#: more text than a key, a value or white space between them needs here
_LONGEST = 1 << 16


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
    ``buf[0]``."""

    def __init__(self, f: IO[bytes]) -> None:
        self.f = f
        self.buf = b""
        self.line = 1
        self.size = 0
        self.done = False

    def more(self) -> bool:
        """Read the next block onto ``buf``; False at the end of the file."""
        if self.done:
            return False
        data = self.f.read(BLOCK_SIZE)
        if b"\r" in data:  # a line break the document reader reads otherwise: left to it
            raise Refused
        self.size += len(data)
        self.done = not data
        self.buf += data
        return bool(data)

    def match(self, pattern: re.Pattern[bytes]) -> re.Match[bytes]:
        """``pattern`` at the start of ``buf`` (read on while it could match further);
        what it matched is taken off ``buf``."""
        while True:
            m = pattern.match(self.buf)
            if m is not None and (m.end() < len(self.buf) or self.done):
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
    sections: dict[str, tuple[int, list[pa.Table], int]] = {}
    with open(file, "rb") as f:
        text = _Text(f)
        text.match(_WS)
        if text.take(1) != b"{":  # a byte order mark, or not an object
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
    people_line, people, n_people = sections["people"]
    ties_line, ties, n_ties = sections["ties"]
    if not n_people or not n_ties:
        raise Refused
    blocks = [*people, *ties]
    del people, ties, sections
    return registry_of(
        file,
        blocks,
        Layout(people_line, n_people, ties_line),
        doc_as_of,
        kinds=kinds,
        roles=roles,
        as_of=as_of,
        size=size,
        on_read=on_read,
    )


def _section(text: _Text, record_type: str) -> tuple[int, list[pa.Table], int]:
    """One array, read from its ``[``: the line of its first record, its records as
    tables of blocks, and how many there are."""
    if _EMPTY.match(text.buf) is not None:
        text.match(_EMPTY)
        return text.line, [], 0
    text.match(_OPEN)
    first = text.line
    blocks: list[pa.Table] = []
    lines = commas = 0
    while True:
        # the last record is the first line ending in "}" and no comma (a record is one
        # line, and "}" and a line break never stand together inside one)
        end = text.buf.find(b"}\n")
        cut = end + 2 if end >= 0 else text.buf.rfind(b"\n") + 1
        if not cut:
            if not text.more():
                raise Refused
            continue
        block = text.take(cut)
        lines += block.count(b"\n")
        commas += block.count(b",\n")
        blocks.append(parse_block(block.replace(b",\n", b"\n"), record_type))
        if end >= 0:
            break
        if not text.more():
            raise Refused
    # the last record has none: a comma after every other
    if commas != lines - 1:
        raise Refused
    text.match(_CLOSE)
    return first, blocks, lines
