"""The columnar path for ``people.csv``, ``ties.csv`` and ``contacts.csv`` (private).

At a million people the row-by-row reader (``_csv``) spends most of its time waiting on
memory: every tie looks its two people up in a dict of a million entries, and every row
becomes a list of fresh strings before it becomes a ``Tie``.  This path lets pyarrow parse
both files into columns (on every core), checks the columns as wholes (the distinct kinds,
dates and roles once each, people ids resolved by a hash join in C), and keeps people and
ties as columns (:class:`~dualrel.graph.columns.PeopleColumns`, ``TieColumns``): their
objects are made when asked for, each slot filled one column at a time.  The people's
columns and the join of the ties' ends to them are in :mod:`dualrel.graph._csv_people`,
what both share in :mod:`dualrel.graph._arrow_columns`.

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
from collections.abc import Collection, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from itertools import compress
from operator import not_

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from dualrel._internal.problems import MAX_ERRORS, Collector
from dualrel.graph._arrow_columns import POOL, Encoded, distinct, encode, fill, lines
from dualrel.graph._csv_common import (
    PEOPLE_COLUMNS,
    TIE_COLUMNS,
    TIE_OPTIONAL,
    BadTie,
    check_header,
    contact_cells,
    required_columns,
)
from dualrel.graph._csv_people import People, end_rows, person_objects, read_people
from dualrel.graph._frozen import NO_ATTRIBUTES, FrozenDict
from dualrel.graph._lazy_records import LazyRecords, Slot
from dualrel.graph._locations import LineArray, LineRuns, PartLines
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
)
from dualrel.graph._practice_times import aware_datetimes
from dualrel.graph.columns import PeopleColumns, TieColumns
from dualrel.graph.model import DATE_ATTRIBUTES, FAMILY_RELATIONS, Person, Tie, derive_tie_id
from dualrel.graph.practice import Contact

__all__ = ["Columns", "read_columns", "read_contacts", "tie_objects", "validated_columns"]

_TIE_FIELDS = ("id", "kind", "source", "target", "start", "end", "attributes")


#: Bytes pyarrow parses at a time: a column is one chunk per block (the tests make it
#: small, so that small files are many chunks).
BLOCK_SIZE = 1 << 20

#: the ties' columns not encoded (each of the others is, in a thread, while the people
#: are read): the ids are distinct, the ends are joined to the people instead
_UNENCODED = ("id", "source", "target")
_TIE_NEW = fast_constructor(Tie, _TIE_FIELDS)

# pyarrow's "cannot read this" errors: the row-by-row reader then says where and why
_ARROW_ERRORS = (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeDecodeError)


@dataclass(frozen=True, slots=True)
class Columns:
    """What the columnar path read: the people and the ties as columns (their lines with
    them), the warnings."""

    people_columns: PeopleColumns
    people_lines: LineRuns | PartLines | LineArray
    ties: TieColumns
    warnings: Collector

    @property
    def people(self) -> list[Person]:
        """Every person, in file order (made on each call: a check needs only some)."""
        return self.people_columns.objects()


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
    person_ids = people_table.column("id").combine_chunks(memory_pool=POOL)
    # pyarrow's kernels run without the GIL: two threads join the ties' ends to the people
    # (each end looked up in a hash of the people's ids) and encode the ties' columns
    # while this one builds the people
    with ThreadPoolExecutor(max_workers=2) as pool:
        # the encodings first: they are short, and the ties' own checks begin with them
        encoded = {
            h: pool.submit(encode, ties_table.column(h))
            for h in ties_table.column_names
            if h not in _UNENCODED
        }
        prepared = _Prepared(
            encoded,
            pool.submit(end_rows, ties_table.column("source"), person_ids),
            pool.submit(end_rows, ties_table.column("target"), person_ids),
        )
        # the threads hold what they read: the text goes back as soon as each is done
        ties_table = ties_table.drop_columns(
            [h for h in ("source", "target", "kind") if h in ties_table.column_names]
        )
        read = read_people(people_table, person_ids, people_file, roles, w)
        del people_table
        columns = None if read is None else _ties(ties_table, prepared, ties_file, kinds, read, w)
    # the parsed text is no longer needed: give it back before the ties take their room
    del ties_table, prepared, person_ids
    POOL.release_unused()
    if read is None or columns is None:
        return None
    return Columns(read.columns, read.columns.lines, columns, w)


def tie_objects(columns: TieColumns, rows: pa.Array | None = None) -> list[Tie]:
    """The ``Tie`` of each row of ``rows`` (ascending), or of every row, in row order."""

    def at(codes: pa.Array) -> pa.Array:
        return codes if rows is None else pc.take(codes, rows, memory_pool=POOL)

    n = len(columns) if rows is None else len(rows)
    if not n:
        return []
    fields = [
        at(columns.ids).to_pylist(),
        Encoded(columns.kinds, at(columns.kind_codes)).lazy(),
        Encoded(columns.people, at(columns.sources)).lazy(),
        Encoded(columns.people, at(columns.targets)).lazy(),
        Encoded(columns.starts, at(columns.start_codes)).lazy(),
        Encoded(columns.ends, at(columns.end_codes)).lazy(),
        Encoded(columns.attributes, at(columns.attribute_codes)).lazy(),
    ]
    ties = fill(_TIE_NEW, Tie, n, fields)
    del fields
    POOL.release_unused()
    return ties


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
            memory_pool=POOL,
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
class _Prepared:
    """The ties' columns being encoded, and their ends joined to the people, in threads."""

    encoded: Mapping[str, Future[Encoded]]
    sources: Future[pa.Array]  # each tie's source as a row of people.csv, null if unknown
    targets: Future[pa.Array]


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
    people: People,
    w: Collector,
) -> TieColumns | None:
    """The ties as columns in file order, or None when a row has an error."""
    names = table.column_names
    n = table.num_rows

    def column(name: str) -> pa.ChunkedArray:
        if name in names:
            return table.column(name)
        return pa.chunked_array([pc.fill_null(pa.nulls(n, pa.string()), "")])

    def encoded(name: str) -> Encoded:
        future = prepared.encoded.get(name)
        return future.result() if future is not None else encode(column(name))

    kind = encoded("kind")
    interned = {k: k for k in kinds}
    if any(k not in interned for k in kind.values):
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
            pc.not_equal(start_col, "", memory_pool=POOL),
            pc.not_equal(end_col, "", memory_pool=POOL),
            memory_pool=POOL,
        ),
        pc.less(end_col, start_col, memory_pool=POOL),
        memory_pool=POOL,
    )
    if n and pc.any(backwards).as_py():
        return None

    extras = [h for h in names if h not in TIE_COLUMNS + TIE_OPTIONAL]
    extra = {h: encoded(h) for h in extras}
    if any(h in DATE_ATTRIBUTES and _dates(extra[h].values, parser) is None for h in extras):
        return None
    is_family = (
        pc.equal(kind.codes, kind.values.index("family"), memory_pool=POOL)
        if "family" in kind.values
        else None
    )
    relation = column("relation")
    if is_family is not None:
        used = pc.unique(pc.filter(relation, is_family)).to_pylist()
        if any(r and r not in FAMILY_RELATIONS for r in used):
            return None

    # each end's row in people.csv (checked last: the threads join them meanwhile); an
    # unknown or empty id is a null
    source_at, target_at = prepared.sources.result(), prepared.targets.result()
    if source_at.null_count or target_at.null_count:
        return None
    if n and pc.any(pc.equal(source_at, target_at, memory_pool=POOL)).as_py():
        return None

    raw_ids = column("id").combine_chunks(memory_pool=POOL)
    kind_values = [interned[k] for k in kind.values]
    attributes = _attributes(extras, extra, n)
    ids = raw_ids
    no_id = pc.indices_nonzero(pc.equal(raw_ids, "", memory_pool=POOL)).to_pylist()
    if no_id:
        derived = [
            derive_tie_id(
                k := kind.at(i, kind_values),
                people.columns.ids[source_at[i].as_py()],
                people.columns.ids[target_at[i].as_py()],
                start.at(i, start_dates),
                end.at(i, end_dates),
                attributes.at(i),
                directed=kinds[k],
            )
            for i in no_id
        ]
        ids = pc.replace_with_mask(
            raw_ids, pc.equal(raw_ids, "", memory_pool=POOL), pa.array(derived, pa.string())
        )
    if not distinct(ids):
        return None

    # warnings, in the row-by-row reader's order: a row's relation, then its roles
    lacking = _role_mismatches(kind, source_at, target_at, people.roles)
    no_relation: set[int] = set()
    if is_family is not None:
        no_relation = set(
            pc.indices_nonzero(
                pc.and_(is_family, pc.equal(relation, "", memory_pool=POOL))
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
                rows = pa.array([source_at[i].as_py(), target_at[i].as_py()], pa.int64())
                ps, pt = person_objects(people.columns, rows)
                bad.roles(kind.at(i, kind_values), ps, pt, i + 2, raw_id)
    return TieColumns(
        ids=ids,
        kinds=kind_values,
        kind_codes=kind.codes,
        people=people.columns.ids,
        sources=source_at,
        targets=target_at,
        role_values=people.roles.values,
        role_codes=people.roles.codes,
        starts=start_dates,
        start_codes=start.codes,
        ends=end_dates,
        end_codes=end.codes,
        attributes=attributes.values,
        attribute_codes=attributes.codes,
        lines=lines(n),
    )


def _zeros(n: int, kind: pa.DataType) -> pa.Array:
    return pc.fill_null(pa.nulls(n, kind, memory_pool=POOL), pa.scalar(0, kind))


def _attributes(extras: list[str], encoded: Mapping[str, Encoded], n: int) -> Encoded:
    """Each tie's attributes (its non-empty extra cells), encoded.

    Rows repeat a few combinations of extra cells (a date, a relation): each combination's
    attributes are built once and shared, read-only, as the row-by-row reader does.
    """
    if not extras:
        return Encoded([NO_ATTRIBUTES], _zeros(n, pa.int32()))
    # one code per combination of the extra columns' codes
    combined = _zeros(n, pa.int64())
    stride = 1
    for h in extras:
        codes = encoded[h].codes.cast(pa.int64(), memory_pool=POOL)
        combined = pc.add(combined, pc.multiply(codes, stride, memory_pool=POOL), memory_pool=POOL)
        stride *= max(1, len(encoded[h].values))
    combos = encode(combined)
    protos: list[Mapping[str, str]] = []
    for combo in combos.values:
        proto = {}
        rest = combo
        for h in extras:
            rest, at = divmod(rest, max(1, len(encoded[h].values)))
            if value := encoded[h].values[at]:
                proto[h] = value
        protos.append(FrozenDict(proto) if proto else NO_ATTRIBUTES)
    return Encoded(protos, combos.codes)


def _role_mismatches(
    kind: Encoded, source_at: pa.Array, target_at: pa.Array, roles: Encoded
) -> set[int]:
    """Rows whose ends lack a role their kind expects (a warning, never an error)."""
    flagged: set[int] = set()
    has_role: dict[str, pa.Array] = {}
    for code, name in enumerate(kind.values):
        want = ROLE_EXPECTATIONS.get(name)
        if want is None:
            continue
        rows = pc.indices_nonzero(pc.equal(kind.codes, code, memory_pool=POOL))
        lacking: pa.Array | None = None
        for role, ends in ((want[0], source_at), (want[1], target_at)):
            if role:
                has = has_role.get(role)
                if has is None:  # one array per role, however many kinds expect it
                    has = has_role[role] = pc.take(
                        pa.array([role in r for r in roles.values]), roles.codes
                    )
                lacks = pc.invert(pc.take(has, pc.take(ends, rows)))
                lacking = lacks if lacking is None else pc.or_(lacking, lacks)
        if lacking is not None:
            flagged.update(pc.filter(rows, lacking).to_pylist())
    return flagged


def _answered_before(at: Encoded, answered: Encoded) -> bool:
    """Whether some contact's answer (null: none) comes before the contact itself, told
    on the times as microseconds (an aware time's instant: what ``<`` compares)."""
    # (pyarrow takes each time's offset off itself: a time near the calendar's ends, whose
    # instant is outside it, such as 0001-01-01T00:30+01:00, is compared exactly too)
    kind = pa.timestamp("us", tz="UTC")
    times = pc.take(pa.array(at.values, kind), at.codes, memory_pool=POOL)
    answers = pc.take(pa.array(answered.values, kind), answered.codes, memory_pool=POOL)
    return bool(pc.any(pc.less(answers, times, memory_pool=POOL)).as_py())


def read_contacts(path: str, practice: PracticeReader) -> bool:
    """Read ``contacts.csv`` column-wise into ``practice``; False (and nothing read) when the
    row-by-row reader must read it: a file outside what this path reads alike, a column
    besides the contact's own, or any row the row-by-row fast path would not take.

    Contacts are the one large section (tens per coaching tie): their texts are checked once
    per distinct value, and they are kept as those values and each row's codes
    (:class:`~dualrel.graph._lazy_records.LazyRecords`): a check makes the few admission
    keeps, :meth:`~dualrel.graph._practice_reader.PracticeReader.practice` the rest when asked.
    """
    table = _table(path, required_columns("contacts"))
    if table is None or contact_cells(table.column_names) is None:
        return False
    names = table.column_names
    n = table.num_rows
    ids: list[str] = table.column("id").to_pylist()
    if "" in ids or any(map(str.isspace, ids)):
        return False
    # what the cross-record check asks of the ids, told while they are at hand (a set of
    # Python strings: 0.14 s for 789k, pyarrow's count_distinct 0.29 s of CPU)
    unique = len(set(ids)) == n
    intern = practice.ids.setdefault
    # each field's distinct values (the objects the contacts hold) and codes, kept for
    # admission, which works a fact field out once per distinct value, and for the
    # contacts themselves, made only when asked for (a check makes the few admission keeps)
    kept: dict[str, Encoded] = {}
    for field in ("coach", "client"):
        enc = encode(table.column(field))
        if any(not v or v.isspace() for v in enc.values):
            return False
        kept[field] = Encoded([intern(v, v) for v in enc.values], enc.codes)
    for field, known in (("channel", INTERNED_CHANNELS), ("initiated_by", INTERNED_INITIATORS)):
        enc = encode(table.column(field))
        values = [known.get(v) for v in enc.values]
        if None in values:
            return False
        kept[field] = Encoded(values, enc.codes)
    # contacts are written to the minute: far fewer distinct times than contacts
    at_texts = encode(table.column("at"))
    at_values = aware_datetimes(at_texts.values)
    if None in at_values:
        return False
    kept["at"] = Encoded(at_values, at_texts.codes)
    responded: Encoded | tuple[None] = (None,)
    if "responded_at" in names:
        answer_texts = encode(table.column("responded_at"))
        answers = aware_datetimes(answer_texts.values)
        # the row-by-row fast path leaves an answer that is not a time, or that comes
        # before the contact, to the checks that say what is wrong
        # (loops in C: a time is never false, so ``compress`` keeps the answered ones)
        if any(compress(answer_texts.values, map(not_, answers))):
            return False
        responded = kept["responded_at"] = Encoded(answers, answer_texts.codes)
        if _answered_before(kept["at"], responded):
            return False
    del table
    POOL.release_unused()
    slots: list[Slot] = [
        ids,
        kept["coach"],
        kept["client"],
        kept["channel"],
        kept["at"],
        kept["initiated_by"],
        responded,
        (NO_ATTRIBUTES,),
    ]
    buf = practice.buffers["contacts"]
    # columns of the section's first records alone: contacts read before (another file)
    # have none
    buf.columns = None if buf.records else (n, kept, unique)
    contacts = LazyRecords(CONTACT_NEW, Contact, slots)
    if buf.records:  # contacts read before (another file): these are made and added
        buf.appendable().extend(contacts)
    else:
        buf.records = contacts
    buf.lines.extend(range(2, n + 2))
    buf.positions.extend(range(n))
    if n:
        buf.file = path
    return True
