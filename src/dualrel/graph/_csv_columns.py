"""The columnar path for ``people.csv``, ``ties.csv`` and ``contacts.csv`` (private).

At a million people the row-by-row reader (``_csv``) spends most of its time waiting on
memory: every tie looks its two people up in a dict of a million entries, and every row
becomes a list of fresh strings before it becomes a ``Tie``.  This path lets pyarrow parse
both files into columns (on every core), checks the columns as wholes (the distinct kinds,
dates and roles once each, people ids resolved by a hash join in C), and fills the slots of
the ``Person`` and ``Tie`` objects one column at a time.

It gives exactly what the row-by-row reader gives, or nothing: :func:`read_columns`
returns None (:func:`read_contacts` False), and the caller reads the files row by row,
when a file is outside what this path reads identically (a quote character, a line break
other than ``\\n`` or ``\\r\\n``, a blank line, a NUL byte, a row of the wrong width, text
that is not UTF-8, a bad header) or when any row has an error.  Errors are rare and a load
with errors fails anyway, so the row-by-row reader, which locates every problem, reports
them.  Warnings (an unknown role, a tie whose ends lack the expected roles, a family tie
without ``relation``) are reported here, in the row-by-row reader's order and words.
``tests/graph/test_csv_columns.py`` holds both paths to the same result on generated
folders, good and bad.
"""

from __future__ import annotations

import csv
import io
from collections import deque
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from itertools import repeat
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from dualrel._internal.problems import MAX_ERRORS, Collector
from dualrel.graph._csv_common import (
    PEOPLE_COLUMNS,
    PEOPLE_OPTIONAL,
    TIE_COLUMNS,
    TIE_OPTIONAL,
    BadTie,
    check_header,
    contact_cells,
    required_columns,
    split_roles,
)
from dualrel.graph._frozen import NO_ATTRIBUTES, FrozenDict
from dualrel.graph._locations import LineRuns
from dualrel.graph._people_ties import (
    ROLE_EXPECTATIONS,
    DateParser,
    fast_constructor,
)
from dualrel.graph._practice_reader import (
    CONTACT_NEW,
    INTERNED_CHANNELS,
    INTERNED_INITIATORS,
    PracticeReader,
    aware_datetime,
)
from dualrel.graph.columns import TieColumns
from dualrel.graph.model import DATE_ATTRIBUTES, FAMILY_RELATIONS, Person, Tie, derive_tie_id
from dualrel.graph.practice import Contact

__all__ = ["Columns", "read_columns", "read_contacts", "tie_objects", "validated_columns"]

_TIE_FIELDS = ("id", "kind", "source", "target", "start", "end", "attributes")
_PERSON_FIELDS = ("id", "roles", "name", "organisation", "attributes")


def _memory_pool() -> Any:
    """jemalloc where pyarrow has it: freed memory goes back on ``release_unused`` in a way
    that leaves the most room for the graph built next (of pyarrow's default mimalloc, the
    C library's allocator and jemalloc, it gave the lowest peak for load plus graph at a
    million people)."""
    try:
        return pa.jemalloc_memory_pool()
    except NotImplementedError:  # a build without jemalloc
        return pa.default_memory_pool()


_POOL = _memory_pool()

#: Bytes pyarrow parses at a time: a column is one chunk per block (the tests make it
#: small, so that small files are many chunks).
BLOCK_SIZE = 1 << 20

#: the ties' columns encoded ahead, besides the ends and the ids
_ENCODED = ("kind", "start", "end")
_TIE_NEW = fast_constructor(Tie, _TIE_FIELDS)
_PERSON_NEW = fast_constructor(Person, _PERSON_FIELDS)

# pyarrow's "cannot read this" errors: the row-by-row reader then says where and why
_ARROW_ERRORS = (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeDecodeError)


@dataclass(frozen=True, slots=True)
class Columns:
    """What the columnar path read: the people and their lines, the ties as columns (their
    lines with them), the warnings."""

    people: list[Person]
    people_lines: LineRuns
    ties: TieColumns
    warnings: Collector


def read_columns(
    people_file: str,
    ties_file: str,
    *,
    kinds: Mapping[str, bool],
    roles: Collection[str],
) -> Columns | None:
    """People and ties read column-wise, or None when the row-by-row reader must read them.

    Nothing is reported to the caller's collector: warnings come back in
    :attr:`Columns.warnings`, to be added only when the columnar result is used.
    """
    tables = [_table(people_file, PEOPLE_COLUMNS)]
    if tables[0] is None or tables[0].num_rows == 0:
        return None
    tables.append(_table(ties_file, TIE_COLUMNS))
    if tables[1] is None:
        return None
    # popped, never named here: validated_columns holds the tables alone and gives their
    # text back as soon as it is encoded (at 10M people the ties' text is 2 GB)
    return validated_columns(
        tables.pop(0), tables.pop(), people_file, ties_file, kinds=kinds, roles=roles
    )


def validated_columns(
    people_table: pa.Table,
    ties_table: pa.Table,
    people_file: str,
    ties_file: str,
    *,
    kinds: Mapping[str, bool],
    roles: Collection[str],
) -> Columns | None:
    """Tables in (every column text, one row per line after the header of its file),
    validated columns out; None when a row has an error (the row-by-row reader then
    locates every problem).  The tables are consumed: their memory is given back."""
    if people_table.num_rows == 0:
        return None
    w = Collector()
    person_ids = people_table.column("id").combine_chunks(memory_pool=_POOL)
    # pyarrow's kernels run without the GIL: a thread encodes the ties' columns and joins
    # their ends to the people while this one builds the people
    with ThreadPoolExecutor(max_workers=1) as pool:
        ends = pool.submit(
            _ends, ties_table.column("source"), ties_table.column("target"), person_ids
        )
        prepared = _Prepared(
            {
                h: pool.submit(_encode, ties_table.column(h))
                for h in _ENCODED
                if h in ties_table.column_names
            },
            ends,
        )
        people = _people(people_table, person_ids, people_file, roles, w, ends=ends)
        del people_table
        # the ends and kinds are encoded by now (``_people`` waited for the ends): their
        # text is given back before the ties' own checks take their room
        ties_table = ties_table.drop_columns(
            [h for h in ("source", "target", "kind") if h in ties_table.column_names]
        )
        _POOL.release_unused()
        columns = (
            None if people is None else _ties(ties_table, prepared, ties_file, kinds, people, w)
        )
    # the parsed text is no longer needed: give it back before the ties take their room
    del ties_table, prepared, person_ids
    _POOL.release_unused()
    if people is None or columns is None:
        return None
    objects = people.objects
    del people
    return Columns(objects, _lines(len(objects)), columns, w)


def tie_objects(columns: TieColumns, rows: pa.Array | None = None) -> list[Tie]:
    """The ``Tie`` of each row of ``rows`` (ascending), or of every row, in row order."""

    def at(codes: pa.Array) -> pa.Array:
        return codes if rows is None else pc.take(codes, rows, memory_pool=_POOL)

    n = len(columns) if rows is None else len(rows)
    if not n:
        return []
    fields = [
        at(columns.ids).to_pylist(),
        _Encoded(columns.kinds, at(columns.kind_codes)).lazy(),
        _Encoded(columns.people, at(columns.sources)).lazy(),
        _Encoded(columns.people, at(columns.targets)).lazy(),
        _Encoded(columns.starts, at(columns.start_codes)).lazy(),
        _Encoded(columns.ends, at(columns.end_codes)).lazy(),
        _Encoded(columns.attributes, at(columns.attribute_codes)).lazy(),
    ]
    ties = _fill(_TIE_NEW, Tie, n, fields)
    del fields
    _POOL.release_unused()
    return ties


def _lines(n: int) -> LineRuns:
    """Row i on line i + 2: the file was checked to hold one row per line, no blank line."""
    lines = LineRuns()
    if n:
        lines.starts.append(0)
        lines.offsets.append(2)
    lines.count = n
    return lines


def _table(path: str, required: tuple[str, ...]) -> pa.Table | None:
    """Every column as text, or None when the file is outside what this path reads alike."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    # a blank line, or a line break inside a value, makes the rows fewer than the lines:
    # the row count below tells; quoting and a lone carriage return are told here
    if (
        not data
        or b'"' in data
        or b"\x00" in data
        or (b"\r" in data and data.count(b"\r") != data.count(b"\r\n"))
    ):
        return None
    end = data.find(b"\n")
    first = data[: end if end >= 0 else len(data)]
    try:
        row = next(csv.reader(io.StringIO(first.decode("utf-8").rstrip("\r"))), None)
    except (UnicodeDecodeError, csv.Error):
        return None
    header = check_header(row, path, Collector(), required)
    if header is None:
        return None
    rows = data.count(b"\n") - (1 if data.endswith(b"\n") else 0)
    try:
        table = pa_csv.read_csv(
            pa.py_buffer(data),
            memory_pool=_POOL,
            read_options=pa_csv.ReadOptions(
                column_names=header, skip_rows=1, block_size=BLOCK_SIZE
            ),
            parse_options=pa_csv.ParseOptions(quote_char=False, newlines_in_values=False),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(header, pa.string()),
                strings_can_be_null=False,
                check_utf8=True,
            ),
        )
    except _ARROW_ERRORS:
        return None
    # a row per line after the header: what the line numbers of this path rely on
    return table if table.num_rows == rows else None


@dataclass(frozen=True, slots=True)
class _Encoded:
    """A column as its distinct values (in order of first appearance) and each row's code."""

    values: list[Any]
    codes: pa.Array  # int32

    def expand(self, values: list[Any] | None = None) -> list[Any]:
        """Each row's value (or its code's entry in ``values``), the objects shared."""
        return list(self.lazy(values))

    def lazy(self, values: list[Any] | None = None) -> Iterator[Any]:
        """:meth:`expand` one row at a time, with no list of them all."""
        return map((self.values if values is None else values).__getitem__, _ints(self.codes))

    def at(self, row: int, values: list[Any] | None = None) -> Any:
        """One row's value."""
        return (self.values if values is None else values)[self.codes[row].as_py()]


def _encode(column: pa.ChunkedArray | pa.Array) -> _Encoded:
    enc = pc.dictionary_encode(column, memory_pool=_POOL)
    if isinstance(enc, pa.ChunkedArray):
        enc = enc.combine_chunks(memory_pool=_POOL)
    return _Encoded(enc.dictionary.to_pylist(), enc.indices)


def _ints(array: pa.Array) -> memoryview:
    """The int32 values of an array without nulls, read in place (no int object per row
    is kept: a list of three million ints is a hundred megabytes)."""
    data = memoryview(array.buffers()[1]).cast("i")
    return data[array.offset : array.offset + len(array)]


@dataclass(frozen=True, slots=True)
class _Ends:
    """The people ties name, each id text once: a tie's ends and its people share it."""

    ids: list[str]  # the distinct ids over both ends, in order of first appearance
    sources: pa.Array  # each tie's source, a position in ``ids`` (int32)
    targets: pa.Array
    rows: pa.Array  # each of ``ids`` as a row of people.csv, null for an id nobody has
    positions: pa.Array  # each person's position in ``ids``, null for a person in no tie


def _ends(source: pa.ChunkedArray, target: pa.ChunkedArray, people: pa.Array) -> _Ends:
    """Both ends of the ties encoded together and joined to the people (hash joins in C)."""
    both = pa.chunked_array(source.chunks + target.chunks, pa.string())
    enc = pc.dictionary_encode(both, memory_pool=_POOL).combine_chunks(memory_pool=_POOL)
    n = len(source)
    return _Ends(
        enc.dictionary.to_pylist(),
        enc.indices.slice(0, n),
        enc.indices.slice(n),
        pc.index_in(enc.dictionary, value_set=people, memory_pool=_POOL),
        pc.index_in(people, value_set=enc.dictionary, memory_pool=_POOL),
    )


@dataclass(frozen=True, slots=True)
class _Prepared:
    """The ties' columns being encoded in another thread."""

    encoded: Mapping[str, Future[_Encoded]]
    ends: Future[_Ends]


#: Objects filled per block: each slot is set a column at a time over a block small enough
#: to stay in the processor's cache, not over millions of objects that are not.
_FILL_BLOCK = 1 << 15


def _fill(
    new: tuple[Any, ...], cls: type[Any], n: int, columns: Sequence[Iterable[Any]]
) -> list[Any]:
    """``n`` objects of ``cls``, each slot filled a column at a time (no Python frame per
    row); ``columns`` are the slots' values in order, each at least ``n`` long."""
    objects = list(map(new[0], repeat(cls, n)))
    setters = new[1:]
    values = [iter(c) for c in columns]
    for at in range(0, n, _FILL_BLOCK):
        block = objects[at : at + _FILL_BLOCK]
        for setter, column in zip(setters, values, strict=True):
            # ``block`` first: map stops at its end without taking a value past it
            deque(map(setter, block, column), maxlen=0)
    return objects


@dataclass(frozen=True, slots=True)
class _People:
    objects: list[Person]
    ids: pa.Array
    roles: _Encoded  # the distinct values are tuples of roles


def _people(
    table: pa.Table,
    id_array: pa.Array,
    file: str,
    vocab: Collection[str],
    w: Collector,
    *,
    ends: Future[_Ends],
) -> _People | None:
    """People in file order, or None when a row has an error."""
    names = table.column_names
    ids: list[str] = id_array.to_pylist()
    if "" in ids or any(map(str.isspace, ids)):
        return None
    # a hash in C, not a set of strings (``unique`` is four times faster than
    # ``count_distinct`` on a million ids)
    if len(pc.unique(id_array, memory_pool=_POOL)) != len(ids):
        return None
    role_texts = _encode(table.column("roles"))
    distinct: list[tuple[str, ...]] = []
    for text in role_texts.values:
        if text:
            first = pc.index(table.column("roles"), text).as_py()
            distinct.append(split_roles(text, vocab, w, file, first + 2, ids[first]))
        else:
            distinct.append(())
    roles = _Encoded(distinct, role_texts.codes)
    n = len(ids)
    none: list[None] = [None] * n
    person_names = (
        [v or None for v in table.column("name").to_pylist()] if "name" in names else none
    )
    if "organisation" in names:
        orgs = _encode(table.column("organisation"))
        organisations = orgs.expand([o or None for o in orgs.values])
    else:
        organisations = none
    extras = [h for h in names if h not in PEOPLE_COLUMNS + PEOPLE_OPTIONAL]
    if extras:
        cells = [table.column(h).to_pylist() for h in extras]
        attributes = [
            {k: v for k, v in zip(extras, values, strict=True) if v} or NO_ATTRIBUTES
            for values in zip(*cells, strict=True)
        ]
    else:
        attributes = [NO_ATTRIBUTES] * n
    # a person in a tie takes the id text the ties hold: one string per person, as the
    # row-by-row reader gives; a person in no tie keeps their own
    tied = ends.result()
    lookup, positions = tied.ids, tied.positions
    if positions.null_count:
        untied = pc.is_null(positions)
        alone = pc.indices_nonzero(untied).to_pylist()
        lookup = lookup + [ids[i] for i in alone]
        positions = pc.replace_with_mask(
            positions,
            untied,
            pa.array(range(len(tied.ids), len(lookup)), pa.int32()),
            memory_pool=_POOL,
        )
    shared = _Encoded(lookup, positions).lazy()
    objects = _fill(
        _PERSON_NEW,
        Person,
        n,
        [shared, roles.lazy(), person_names, organisations, attributes],
    )
    return _People(objects, id_array, roles)


def _dates(texts: list[str], parser: DateParser) -> list[date | None] | None:
    """Each distinct text as a date (``""`` as None), or None when one is not a date."""
    out: list[date | None] = []
    for text in texts:
        if not text:
            out.append(None)
            continue
        d = parser.parse(text)
        if d is None:
            return None
        out.append(d)
    return out


def _ties(  # noqa: PLR0917
    table: pa.Table,
    prepared: _Prepared,
    file: str,
    kinds: Mapping[str, bool],
    people: _People,
    w: Collector,
) -> TieColumns | None:
    """The ties as columns in file order, or None when a row has an error."""
    names = table.column_names
    n = table.num_rows
    blank = pa.chunked_array([pa.array([""] * n, pa.string(), memory_pool=_POOL)])

    def column(name: str) -> pa.ChunkedArray:
        return table.column(name) if name in names else blank

    def encoded(name: str) -> _Encoded:
        future = prepared.encoded.get(name)
        return future.result() if future is not None else _encode(column(name))

    kind = encoded("kind")
    interned = {k: k for k in kinds}
    if any(k not in interned for k in kind.values):
        return None

    # people by a hash join in C over each end's distinct ids; unknown or empty is a null
    tied = prepared.ends.result()
    if tied.rows.null_count:
        return None
    source_at = pc.take(tied.rows, tied.sources, memory_pool=_POOL)
    target_at = pc.take(tied.rows, tied.targets, memory_pool=_POOL)
    if n and pc.any(pc.equal(source_at, target_at, memory_pool=_POOL)).as_py():
        return None

    parser = DateParser()
    start, end = encoded("start"), encoded("end")
    start_dates, end_dates = _dates(start.values, parser), _dates(end.values, parser)
    if start_dates is None or end_dates is None:
        return None
    # valid YYYY-MM-DD texts order as their dates do
    start_col, end_col = column("start"), column("end")
    backwards = pc.and_(
        pc.and_(
            pc.not_equal(start_col, "", memory_pool=_POOL),
            pc.not_equal(end_col, "", memory_pool=_POOL),
            memory_pool=_POOL,
        ),
        pc.less(end_col, start_col, memory_pool=_POOL),
        memory_pool=_POOL,
    )
    if n and pc.any(backwards).as_py():
        return None

    extras = [h for h in names if h not in TIE_COLUMNS + TIE_OPTIONAL]
    extra = {h: encoded(h) for h in extras}
    if any(h in DATE_ATTRIBUTES and _dates(extra[h].values, parser) is None for h in extras):
        return None
    is_family = (
        pc.equal(kind.codes, kind.values.index("family"), memory_pool=_POOL)
        if "family" in kind.values
        else None
    )
    relation = column("relation")
    if is_family is not None:
        used = pc.unique(pc.filter(relation, is_family)).to_pylist()
        if any(r and r not in FAMILY_RELATIONS for r in used):
            return None

    raw_ids = column("id").combine_chunks(memory_pool=_POOL)
    kind_values = [interned[k] for k in kind.values]
    attributes = _attributes(extras, extra, n)
    ids = raw_ids
    no_id = pc.indices_nonzero(pc.equal(raw_ids, "", memory_pool=_POOL)).to_pylist()
    if no_id:
        derived = [
            derive_tie_id(
                k := kind.at(i, kind_values),
                tied.ids[tied.sources[i].as_py()],
                tied.ids[tied.targets[i].as_py()],
                start.at(i, start_dates),
                end.at(i, end_dates),
                attributes.at(i),
                directed=kinds[k],
            )
            for i in no_id
        ]
        ids = pc.replace_with_mask(
            raw_ids, pc.equal(raw_ids, "", memory_pool=_POOL), pa.array(derived, pa.string())
        )
    # a hash in C over the ids as they are in the file, not a set of three million strings
    if len(pc.unique(ids, memory_pool=_POOL)) != n:
        return None

    # warnings, in the row-by-row reader's order: a row's relation, then its roles
    lacking = _role_mismatches(kind, source_at, target_at, people.roles)
    no_relation: set[int] = set()
    if is_family is not None:
        no_relation = set(
            pc.indices_nonzero(
                pc.and_(is_family, pc.equal(relation, "", memory_pool=_POOL))
            ).to_pylist()
        )
    if lacking or no_relation:
        bad = BadTie(w, file, kinds, parser, {})
        for i in sorted(lacking | no_relation):
            if len(w.warnings) >= MAX_ERRORS:
                break
            raw_id = raw_ids[i].as_py()
            if i in no_relation:
                bad.no_relation(i + 2, raw_id)
            if i in lacking:
                ps = people.objects[source_at[i].as_py()]
                pt = people.objects[target_at[i].as_py()]
                bad.roles(kind.at(i, kind_values), ps, pt, i + 2, raw_id)
    return TieColumns(
        ids=ids,
        kinds=kind_values,
        kind_codes=kind.codes,
        people=tied.ids,
        sources=tied.sources,
        targets=tied.targets,
        role_values=people.roles.values,
        role_codes=pc.take(people.roles.codes, tied.rows, memory_pool=_POOL),
        starts=start_dates,
        start_codes=start.codes,
        ends=end_dates,
        end_codes=end.codes,
        attributes=attributes.values,
        attribute_codes=attributes.codes,
        lines=_lines(n),
    )


def _zeros(n: int, kind: pa.DataType) -> pa.Array:
    return pc.fill_null(pa.nulls(n, kind, memory_pool=_POOL), pa.scalar(0, kind))


def _attributes(extras: list[str], encoded: Mapping[str, _Encoded], n: int) -> _Encoded:
    """Each tie's attributes (its non-empty extra cells), encoded.

    Rows repeat a few combinations of extra cells (a date, a relation): each combination's
    attributes are built once and shared, read-only, as the row-by-row reader does.
    """
    if not extras:
        return _Encoded([NO_ATTRIBUTES], _zeros(n, pa.int32()))
    # one code per combination of the extra columns' codes
    combined = _zeros(n, pa.int64())
    stride = 1
    for h in extras:
        codes = encoded[h].codes.cast(pa.int64(), memory_pool=_POOL)
        combined = pc.add(
            combined, pc.multiply(codes, stride, memory_pool=_POOL), memory_pool=_POOL
        )
        stride *= max(1, len(encoded[h].values))
    combos = _encode(combined)
    protos: list[Mapping[str, str]] = []
    for combo in combos.values:
        proto = {}
        rest = combo
        for h in extras:
            rest, at = divmod(rest, max(1, len(encoded[h].values)))
            if value := encoded[h].values[at]:
                proto[h] = value
        protos.append(FrozenDict(proto) if proto else NO_ATTRIBUTES)
    return _Encoded(protos, combos.codes)


def _role_mismatches(
    kind: _Encoded, source_at: pa.Array, target_at: pa.Array, roles: _Encoded
) -> set[int]:
    """Rows whose ends lack a role their kind expects (a warning, never an error)."""
    flagged: set[int] = set()
    has_role: dict[str, pa.Array] = {}
    for code, name in enumerate(kind.values):
        want = ROLE_EXPECTATIONS.get(name)
        if want is None:
            continue
        rows = pc.indices_nonzero(pc.equal(kind.codes, code, memory_pool=_POOL))
        lacking = pa.array([False] * len(rows))
        for role, ends in ((want[0], source_at), (want[1], target_at)):
            if role:
                has = has_role.get(role)
                if has is None:  # one array per role, however many kinds expect it
                    has = has_role[role] = pc.take(
                        pa.array([role in r for r in roles.values]), roles.codes
                    )
                lacking = pc.or_(lacking, pc.invert(pc.take(has, pc.take(ends, rows))))
        flagged.update(pc.filter(rows, lacking).to_pylist())
    return flagged


def read_contacts(path: str, practice: PracticeReader) -> bool:
    """Read ``contacts.csv`` column-wise into ``practice``; False (and nothing read) when the
    row-by-row reader must read it: a file outside what this path reads alike, a column
    besides the contact's own, or any row the row-by-row fast path would not take.

    Contacts are the one large section (tens per coaching tie): their texts are checked once
    per distinct value, their objects filled a column at a time.
    """
    table = _table(path, required_columns("contacts"))
    if table is None or contact_cells(table.column_names) is None:
        return False
    names = table.column_names
    n = table.num_rows
    ids: list[str] = table.column("id").to_pylist()
    if "" in ids or any(map(str.isspace, ids)):
        return False
    intern = practice.ids.setdefault
    people = []
    for field in ("coach", "client"):
        enc = _encode(table.column(field))
        if any(not v or v.isspace() for v in enc.values):
            return False
        people.append(enc.expand([intern(v, v) for v in enc.values]))
    vocab = []
    for field, known in (("channel", INTERNED_CHANNELS), ("initiated_by", INTERNED_INITIATORS)):
        enc = _encode(table.column(field))
        values = [known.get(v) for v in enc.values]
        if None in values:
            return False
        vocab.append(enc.expand(values))
    # contacts are written to the minute: far fewer distinct times than contacts
    at_texts = _encode(table.column("at"))
    at_values = list(map(aware_datetime, at_texts.values))
    if None in at_values:
        return False
    at = at_texts.expand(at_values)
    responded: list[Any] = [None] * n
    if "responded_at" in names:
        answer_texts = _encode(table.column("responded_at"))
        answers = [aware_datetime(t) if t else None for t in answer_texts.values]
        # the row-by-row fast path leaves an answer that is not a time, or that comes
        # before the contact, to the checks that say what is wrong
        if any(a is None and t for a, t in zip(answers, answer_texts.values, strict=True)):
            return False
        responded = answer_texts.expand(answers)
        if any(r is not None and r < a for r, a in zip(responded, at, strict=True)):
            return False
    del table
    _POOL.release_unused()
    contacts = _fill(
        CONTACT_NEW,
        Contact,
        n,
        [ids, people[0], people[1], vocab[0], at, vocab[1], responded, repeat(NO_ATTRIBUTES)],
    )
    buf = practice.buffers["contacts"]
    buf.records.extend(contacts)
    buf.lines.extend(range(2, n + 2))
    buf.positions.extend(range(n))
    if n:
        buf.file = path
    return True
