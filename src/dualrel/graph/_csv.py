"""A folder of ``people.csv`` and ``ties.csv`` (private).

The fast path for large registries: rows are checked with plain code in one tight loop
per file (no per-row objects besides the Person or Tie itself; dates parsed once per
distinct string).  UTF-8 with or without BOM; roles separated by ``;``; any other column
becomes an attribute; empty cells are absent.  The optional practice sections are one file
each (``agreements.csv``, ``contacts.csv``, ...), read row by row through the checks every
format shares.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import os
import sys
from collections.abc import Callable, Collection, Iterator, Mapping
from datetime import date
from itertools import compress
from operator import itemgetter
from typing import Any

from dualrel._internal.decode import DecodeError
from dualrel._internal.problems import Collector
from dualrel._internal.reading import (
    OnRead,
    check_file,
    open_lines,
    refuse_foreign_text,
    utf8_error,
    wrong_encoding,
)
from dualrel._internal.suggest import Suggester
from dualrel.graph._assemble import SectionInfo, finish
from dualrel.graph._csv_common import (
    PEOPLE_COLUMNS,
    PEOPLE_OPTIONAL,
    TIE_COLUMNS,
    TIE_OPTIONAL,
    BadTie,
    check_header,
    contact_cells,
    csv_record,
    duplicate_id,
    increasing_runs_apart,
    required_columns,
    split_roles,
)
from dualrel.graph._frozen import NO_ATTRIBUTES, FrozenDict
from dualrel.graph._locations import LineRuns, PartLines, RecordLocations
from dualrel.graph._people_ties import (
    ROLE_EXPECTATIONS,
    DateParser,
    PeopleTiesReader,
)
from dualrel.graph._people_ties import fast_constructor as _fast_constructor
from dualrel.graph._practice_reader import PracticeReader
from dualrel.graph.columns import ColumnarRegistry
from dualrel.graph.model import (
    DATE_ATTRIBUTES,
    FAMILY_RELATIONS,
    Person,
    Registry,
    Tie,
    derive_tie_id,
)
from dualrel.graph.parts import (
    Layout,
    PracticeParts,
    check_unique_parts,
    csv_layout,
    merge_people,
    read_part_columns,
)

__all__ = ["load_csv_columns", "load_csv_folder"]

_TIE_NEW = _fast_constructor(Tie, ("id", "kind", "source", "target", "start", "end", "attributes"))
_PERSON_NEW = _fast_constructor(Person, ("id", "roles", "name", "organisation", "attributes"))


class _Reader:
    """An open CSV file, with its problems reported in the collector."""

    def __init__(self, path: str, file: str, c: Collector, on_read: OnRead | None) -> None:
        self.file = file
        self.path = path
        self.c = c
        self.open = contextlib.ExitStack()
        self.f = self.open.enter_context(open_lines(path, "registry", newline="", on_read=on_read))
        self.reader = csv.reader(self.f, strict=True)
        self.last_bad = -1

    def failed(self, e: Exception) -> bool:
        """Report a read error; True when reading can go on after it."""
        line = self.reader.line_num
        if isinstance(e, UnicodeDecodeError):
            # the text stream knows only the offset in the block it was decoding
            found = utf8_error(self.path) or wrong_encoding(b"", e.reason, None)
            self.c.add(found.problem(self.file))
            return False
        if line == self.last_bad:
            return False
        self.last_bad = line
        self.c.error(self.file, "malformed", f"not valid CSV: {e}", line=line)
        return not self.c.full

    def rows(self, width: int) -> Iterator[tuple[int, list[str]]]:
        """The line and cells of each row as wide as the header.  A row of another width
        is reported (a blank line skipped); after a malformed row, reading goes on for as
        long as :meth:`failed` allows."""
        reader = self.reader
        while True:
            try:
                for row in reader:
                    line = reader.line_num
                    if len(row) != width:
                        if row:
                            _wrong_width(self.c, self.file, line, len(row), width)
                        continue
                    yield line, row
                return
            except DecodeError as e:  # the file grew over the size limit as it was read
                for p in e.problems(self.file):
                    self.c.add(p)
                return
            except (csv.Error, UnicodeDecodeError) as e:
                if not self.failed(e):
                    return

    def header(self, required: tuple[str, ...]) -> list[str] | None:
        try:
            row = next(self.reader, None)
        except (csv.Error, UnicodeDecodeError) as e:
            self.failed(e)
            return None
        return check_header(row, self.file, self.c, required)

    def __enter__(self) -> _Reader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.open.close()


def _extras(header: list[str], known: tuple[str, ...]) -> list[tuple[int, str]]:
    return [(i, h) for i, h in enumerate(header) if h not in known]


def _wrong_width(c: Collector, file: str, line: int, got: int, want: int) -> None:
    c.error(file, "wrong-column-count", f"row has {got} cells, the header has {want}", line=line)


class _Lookup(dict[str, Any]):
    """A dict whose missing keys read as None: ``d[k]`` is cheaper than ``d.get(k)``."""

    def __missing__(self, key: str) -> None:
        return None


class _Dates(dict[str, Any]):
    """``YYYY-MM-DD`` text to date, parsed once per distinct text; ``""`` is None.

    Invalid text reads as ``INVALID`` (so the hot loop tests identity, not exceptions).
    """

    def __init__(self) -> None:
        super().__init__({"": None})
        self.parser = DateParser()

    def __missing__(self, key: str) -> Any:
        value = self.parser.parse(key)
        if value is None:
            return INVALID
        self[key] = value
        return value


INVALID: Any = object()


def _read_people(
    path: str,
    file: str,
    c: Collector,
    roles_vocab: Collection[str],
    on_read: OnRead | None = None,
    *,
    roles_cache: dict[str, tuple[str, ...]] | None = None,
    earlier: set[str] | None = None,
) -> tuple[list[Person], LineRuns, _Lookup]:
    """People in file order, their lines, and id -> Person (duplicates reported).
    ``roles_cache`` (the parts of a split folder share one) has each roles text split
    once: an unknown role is warned about where its text is first seen.  ``earlier``:
    the ids of the parts read before; a row giving one again is a duplicate (reported
    when the parts are merged) whose roles are not read, as within one file, and this
    part's ids are added to it."""
    people: list[Person] = []
    lines = LineRuns()
    by_id = _Lookup()
    with _Reader(path, file, c, on_read) as src:
        header = src.header(PEOPLE_COLUMNS)
        if header is None:
            return people, lines, by_id
        col = {h: i for i, h in enumerate(header)}
        i_id, i_roles = col["id"], col["roles"]
        i_name, i_org = col.get("name", -1), col.get("organisation", -1)
        extras = _extras(header, PEOPLE_COLUMNS + PEOPLE_OPTIONAL)
        width = len(header)
        if roles_cache is None:
            roles_cache = {}
        roles_cache.setdefault("", ())
        orgs: dict[str, str] = {}
        intern_org = orgs.setdefault
        append = people.append
        claim = by_id.setdefault
        new, set_id, set_roles, set_name, set_org, set_attrs = _PERSON_NEW
        n = 0
        off = 0
        # each person's row number by object, filled only once a duplicate is met and only
        # as far as the rows read so far: searching the list instead would cost a pass per
        # duplicate (a file of repeated rows would take quadratic time)
        row_of: dict[int, int] = {}
        for line, row in src.rows(width):
            pid = row[i_id]
            if not pid or pid.isspace():
                c.error(file, "missing-field", "person has no 'id'", line=line, field="id")
                continue
            p = new(Person)
            # one dict operation: a million random inserts and look-ups miss the cache
            known = claim(pid, p)
            if known is not p:
                for k in range(len(row_of), n):
                    row_of[id(people[k])] = k
                lines.count = n  # the rows read so far have their lines
                first = lines.line(row_of[id(known)]) or 0
                duplicate_id(c, file, "person", pid, line, first)
                continue
            roles_text = row[i_roles]
            roles = roles_cache.get(roles_text)
            if earlier is not None and pid in earlier:
                roles = ()  # the registry fails: no warning, no first use of the text
            elif roles is None:
                roles = split_roles(roles_text, roles_vocab, c, file, line, pid)
                roles_cache[roles_text] = roles
            set_id(p, pid)
            set_roles(p, roles)
            set_name(p, (row[i_name] or None) if i_name >= 0 else None)
            # organisations repeat: keep one string per distinct name
            set_org(p, (intern_org(row[i_org], row[i_org]) or None) if i_org >= 0 else None)
            set_attrs(p, {k: row[i] for i, k in extras if row[i]} or NO_ATTRIBUTES)
            append(p)
            if line - n != off:
                off = line - n
                lines.starts.append(n)
                lines.offsets.append(off)
            n += 1
        lines.count = n
    if earlier is not None:
        earlier.update(by_id)
    return people, lines, by_id


def _read_ties(  # noqa: PLR0917
    path: str,
    file: str,
    c: Collector,
    kinds: Mapping[str, bool],
    people: Mapping[str, Person],
    rejected: set[str] | None = None,
    on_read: OnRead | None = None,
    *,
    suggest: Suggester | None = None,
) -> tuple[list[Tie], LineRuns]:
    """Ties in file order and their lines; every check but duplicate ids done here.

    The loop does the least work a valid row needs: plain dict look-ups (a ``KeyError``
    means an unknown kind or person, or a date not seen yet) and identity tests decide
    whether a row is fine; a row that is not goes to ``BadTie`` to be told exactly what
    is wrong.  Kinds are interned and a tie's ends reuse the person id strings, so
    millions of ties do not hold millions of copies of the same text.
    """
    ties: list[Tie] = []
    lines = LineRuns()
    with _Reader(path, file, c, on_read) as src:
        header = src.header(TIE_COLUMNS)
        if header is None:
            return ties, lines
        col = {h: i for i, h in enumerate(header)}
        core = _core_getter(col)
        extras = _extras(header, TIE_COLUMNS + TIE_OPTIONAL)
        names = tuple(name for _, name in extras)
        cells = _cells_getter([i for i, _ in extras])
        attr_cache: dict[tuple[str, ...], FrozenDict] = {}
        date_extras = tuple(i for i, name in extras if name in DATE_ATTRIBUTES)
        i_rel = col.get("relation", -1)
        width = len(header)
        dates: dict[str, date | None] = {"": None}
        parser = DateParser()
        known_kinds = {k: k for k in kinds}
        expect = {k: (s or "", t or "") for k, (s, t) in ROLE_EXPECTATIONS.items()}
        family = known_kinds["family"]
        append = ties.append
        new, set_id, set_kind, set_src, set_tgt, set_start, set_end, set_attrs = _TIE_NEW
        bad = BadTie(c, file, kinds, parser, people, suggest=suggest)
        if rejected is not None:
            bad.rejected = rejected
        n = 0
        off = 0
        for line, row in src.rows(width):
            tid, kind, source, target, s, e = core(row)
            try:
                kind = known_kinds[kind]
                ps = people[source]
                pt = people[target]
                start = dates[s]
                end = dates[e]
                for i in date_extras:
                    dates[row[i]]
            except KeyError:
                if not _learn_dates(row, (s, e), date_extras, dates, parser):
                    bad.report(row, line, header)
                    continue
                k2, p2, t2 = known_kinds.get(kind), people.get(source), people.get(target)
                if k2 is None or p2 is None or t2 is None:
                    bad.report(row, line, header)
                    continue
                kind, ps, pt = k2, p2, t2
                start = dates[s]
                end = dates[e]
            # ``people`` reads a missing id as None: no KeyError for an unknown person
            if (
                ps is pt
                or ps is None
                or pt is None
                or (end is not None and start is not None and end < start)
            ):
                bad.report(row, line, header)
                continue
            if cells is not None:
                # rows repeat the same few extra cells (a date, a relation): each
                # distinct set of attributes is built once and shared, read-only
                values = cells(row)
                attributes = attr_cache.get(values)
                if attributes is None:
                    if len(attr_cache) >= 65536:  # many distinct values: bound it
                        attr_cache.clear()
                    attributes = attr_cache[values] = (
                        FrozenDict(compress(zip(names, values, strict=True), values))
                        or NO_ATTRIBUTES
                    )
            else:
                attributes = NO_ATTRIBUTES
            if kind is family:
                relation = row[i_rel] if i_rel >= 0 else ""
                if not relation:
                    bad.no_relation(line, tid)
                elif relation not in FAMILY_RELATIONS:
                    bad.relation(relation, line, tid)
                    continue
            want = expect.get(kind)
            if want is not None and (
                (want[0] and want[0] not in ps.roles) or (want[1] and want[1] not in pt.roles)
            ):
                bad.roles(kind, ps, pt, line, tid)
            source = ps.id
            target = pt.id
            if not tid:
                tid = derive_tie_id(
                    kind, source, target, start, end, attributes, directed=kinds[kind]
                )
            t = new(Tie)
            set_id(t, tid)
            set_kind(t, kind)
            set_src(t, source)
            set_tgt(t, target)
            set_start(t, start)
            set_end(t, end)
            set_attrs(t, attributes)
            append(t)
            if line - n != off:
                off = line - n
                lines.starts.append(n)
                lines.offsets.append(off)
            n += 1
        lines.count = n
    return ties, lines


def _core_getter(col: Mapping[str, int]) -> Callable[[list[str]], tuple[str, ...]]:
    """Cells id, kind, source, target, start, end of a row (``""`` for absent columns)."""
    names = ("id", "kind", "source", "target", "start", "end")
    if all(n in col for n in names):
        return itemgetter(*(col[n] for n in names))
    where = [col.get(n, -1) for n in names]
    return lambda row: tuple(row[i] if i >= 0 else "" for i in where)


def _learn_dates(
    row: list[str],
    texts: tuple[str, str],
    extra: tuple[int, ...],
    dates: dict[str, date | None],
    parser: DateParser,
) -> bool:
    """Add the row's dates to the cache; False when one is not a valid date."""
    ok = True
    for text in (*texts, *(row[i] for i in extra)):
        if text not in dates:
            d = parser.parse(text)
            if d is None:
                ok = False
            else:
                dates[text] = d
    return ok


def _check_unique(c: Collector, file: str, what: str, ids: list[str], lines: LineRuns) -> None:
    """Report duplicate ids (the rare case) with both lines; a set is all it takes."""
    if increasing_runs_apart(ids) or len(set(ids)) == len(ids):
        return
    first: dict[str, int] = {}
    for i, rid in enumerate(ids):
        j = first.setdefault(rid, i)
        if j != i:
            duplicate_id(c, file, what, rid, lines.line(i) or 0, lines.line(j) or 0)


#: Problems of people.csv after which its ties are not read: they would all be in error.
_HALTING = frozenset({"wrong-encoding", "wrong-delimiter", "missing-column", "invalid-header"})


def load_csv_folder(
    folder: str,
    collector: Collector,
    *,
    kinds: Mapping[str, bool],
    roles: Collection[str],
    as_of: date | None,
    columnar: bool | None = None,
    on_read: OnRead | None = None,
) -> Registry:
    """Read a CSV folder: column-wise when the files allow it (``_csv_columns``), else row
    by row.  ``columnar=None`` reads column-wise from ``COLUMNAR_MIN_BYTES`` of people, ties
    and contacts up, or once pyarrow is imported; ``True`` and ``False`` force one reader
    (the tests compare the two).  ``on_read`` is told the bytes read as they are (the
    columnar reader's, per file once it is read)."""
    loaded = load_csv_columns(
        folder,
        collector,
        kinds=kinds,
        roles=roles,
        as_of=as_of,
        columnar=columnar,
        lazy=False,
        on_read=on_read,
    )
    assert isinstance(loaded, Registry)
    return loaded


def load_csv_columns(
    folder: str,
    collector: Collector,
    *,
    kinds: Mapping[str, bool],
    roles: Collection[str],
    as_of: date | None,
    columnar: bool | None = None,
    lazy: bool = True,
    on_read: OnRead | None = None,
) -> Registry | ColumnarRegistry:
    """:func:`load_csv_folder`, but (``lazy``) a folder read column-wise comes back as a
    :class:`~dualrel.graph.columns.ColumnarRegistry`, its ties not yet objects."""
    c = collector
    layout = csv_layout(folder, c)
    c.raise_if_errors()
    people_file, ties_file = layout.people[0], layout.ties[0]
    practice = PracticeReader(PeopleTiesReader(c, kinds, roles))
    rejected_ties: set[str] = set()
    sections = [(section, path) for section, paths in layout.sections for path in paths]
    for file in (*layout.people, *layout.ties, *(path for _, path in sections)):
        try:
            check_file(file, "registry")
            refuse_foreign_text(file)
        except DecodeError as e:
            for p in e.problems(file):
                c.add(p)
        except OSError as e:
            c.error(file, "unreadable", f"cannot read: {e.strerror}")
    c.raise_if_errors()
    if columnar is None:
        columnar = _worth_columns(
            [*layout.people, *layout.ties, *(p for s, p in sections if s == "contacts")]
        )
    columns = None
    tie_columns = None
    people_columns = None
    if columnar:
        # pyarrow is imported by CSV loads alone: other formats and commands start faster
        from dualrel.graph._csv_columns import read_columns  # noqa: PLC0415

        if layout.split:
            columns = read_part_columns(layout.people, layout.ties, kinds=kinds, roles=roles)
        else:
            columns = read_columns(people_file, ties_file, kinds=kinds, roles=roles)
        if columns is not None and on_read is not None:
            on_read(sum(map(os.path.getsize, (*layout.people, *layout.ties))))
    try:
        if columns is not None:
            plines, tie_columns = columns.people_lines, columns.ties
            if lazy and not sections:  # the checks of practice records read the people
                people_columns, people = columns.people_columns, []
            else:
                people = columns.people
            ties = [] if lazy else tie_columns.objects()
            tlines = tie_columns.lines
            c.warnings.extend(columns.warnings.warnings)
            by_id = _Lookup({p.id: p for p in people}) if sections else _Lookup()
        elif layout.split:
            people, plines, by_id, ties, tlines = _read_parts(
                layout, c, kinds, roles, rejected_ties, on_read
            )
        else:
            people, plines, by_id = _read_people(people_file, people_file, c, roles, on_read)
            if any(p.file == people_file and p.code in _HALTING for p in c.errors):
                # people are missing (all of them, or those after the bad line): every
                # tie to one would be an unknown-person error of its own; the ties' header
                # is still checked, for a file saved like the people's
                with _Reader(ties_file, ties_file, c, None) as src:
                    src.header(TIE_COLUMNS)
                c.raise_if_errors()
            ties, tlines = _read_ties(ties_file, ties_file, c, kinds, by_id, rejected_ties, on_read)
        parts = PracticeParts(practice)
        for section, path in sections:
            parts.reading(section, path)
            _read_section(path, section, c, practice, columnar, on_read)
    except OSError as e:
        c.error(e.filename or folder, "unreadable", f"cannot read: {e.strerror}")
        c.raise_if_errors()
        raise AssertionError("unreachable") from e  # pragma: no cover
    if columns is None and isinstance(tlines, PartLines):
        check_unique_parts(c, ties, tlines)
    elif columns is None:  # the columnar path checked the ids already
        _check_unique(c, ties_file, "tie", [t.id for t in ties], tlines)
    registry = Registry(tuple(people), tuple(ties), as_of, folder, {}, dict(kinds))
    if practice.has_records():
        kind_of = tie_columns.kind_of() if tie_columns is not None else {t.id: t.kind for t in ties}
        since = (len(c.errors), len(c.warnings))
        practice.check(by_id, kind_of, rejected_ties=rejected_ties)
        parts.relocate(c.errors, since[0])
        parts.relocate(c.warnings, since[1])
        # a check's registry keeps contacts read by columns as columns, but only inside a
        # ColumnarRegistry (whose full makes them, as load_registry gives them): a plain
        # Registry, as returned when the ties were read row by row, holds tuples
        kept_lazy = lazy and tie_columns is not None
        registry = dataclasses.replace(registry, practice=practice.practice(lazy=kept_lazy))
    del by_id
    registry = finish(
        c,
        SectionInfo(people_file, plines, None),
        None,
        SectionInfo(ties_file, tlines, None),
        None,
        registry=registry,
        practice=practice,
        people_kept=people_columns is not None,
    )
    if isinstance(registry.locations, RecordLocations):
        parts.add_locations(registry.locations)
    if lazy and tie_columns is not None:
        return ColumnarRegistry(
            registry,
            tie_columns,
            ties_file,
            people_columns,
            people_file,
            record_columns=practice.section_columns(registry.practice),
        )
    return registry


def _read_parts(  # noqa: PLR0917
    layout: Layout,
    c: Collector,
    kinds: Mapping[str, bool],
    roles: Collection[str],
    rejected: set[str],
    on_read: OnRead | None,
) -> tuple[list[Person], PartLines, _Lookup, list[Tie], PartLines]:
    """People and ties of a split folder, row by row, part after part."""
    split: dict[str, tuple[str, ...]] = {}
    given: set[str] = set()
    read = [
        (f, *_read_people(f, f, c, roles, on_read, roles_cache=split, earlier=given)[:2])
        for f in layout.people
    ]
    people, plines, by_id = merge_people(read, c)
    if any(p.file in layout.people and p.code in _HALTING for p in c.errors):
        for f in layout.ties:  # as for one file: the ties' headers are still checked
            with _Reader(f, f, c, None) as src:
                src.header(TIE_COLUMNS)
        c.raise_if_errors()
    lookup = _Lookup(by_id)
    ties: list[Tie] = []
    tlines = PartLines()
    for f in layout.ties:
        part, lines = _read_ties(f, f, c, kinds, lookup, rejected, on_read)
        tlines.add(len(ties), f, lines)
        ties.extend(part)
    return people, plines, lookup, ties, tlines


#: From this many bytes of CSV up, the columnar reader's one-off cost (importing pyarrow,
#: about 0.1 s) is repaid: it reads about 1.5 µs per tie faster than the row reader, and
#: the two took the same time at 20,000 people and 60,000 ties, 4.3 MB (loading generated
#: folders of 10k, 20k, 40k and 100k people both ways, 2026-11-27).  Once pyarrow is
#: imported (a process that loads many registries), every size is read by columns.
COLUMNAR_MIN_BYTES = 4 << 20


def _pyarrow_imported() -> bool:
    return "pyarrow.csv" in sys.modules


def _worth_columns(files: list[str]) -> bool:
    if _pyarrow_imported():
        return True
    try:
        return sum(os.path.getsize(f) for f in files) >= COLUMNAR_MIN_BYTES
    except OSError:  # the readers report it, with the file
        return False


def _cells_getter(at: list[int]) -> Callable[[list[str]], tuple[str, ...]] | None:
    """A row's cells at ``at`` as a tuple (for one column too), or None for no column."""
    if not at:
        return None
    if len(at) == 1:
        i = at[0]
        return lambda row: (row[i],)
    return itemgetter(*at)


def _read_section(  # noqa: PLR0917
    path: str,
    section: str,
    c: Collector,
    practice: PracticeReader,
    columnar: bool,
    on_read: OnRead | None = None,
) -> None:
    """The rows of one practice section's file, each checked as a decoded record."""
    if columnar:
        from dualrel.graph._csv_columns import read_contacts  # noqa: PLC0415
        from dualrel.graph._practice_columns import read_section_columns  # noqa: PLC0415

        if (
            read_contacts(path, practice)
            if section == "contacts"
            else read_section_columns(path, section, practice)
        ):
            if on_read is not None:
                on_read(os.path.getsize(path))
            return
    with _Reader(path, path, c, on_read) as src:
        header = src.header(required_columns(section))
        if header is None:
            return
        width = len(header)
        fast = contact_cells(header) if section == "contacts" else None
        contact = practice.contact
        # the other sections' valid rows skip the decoded record and its checks
        plan = None if section == "contacts" else practice.row_plan(section, header)
        row_fast = practice.row
        for index, (line, row) in enumerate(src.rows(width)):
            if c.full:
                return
            if (fast is None or not contact(*fast(row), path, line, index)) and (
                plan is None or not row_fast(section, plan, row, path, line, index)
            ):
                rec = csv_record(section, header, row)
                practice.read(section, rec, path, line, None, index)
