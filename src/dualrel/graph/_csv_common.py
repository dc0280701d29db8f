"""What both CSV readers share (private): the people and tie columns, the header check,
splitting roles, the slow path that says what is wrong with a tie row, the practice
sections' columns and rows as records, the contacts columns, and telling ids unique
cheaply.

The row-by-row reader (``_csv``) and the columnar one (``_csv_columns``) both import this
module and not each other's, so they check and word things alike.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from datetime import date
from itertools import compress, count, islice, pairwise
from operator import ge, itemgetter
from typing import Any, cast

from dualrel._internal.decode import readable_int
from dualrel._internal.problems import Collector
from dualrel._internal.suggest import Suggester, did_you_mean
from dualrel.errors import ProblemCode
from dualrel.graph._people_ties import (
    ROLE_EXPECTATIONS,
    DateParser,
)
from dualrel.graph._practice_cells import LIST_KINDS, split_list
from dualrel.graph._practice_reader import SECTION_FIELDS
from dualrel.graph.model import DATE_ATTRIBUTES, FAMILY_RELATIONS, Person

__all__ = [
    "CONTACT_COLUMNS",
    "PEOPLE_COLUMNS",
    "PEOPLE_OPTIONAL",
    "TIE_COLUMNS",
    "TIE_OPTIONAL",
    "BadTie",
    "ContactCells",
    "check_header",
    "contact_cells",
    "csv_record",
    "duplicate_id",
    "increasing_runs_apart",
    "required_columns",
    "split_roles",
]

PEOPLE_COLUMNS = ("id", "roles")
PEOPLE_OPTIONAL = ("name", "organisation")
TIE_COLUMNS = ("kind", "source", "target")
TIE_OPTIONAL = ("id", "start", "end")


def check_header(
    header: list[str] | None,
    file: str,
    c: Collector,
    required: tuple[str, ...],
) -> list[str] | None:
    if header is None:
        if not c.errors:
            c.error(file, "missing-header", "empty file: no header row", line=1)
        return None
    header = [h.strip() for h in header]
    foreign = _foreign_delimiter(header, required)
    if foreign is not None:
        c.error(
            file,
            "wrong-delimiter",
            f"the columns are separated by {foreign}, not commas: dualrel reads "
            "comma-separated files (save or export the file as CSV with commas)",
            line=1,
        )
        return None
    ok = True
    seen: set[str] = set()
    for h in header:
        if not h:
            c.error(file, "invalid-header", "a column has no name", line=1)
            ok = False
        elif h in seen:
            c.error(file, "invalid-header", f"column {h!r} appears twice", line=1, field=h)
            ok = False
        seen.add(h)
    for col in required:
        if col not in seen:
            c.error(
                file,
                "missing-column",
                f"no {col!r} column" + did_you_mean(col, [h for h in header if h]),
                line=1,
                field=col,
            )
            ok = False
    return header if ok else None


#: Separators spreadsheets write instead of commas (a semicolon where the decimal mark is
#: a comma), as a message names them.
_DELIMITERS = {";": "semicolons (';')", "\t": "tabs", "|": "vertical bars ('|')"}


def _foreign_delimiter(header: list[str], required: tuple[str, ...]) -> str | None:
    """How the header's columns are separated when a required column is missing because
    the file is not comma-separated: the header's text split at that separator holds more
    columns than its commas give, and the required ones among them.

    >>> _foreign_delimiter(["id;roles;name"], ("id", "roles"))
    "semicolons (';')"
    >>> _foreign_delimiter(["id", "roles"], ("id", "roles")) is None
    True
    """
    if all(col in header for col in required):
        return None
    text = ",".join(header)
    for delimiter, name in _DELIMITERS.items():
        cells = [h.strip().strip('"') for h in text.split(delimiter)]
        if len(cells) > len(header) and any(col in cells for col in required):
            return name
    return None


def split_roles(  # noqa: PLR0917
    text: str, vocab: Collection[str], c: Collector, file: str, line: int, pid: str
) -> tuple[str, ...]:
    roles = tuple(r.strip() for r in text.split(";") if r.strip())
    for r in roles:
        if r not in vocab:
            c.warning(
                file,
                "unknown-role",
                f"role {r!r} is not in the vocabulary" + did_you_mean(r, vocab),
                line=line,
                record=pid,
                field="roles",
            )
    return roles


def increasing_runs_apart(ids: list[str], most: int = 16) -> bool:
    """True when ``ids`` are a few runs of increasing ids whose ranges do not overlap, so
    unique: files written in id order (plus an appended batch or two) are told apart by
    comparing neighbours in order, not by hashing millions of ids that miss the cache.

    >>> increasing_runs_apart(["t1", "t2", "t3", "p1", "p2"])
    True
    >>> increasing_runs_apart(["t1", "t2", "t1"]), increasing_runs_apart(["b", "a", "b"])
    (False, False)
    """
    if len(ids) < 2:
        return True
    breaks = list(islice(compress(count(1), map(ge, ids, islice(ids, 1, None))), most + 1))
    if len(breaks) > most:
        return False
    bounds = [0, *breaks, len(ids)]
    ranges = sorted((ids[a], ids[b - 1]) for a, b in pairwise(bounds))
    return all(hi < lo for (_, hi), (lo, _) in pairwise(ranges))


class BadTie:
    """The slow path: say exactly what is wrong with a row that failed the fast checks."""

    def __init__(
        self,
        c: Collector,
        file: str,
        kinds: Mapping[str, bool],
        dates: DateParser,
        people: Mapping[str, Person],
        *,
        suggest: Suggester | None = None,
    ) -> None:
        self.c = c
        self.file = file
        self.kinds = kinds
        self.dates = dates
        self.people = people
        #: the 'did you mean' of unknown people: over ``people`` unless given (a part
        #: read on a worker knows only the people its ties name)
        self.suggest = Suggester(people) if suggest is None else suggest
        #: ids of the ties rejected (records naming them are not told they are unknown)
        self.rejected: set[str] = set()

    def roles(self, kind: str, source: Person, target: Person, line: int, tid: str) -> None:
        want = ROLE_EXPECTATIONS[kind]
        for field, role, p in (("source", want[0], source), ("target", want[1], target)):
            if role is not None and role not in p.roles:
                self.c.warning(
                    self.file,
                    "role-mismatch",
                    f"{kind} tie {field} {p.id!r} does not have the role {role!r}",
                    line=line,
                    record=tid or None,
                    field=field,
                )

    def _error(self, code: ProblemCode, message: str, line: int, tid: str, field: str) -> None:
        self.c.error(self.file, code, message, line=line, record=tid or None, field=field)

    def report(self, row: list[str], line: int, header: list[str]) -> None:
        """Every problem of a row that failed the fast checks."""
        cell = dict(zip(header, row, strict=True))
        tid = cell.get("id", "")
        if tid:
            self.rejected.add(tid)
        kind = cell["kind"]
        err = self._error
        if not kind:
            err("missing-field", "tie has no 'kind'", line, tid, "kind")
        elif kind not in self.kinds:
            hint = did_you_mean(kind, self.kinds)
            err("unknown-kind", f"unknown tie kind {kind!r}{hint}", line, tid, "kind")
        source, target = cell["source"], cell["target"]
        for field, pid in (("source", source), ("target", target)):
            if not pid:
                err("missing-field", f"tie has no {field!r}", line, tid, field)
            elif pid not in self.people:
                hint = self.suggest.hint(pid)
                msg = f"{field} {pid!r} is not a person of the registry{hint}"
                err("unknown-person", msg, line, tid, field)
        if source and source == target:
            err("self-tie", f"tie from {source!r} to itself", line, tid, "target")
        parsed: dict[str, date | None] = {}
        for field in ("start", "end"):
            text = cell.get(field, "")
            parsed[field] = self.dates.parse(text) if text else None
            if text and parsed[field] is None:
                msg = f"invalid date {text!r} (expected YYYY-MM-DD)"
                err("invalid-date", msg, line, tid, field)
        start, end = parsed["start"], parsed["end"]
        if start is not None and end is not None and end < start:
            msg = f"end {end.isoformat()} is before start {start.isoformat()}"
            err("end-before-start", msg, line, tid, "end")
        for name in DATE_ATTRIBUTES:
            text = cell.get(name, "")
            if text and self.dates.parse(text) is None:
                msg = f"invalid date {text!r} in {name!r} (expected YYYY-MM-DD)"
                err("invalid-date", msg, line, tid, name)

    def relation(self, relation: str, line: int, tid: str) -> None:
        if tid:
            self.rejected.add(tid)
        hint = did_you_mean(relation, FAMILY_RELATIONS)
        msg = f"unknown family relation {relation!r}{hint}"
        self._error("invalid-relation", msg, line, tid, "relation")

    def no_relation(self, line: int, tid: str) -> None:
        self.c.warning(
            self.file,
            "missing-relation",
            f"family tie without 'relation' (one of {', '.join(sorted(FAMILY_RELATIONS))})",
            line=line,
            record=tid or None,
            field="relation",
        )


CONTACT_COLUMNS = ("id", "coach", "client", "channel", "at", "initiated_by", "responded_at")


ContactCells = tuple[str, str, str, str, str, str, str | None]


def contact_cells(header: list[str]) -> Callable[[list[str]], ContactCells] | None:
    """The cells of a contacts row for ``PracticeReader.contact`` (empty optional cells as
    None), or None when the file has other columns (attributes: the general path)."""
    if not set(header) <= set(CONTACT_COLUMNS):
        return None
    at = [header.index(n) if n in header else -1 for n in CONTACT_COLUMNS]
    if min(at[:6]) < 0:
        return None
    get = itemgetter(*at[:6])
    i_resp = at[6]

    def cells(row: list[str]) -> ContactCells:
        i, co, cl, ch, when, by = get(row)
        return i, co, cl, ch, when, by, (row[i_resp] or None) if i_resp >= 0 else None

    return cells


_KINDS: Mapping[str, Mapping[str, str]] = {
    s: {f.name: f.kind for f in fields} for s, fields in SECTION_FIELDS.items()
}


def required_columns(section: str) -> tuple[str, ...]:
    """The CSV columns a section's file must have."""
    return ("id", *(f.name for f in SECTION_FIELDS[section] if f.required))


def csv_record(section: str, header: list[str], row: list[str]) -> dict[str, Any]:
    """A CSV row as a decoded record: empty cells absent, list fields split on ``;``,
    counts as integers when they are; unknown columns become attributes."""
    fields = _KINDS[section]
    rec: dict[str, Any] = {}
    attributes: dict[str, str] = {}
    for name, cell in zip(header, row, strict=True):
        if not cell:
            continue
        kind = fields.get(name)
        if kind is None:
            if name == "id":
                rec["id"] = cell
            else:
                attributes[name] = cell
        elif kind in LIST_KINDS:
            rec[name] = list(split_list(cell))
        elif kind == "count":
            text = cell.strip()
            # what int() refuses ("²", 5,000 digits) stays text: the record check says why
            rec[name] = int(text) if readable_int(text) else cell
        else:
            rec[name] = cell
    if attributes:
        rec["attributes"] = attributes
    return rec


def duplicate_id(  # noqa: PLR0917
    c: Collector,
    file: str,
    what: str,
    rid: str,
    line: int | None,
    first: int | None,
    first_file: str | None = None,
) -> None:
    """A ``duplicate-person`` or ``duplicate-tie`` error at ``line`` of ``file``, naming
    where the id was first used (its file too, when another part of a split folder)."""
    where = f"line {first}" if first_file in (None, file) else f"{first_file} line {first}"
    c.error(
        file,
        cast("ProblemCode", f"duplicate-{what}"),
        f"{what} id {rid!r} already used at {where}",
        line=line,
        record=rid,
        field="id",
    )
