"""The columnar path for JSON Lines registries (private).

pyarrow's JSON reader parses the file a block at a time into columns (in C, without a
Python object per record); the people and ties then go through the CSV folder's column
checks (``_csv_columns.validated_columns``), so that only the ties a rule can use ever
become ``Tie`` objects.  The decoded document never exists: only one block of text and
the columns.

It gives exactly what the line-by-line reader (``_jsonl``) gives, or nothing:
:func:`read_jsonl_columns` returns None, and the caller reads the file line by line, when
anything is outside what this path reads identically.  pyarrow itself refuses what does
not fit the schema below: a field of the wrong type, a field no person or tie has, a key
repeated in an object, a line that is not an object, a control character in a text, text
that is not UTF-8.  The rest is checked on the text, most of it by one C scan of each
block (``_jscan.lines``; for a document, ``_jscan.records`` as it writes the lines): a
backslash (an escape: this path reads strings as they are written), a line break other
than ``\\n`` or ``\\r\\n``, a blank line (rows must be lines), a ``null`` for a field its
record type does not have, inside ``attributes`` or ``roles`` (pyarrow cannot tell null
from absent), an empty text (a CSV cell's "absent"), a role a CSV cell would split
otherwise, a record other than a person or a tie (the ``registry`` header on the first
line is read by the line reader's own code), more than one attribute in a record (their
order).  Problems are rare and a registry with errors fails anyway, so the line-by-line
reader, which locates every problem, reports them.  Warnings are the line reader's own:
the records it would warn about are read again by its code, in its order, each from its
byte offset (the scan's).  ``tests/graph/test_jsonl_columns.py`` holds both paths to the
same registry on generated files, good and damaged.

The people stay columns (``ColumnarRegistry.people``), as a CSV folder's do.  A JSON
document of any layout is read by the same code (``_json_columns``): its arrays' records,
written one a line by its scan, are handed to :func:`parse_block` with their record type
and the scan's notes, and :class:`Layout` says where each record is (lines and JSON
pointers).
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, replace
from datetime import date

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pa_json

from dualrel._internal import decode
from dualrel._internal.problems import MAX_ERRORS, Collector
from dualrel._internal.reading import OnRead, check_file
from dualrel.errors import Problem
from dualrel.graph import _jscan
from dualrel.graph._arrow_columns import (  # one pool: memory goes back to the objects built next
    POOL,
    line_map,
)
from dualrel.graph._assemble import SectionInfo, assemble, finish
from dualrel.graph._csv_columns import Columns, validated_columns
from dualrel.graph._locations import LineArray, LineRuns
from dualrel.graph._people_ties import PeopleTiesReader
from dualrel.graph.columns import ColumnarRegistry
from dualrel.graph.model import Registry, Tie

__all__ = [
    "BLOCK_SIZE",
    "NULLABLE",
    "STRIDE",
    "Layout",
    "Refused",
    "Scanned",
    "parse_block",
    "read_jsonl_columns",
    "registry_of",
]

#: Bytes parsed at a time (the tests make it small, so that small files are many blocks).
BLOCK_SIZE = 16 << 20

_TEXT = ("type", "id", "kind", "source", "target", "start", "end", "name", "organisation")
_HEADER = ("format", "as_of")
_TOP = (*_TEXT, "roles", "attributes", *_HEADER)
_PERSON_ONLY = ("roles", "name", "organisation")
_TIE_ONLY = ("kind", "source", "target", "start", "end")
#: fields a record of each type may give as null (null and absent are the same to it)
_MAY_BE_NULL = {
    "tie": ("end", "start", "id", "attributes"),
    "person": ("organisation", "name", "roles", "attributes"),
}
#: one JSON Lines record in this many has its byte offset kept (a warned-about record is
#: read on from the one before it)
STRIDE = 64
#: bytes pyarrow parses in one piece: a whole block (1 MB pieces, parsed in parallel,
#: took more CPU in all and no less wall time on a busy machine)
_PARSE_CHUNK = 1 << 24
#: the fields the scan tells nulls of (``_jscan.lines``: bit f for field f, bit 7 for
#: a null elsewhere) and the bits a record of each type may have
NULLABLE = tuple(sorted({f.encode() for fields in _MAY_BE_NULL.values() for f in fields}))
_ELSEWHERE = 0x80
_ALLOWED = {
    t: pa.scalar(sum(1 << NULLABLE.index(f.encode()) for f in fields), pa.uint8())
    for t, fields in _MAY_BE_NULL.items()
}


class Refused(Exception):
    """The file is outside what this path reads alike."""


@dataclass(frozen=True, slots=True)
class Layout:
    """Where a file's records are, by their position among its people and ties.

    JSON Lines: record r on line ``first + r``; record ``k * STRIDE`` starts at byte
    ``starts[k]`` of the file.  A JSON document (``people`` given, the number of its
    people): its ``people`` array's records come first, then its ``ties`` array's (record
    ``people + k`` is tie k), record r's ``{`` on line ``lines[r]`` at byte ``starts[r]``
    of the file; each also located by JSON pointer, as the document reader does.
    """

    first: int
    people: int | None = None
    lines: array[int] | None = None
    starts: array[int] | None = None

    def line(self, r: int) -> int:
        return r + self.first if self.lines is None else self.lines[r]

    def runs(self, rows: pa.Array, *, ties: bool) -> LineRuns | LineArray:
        """The lines of the people (or ties) at ``rows`` (ascending positions)."""
        if self.lines is None:
            return _runs(rows, self.first)
        # a document's sections are its people, then its ties, each in order
        at = self.people or 0
        return line_map(self.lines[at:] if ties else self.lines[:at])

    def pointer(self, section: str) -> str | None:
        return None if self.people is None else f"/{section}"

    def index(self, r: int) -> int:
        """The position of record r in its section's array (a document's)."""
        return r if self.people is None or r < self.people else r - self.people


def read_jsonl_columns(
    file: str,
    *,
    kinds: Mapping[str, bool],
    roles: Collection[str],
    as_of: date | None,
    on_read: OnRead | None = None,
) -> tuple[ColumnarRegistry, tuple[Problem, ...]] | None:
    """The registry of the JSON Lines ``file``, its ties as columns, and its warnings;
    None when the line-by-line reader must read it (see the module's docstring)."""
    try:
        return _read(file, kinds, roles, as_of, on_read)
    # what pyarrow cannot read, text that is not JSON or not UTF-8, a file too large or
    # not regular (DecodeError), unreadable: the line reader says which, located
    except (Refused, ValueError, pa.ArrowException, OSError):
        return None


def _read(
    file: str,
    kinds: Mapping[str, bool],
    roles: Collection[str],
    as_of: date | None,
    on_read: OnRead | None,
) -> tuple[ColumnarRegistry, tuple[Problem, ...]] | None:
    if not check_file(file, "registry"):  # a pipe: read once, by the line reader
        return None
    blocks: list[pa.Table] = []
    header: _Header | None = None
    size = 0
    # every STRIDE-th record's byte offset, to read again the few warned about
    starts = array("q")
    records = 0
    with open(file, "rb") as f:
        rest = b""
        at = 0  # the byte offset of chunk[0]
        while True:
            data = f.read(BLOCK_SIZE)
            size += len(data)
            chunk = rest + data if rest else data
            cut = chunk.rfind(b"\n") + 1 if data else len(chunk)
            skip = 0
            if header is None and (cut or not data):
                skip = 3 if chunk.startswith(b"\xef\xbb\xbf") else 0
                header = _header(chunk, skip, cut, kinds, roles)
                skip += header.skip
            if cut > skip:
                block = memoryview(chunk)[skip:cut]
                scanned = scan(block, at + skip)
                offsets = memoryview(scanned.starts).cast("q")
                starts.extend(offsets[-records % STRIDE :: STRIDE])
                records += scanned.lines
                blocks.append(parse_block(block, None, scanned))
            rest = chunk[cut:]
            at += cut
            if not data:
                break
    if header is None or not blocks:
        return None
    return registry_of(
        file,
        blocks,
        Layout(header.lines + 1, starts=starts),
        header.as_of,
        kinds=kinds,
        roles=roles,
        as_of=as_of,
        size=size,
        on_read=on_read,
    )


@dataclass(frozen=True, slots=True)
class _Header:
    skip: int  # bytes of the block before the first person or tie
    lines: int  # lines before the first person or tie
    as_of: date | None


def _header(
    chunk: bytes, start: int, cut: int, kinds: Mapping[str, bool], roles: Collection[str]
) -> _Header:
    """The ``registry`` record on the first line (``chunk[start:cut]``, whole lines), read
    by the line reader's own code (refused when it has any problem)."""
    end = chunk.find(b"\n", start, cut)
    line = chunk[start : end if end >= 0 else cut]
    if b'"registry"' not in line:
        return _Header(0, 0, None)
    from dualrel.graph._jsonl import header_as_of  # noqa: PLC0415

    obj = decode.loads(line.decode("utf-8"))
    if not isinstance(obj, dict) or obj.get("type") != "registry":
        return _Header(0, 0, None)
    c = Collector()
    as_of = header_as_of(obj, PeopleTiesReader(c, kinds, roles), "", 1, c)
    if c.errors:
        raise Refused
    return _Header(end + 1 - start if end >= 0 else cut - start, 1, as_of)


@dataclass(frozen=True, slots=True)
class Scanned:
    """What the scan of a block's text found (``_jscan.lines``): its lines, a byte a
    line of the nullable fields given null (bit 7: a null elsewhere), those or-ed, the
    keys of every ``attributes`` object, and each line's byte offset in the file (C long
    longs)."""

    lines: int
    masks: bytes
    keys: set[bytes]
    nulls: int
    starts: bytes


def scan(block: bytes | memoryview, base: int) -> Scanned:
    """The scan of ``block``, at byte ``base`` of its file; refused when it has what
    pyarrow reads otherwise than the line reader: an escape (this path reads strings as
    they are written), a carriage return but before a line feed."""
    try:
        return Scanned(*_jscan.lines(block, NULLABLE, base))
    except ValueError:
        raise Refused from None


def parse_block(
    block: bytes | memoryview, record_type: str | None = None, scanned: Scanned | None = None
) -> pa.Table:
    """One block (whole lines) as a table of the schema, checked against its text; with
    ``record_type``, every record is of that type and has no ``type`` field (a JSON
    document's section); ``scanned``, the block's scan when its caller made it."""
    # pyarrow refuses control characters inside a text and text that is not UTF-8
    if scanned is None:
        scanned = scan(block, 0)
    names = sorted(k.decode() for k in scanned.keys)
    if any(k in _TOP for k in names):  # not told from a field by the CSV columns
        raise Refused
    table = pa_json.read_json(
        pa.py_buffer(block),
        memory_pool=POOL,
        read_options=pa_json.ReadOptions(block_size=_PARSE_CHUNK),
        parse_options=pa_json.ParseOptions(
            explicit_schema=_schema(names), unexpected_field_behavior="error"
        ),
    )
    if table.num_rows != scanned.lines:  # a blank line, or two records on one
        raise Refused
    if record_type is not None:
        at = table.schema.get_field_index("type")
        if table.column(at).null_count != table.num_rows:  # an unknown field to the document
            raise Refused
        table = table.set_column(at, "type", pa.repeat(record_type, table.num_rows))
    if scanned.nulls:
        _check_nulls(scanned, table.column("type"))
    return table


def _check_nulls(scanned: Scanned, kind: pa.ChunkedArray) -> None:
    """Refused when a record gives null for a field its type does not have, in its
    ``attributes``, or in its ``roles``: pyarrow reads null as absent, the line reader
    does not."""
    if scanned.nulls & _ELSEWHERE:
        raise Refused
    masks = scanned.masks
    found = pa.Array.from_buffers(pa.uint8(), len(masks), [None, pa.py_buffer(masks)])
    # a record of neither type is refused later
    allowed = pc.if_else(pc.equal(kind, "tie"), _ALLOWED["tie"], _ALLOWED["person"])
    if pc.any(pc.not_equal(pc.bit_wise_and(found, pc.bit_wise_not(allowed)), 0)).as_py():
        raise Refused


def _schema(keys: list[str]) -> pa.Schema:
    fields = [(h, pa.string()) for h in _TEXT]
    fields.append(("roles", pa.list_(pa.string())))
    fields.append(("attributes", pa.struct([(k, pa.string()) for k in keys])))
    fields.extend((h, pa.string()) for h in _HEADER)
    return pa.schema(fields)


def _widened(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """``table`` with every attribute of ``schema`` (those its block lacks: null)."""
    if table.schema.equals(schema):
        return table
    column = table.column("attributes").combine_chunks()
    have = {column.type.field(i).name: i for i in range(column.type.num_fields)}
    kind = schema.field("attributes").type
    children = [
        column.field(have[f.name]) if f.name in have else pa.nulls(len(column), pa.string())
        for f in kind
    ]
    widened = pa.StructArray.from_arrays(children, fields=list(kind), mask=column.is_null())
    return table.set_column(table.schema.get_field_index("attributes"), "attributes", widened)


def registry_of(
    file: str,
    blocks: list[pa.Table],
    layout: Layout,
    doc_as_of: date | None,
    *,
    kinds: Mapping[str, bool],
    roles: Collection[str],
    as_of: date | None,
    size: int,
    on_read: OnRead | None,
) -> tuple[ColumnarRegistry, tuple[Problem, ...]] | None:
    keys = sorted({f.name for t in blocks for f in t.schema.field("attributes").type})
    schema = _schema(keys)
    table = pa.concat_tables([_widened(t, schema) for t in blocks], memory_pool=POOL)
    blocks.clear()  # the caller's list: only ``table`` holds the parsed columns now
    record_type = table.column("type")
    if record_type.null_count or not set(pc.unique(record_type).to_pylist()) <= {"person", "tie"}:
        raise Refused
    is_person = pc.equal(record_type, "person")
    is_tie = pc.invert(is_person)
    attributes = dict(zip(keys, table.column("attributes").combine_chunks().flatten(), strict=True))
    _check_fields(table, is_person, attributes)
    role_lists = table.column("roles")
    people_rows = pc.indices_nonzero(is_person)
    tie_rows = pc.indices_nonzero(is_tie)
    pick_people, pick_ties = _picker(is_person, people_rows), _picker(is_tie, tie_rows)
    people_table = _section(table, attributes, pick_people, ("id", "name", "organisation"))
    people_table = people_table.append_column(
        "roles", pc.fill_null(pc.binary_join(pick_people(role_lists), ";"), "")
    )
    ties_table = _section(
        table, attributes, pick_ties, ("id", "kind", "source", "target", "start", "end")
    )
    suspects = _suspects(table.column("kind"), role_lists, attributes.get("relation"), roles)
    del table, attributes, role_lists, is_person, is_tie
    # validated_columns gives the tables' memory back as it goes: no other reference here
    tables = [people_table, ties_table]
    del people_table, ties_table
    columns = validated_columns(tables.pop(0), tables.pop(0), file, file, kinds=kinds, roles=roles)
    if columns is None:
        return None
    c = Collector()
    if columns.warnings.warnings or len(suspects):
        _warnings(file, columns, suspects, tie_rows, layout, c, kinds, roles)
    # the people stay columns, as a CSV folder's do: a check makes objects of those its
    # rules can use (a million of them took more memory than the ties' columns)
    people = replace(columns.people_columns, lines=layout.runs(people_rows, ties=False))
    ties = replace(columns.ties, lines=layout.runs(tie_rows, ties=True))
    registry = finish(
        c,
        SectionInfo(file, people.lines, layout.pointer("people")),
        None,
        SectionInfo(file, ties.lines, layout.pointer("ties")),
        None,
        registry=Registry((), (), as_of or doc_as_of, file, {}, dict(kinds)),
        people_kept=True,
    )
    if on_read is not None:
        on_read(size)
    columnar = ColumnarRegistry(
        registry, ties, file, people, file, pointers=layout.people is not None
    )
    return columnar, tuple(c.warnings)


def _check_fields(
    table: pa.Table, is_person: pa.ChunkedArray, attributes: Mapping[str, pa.Array]
) -> None:
    """Refused when a record has what the CSV columns would read differently."""
    for h in _HEADER:  # the header is read apart: no record may have its fields
        if table.column(h).null_count != table.num_rows:
            raise Refused
    # a field of the other record type (the line reader: an unknown field)
    for fields, rows in ((_TIE_ONLY, is_person), (_PERSON_ONLY, pc.invert(is_person))):
        for h in fields:
            if pc.any(pc.and_(rows, pc.is_valid(table.column(h)))).as_py():
                raise Refused
    # an empty text is a value here, "absent" in a CSV cell
    for column in [*(table.column(h) for h in _TEXT), *attributes.values()]:
        if pc.any(pc.equal(column, "")).as_py():
            raise Refused
    # attributes are kept in the order written: one per record has only one order
    given = pa.array([0] * table.num_rows, pa.int32())
    for column in attributes.values():
        given = pc.add(given, pc.cast(pc.is_valid(column), pa.int32()))
    if attributes and pc.max(given).as_py() > 1:
        raise Refused
    # roles a CSV cell would split otherwise
    items = pc.list_flatten(table.column("roles"))
    if len(items) and (
        items.null_count
        or pc.any(pc.equal(items, "")).as_py()
        or pc.any(pc.match_substring(items, ";")).as_py()
        or pc.any(pc.not_equal(pc.utf8_trim_whitespace(items), items)).as_py()
    ):
        raise Refused


def _picker(
    mask: pa.ChunkedArray, rows: pa.Array
) -> Callable[[pa.Array | pa.ChunkedArray], pa.Array | pa.ChunkedArray]:
    """A column's values at ``rows`` (where ``mask`` is true): a slice, sharing the parsed
    columns' memory, when the rows follow each other (people then ties, as written most
    often, and always in a JSON document); else a filtered copy."""
    n = len(rows)
    if n and rows[n - 1].as_py() - rows[0].as_py() + 1 == n:
        start = rows[0].as_py()
        return lambda column: column.slice(start, n)
    return lambda column: pc.filter(column, mask)


def _section(
    table: pa.Table,
    attributes: Mapping[str, pa.Array],
    pick: Callable[[pa.Array | pa.ChunkedArray], pa.Array | pa.ChunkedArray],
    names: tuple[str, ...],
) -> pa.Table:
    """The records ``pick`` takes as CSV columns would give them: every column text, an
    attribute a column of its own (absent: empty)."""
    columns = {h: pc.fill_null(pick(table.column(h)), "") for h in names}
    for k, column in attributes.items():
        picked = pick(column)
        if picked.null_count != len(picked):
            columns[k] = pc.fill_null(picked, "")
    return pa.table(columns)


def _suspects(
    tie_kind: pa.ChunkedArray,
    role_lists: pa.ChunkedArray,
    relation: pa.Array | None,
    roles: Collection[str],
) -> pa.Array:
    """Positions of the records the line reader warns about as it reads them: a person
    with a role not in the vocabulary, a family tie without relation."""
    items = pc.list_flatten(role_lists)
    unknown = pc.invert(pc.is_in(items, value_set=pa.array(sorted(roles), pa.string())))
    people = pc.filter(pc.list_parent_indices(role_lists), unknown).cast(pa.int64())
    family = pc.fill_null(pc.equal(tie_kind, "family"), False)
    if relation is not None:
        family = pc.and_(family, pc.is_null(relation))
    ties = pc.indices_nonzero(family).cast(pa.int64())
    return pc.unique(pa.chunked_array([*_chunks(people), *_chunks(ties)], pa.int64()))


def _chunks(array: pa.Array | pa.ChunkedArray) -> list[pa.Array]:
    return array.chunks if isinstance(array, pa.ChunkedArray) else [array]


def _runs(rows: pa.Array, first: int) -> LineRuns:
    """The lines of records at ``rows`` (ascending positions among the file's records,
    the first record on line ``first``), as runs of consecutive lines."""
    runs = LineRuns()
    n = len(rows)
    runs.count = n
    if not n:
        return runs
    at = rows.cast(pa.int64())
    steps = pc.subtract(at.slice(1), at.slice(0, n - 1))
    starts = [0, *(i + 1 for i in pc.indices_nonzero(pc.not_equal(steps, 1)).to_pylist())]
    for s in starts:
        runs.starts.append(s)
        runs.offsets.append(at[s].as_py() + first - s)
    return runs


def _warnings(  # noqa: PLR0917
    file: str,
    columns: Columns,
    suspects: pa.Array,
    tie_rows: pa.Array,
    layout: Layout,
    c: Collector,
    kinds: Mapping[str, bool],
    roles: Collection[str],
) -> None:
    """The warnings the line reader gives, in its words and order: the records it warns
    about as it reads them are read again by it (``suspects``: their positions among the
    file's records), then the ties whose ends lack a role go through its checks across
    records.  Refused when the columns' warnings may be cut short."""
    if len(columns.warnings.warnings) >= MAX_ERRORS:
        raise Refused
    mismatched = sorted(
        {p.line - 2 for p in columns.warnings.warnings if p.code == "role-mismatch" and p.line}
    )
    # the mismatched ties' positions among the file's records
    at = pc.take(tie_rows, pa.array(mismatched, pa.int64())).to_pylist() if mismatched else []
    wanted = sorted(set(suspects.to_pylist()) | set(at))
    if layout.people is None:
        texts = _lines_at(file, layout, wanted)
        reader = PeopleTiesReader(c, kinds, roles, extra_fields=("type",))
    else:  # the document reader's own, each field on its line
        texts = _records_at(file, layout, wanted)
        fields = _FieldLines(layout, dict(zip(wanted, texts, strict=True)))
        reader = PeopleTiesReader(c, kinds, roles, field_line=fields.line, plain_data=True)
    ties: dict[int, Tie] = {}
    for r, text in zip(wanted, texts, strict=True):
        line = layout.line(r)
        obj = decode.loads(text, first_line=line)
        i = layout.index(r)
        is_person = obj.get("type") == "person" if layout.people is None else r < layout.people
        if is_person:
            pointer = None if layout.people is None else f"/people/{i}"
            reader.person(obj, file, line, pointer, i)
        else:
            pointer = None if layout.people is None else f"/ties/{i}"
            tie = reader.tie(obj, file, line, pointer, i)
            if tie is not None:
                ties[r] = tie
    if c.errors or any(r not in ties for r in at):
        raise Refused
    if at:
        mismatch = [ties[r] for r in at]
        ends = {t.source for t in mismatch} | {t.target for t in mismatch}
        ends_people = [p for p in columns.people if p.id in ends]
        assemble(
            c,
            ends_people,
            SectionInfo(file, array("l", [0] * len(ends_people)), None),
            mismatch,
            SectionInfo(
                file,
                array("l", [layout.line(r) for r in at]),
                layout.pointer("ties"),
                array("l", [layout.index(r) for r in at]),
            ),
            as_of=None,
            source=file,
            kinds=kinds,
        )


def _lines_at(file: str, layout: Layout, rows: list[int]) -> list[str]:
    """The text of the records at ``rows`` of a JSON Lines file: each its line, read on
    from the offset of the record before it that has one."""
    starts = layout.starts
    assert starts is not None
    out: list[str] = []
    with open(file, "rb") as f:
        for r in rows:
            f.seek(starts[r // STRIDE])
            for _ in range(r % STRIDE):
                f.readline()
            out.append(f.readline().decode("utf-8"))
    return out


def _records_at(file: str, layout: Layout, rows: list[int]) -> list[str]:
    """The text of each of a document's records at ``rows``: from its ``{`` to its
    ``}``, read from its byte offset up to the next record's (or the end)."""
    starts = layout.starts
    assert starts is not None
    people = layout.people or 0
    # each record ends before the next of its section, or the first of the other one
    # when that comes later in the file
    firsts = [starts[0]] if people else []
    if len(starts) > people:
        firsts.append(starts[people])
    out: list[str] = []
    scan = decode.scanner()
    with open(file, "rb") as f:
        for r in rows:
            start = starts[r]
            nexts = [s for s in firsts if s > start]
            if r + 1 < len(starts) and (r + 1 < people) == (r < people):
                nexts.append(starts[r + 1])
            f.seek(start)
            data = f.read(min(nexts) - start) if nexts else f.read()
            text = data.decode("utf-8")
            out.append(text[: scan(text, 0)[1]])
    return out


class _FieldLines:
    """The line of each field of a document's records read again (the document
    reader's :meth:`~dualrel.graph._json.JsonLocator.field_line`)."""

    def __init__(self, layout: Layout, texts: Mapping[int, str]) -> None:
        self.layout = layout
        self.texts = texts

    def line(self, section: str, index: int, field: str) -> int | None:
        from dualrel.graph._json import find_key  # noqa: PLC0415

        r = index if section == "people" else index + (self.layout.people or 0)
        text = self.texts.get(r)
        if text is None:
            return None
        at = find_key(text, 0, field)
        line = self.layout.line(r)
        return line if at is None else line + text.count("\n", 0, at)
