"""Stage 1 of the check on Dask for a registry with problems: every problem found on the
workers, located, ordered and capped as one machine gives them (private).

One machine reads an invalid split folder with its row reader, part after part, into one
:class:`~dualrel._internal.problems.Collector`: each people part's rows, then the person
ids given in two parts, then (unless a people part's header stops it) each ties part's
rows, then the tie ids given twice; the collector keeps the first ``MAX_ERRORS`` errors
and counts the rest.  Here each part is read by the same row reader on a worker
(:func:`people_part`, :func:`ties_part`), into a collector of its own that records what
the shared one would have decided differently (:class:`PartCollector`); the ids given
twice, and the people each ties part names, are joins by bucket; the client takes each
part's problems in one machine's order into one collector (:func:`gather_problems`).

What a part's reading shares with the others on one machine, and how it is made the same:

- the cap: a part reading on after a malformed row asks whether the collector is full;
  its collector records the errors found at each ask, and the client cuts the part there
  when the shared collector would have been full;
- an empty file is reported only when no error came before it (``check_header``): the
  client drops that error when errors came before the part;
- an unknown role is warned about at the first use of its roles text in the section: the
  client drops a part's warnings for a text an earlier part used;
- an unknown person's "did you mean" is over every person id, within a budget per ties
  part: the worker records each id asked about; the client spends the budget as one
  machine would (from how many ids there are of each length) and the hints of the
  problems listed are scored on the workers holding the ids, bucket by bucket.
"""

from __future__ import annotations

import heapq
import zlib
from collections import Counter
from collections.abc import Callable, Collection, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, replace
from itertools import chain
from typing import Any, Generic, TypeVar

from dualrel._internal.decode import DecodeError
from dualrel._internal.problems import MAX_ERRORS, Collector
from dualrel._internal.reading import check_file, refuse_foreign_text
from dualrel._internal.suggest import (
    SUGGEST_BUDGET,
    SUGGEST_MAX_LENGTH,
    Suggester,
    hint_text,
    near_lengths,
    scored,
)
from dualrel.errors import Problem
from dualrel.graph._csv import _HALTING, _Lookup, _read_people, _read_ties, _Reader
from dualrel.graph._csv_common import TIE_COLUMNS, duplicate_id
from dualrel.graph.model import Person
from dualrel.graph.parts import Layout
from dualrel.scale._blocks import local, pick
from dualrel.scale._network import measure

__all__ = ["PartCollector", "PartProblems", "gather_problems"]

#: a person read: (id, index in its part, line, roles): what the ties' checks read of it
PersonRow = tuple[str, int, int, tuple[str, ...]]
#: a tie read: (id, index in its part, line)
TieRow = tuple[str, int, int]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Batch(Generic[T]):
    """Rows sent from task to task as one object: Dask sends a plain list of tuples
    element by element, many times slower than one pickle of the whole."""

    rows: Sequence[T]

    def __sizeof__(self) -> int:
        # its rows, sampled as Dask sizes a list: sized as the wrapper alone, a task's
        # every batch on another worker was fetched in one message
        # (``_on_disk.Stored.__sizeof__``)
        from dask.sizeof import sizeof  # noqa: PLC0415 (Dask alone asks)

        return object.__sizeof__(self) + int(sizeof(self.rows))


class PartCollector(Collector):
    """One part's problems, kept as the shared collector of one machine would take them
    wherever the part starts in its list: never full (each time the reader asks, the
    errors, warnings and roles texts found so far are recorded), the roles texts split
    (with the warnings found once each was split) and the unknown people asked a hint
    for (with the place of the error that names each)."""

    __slots__ = ("asked", "capped", "hints", "texts")

    def __init__(self, *, capped: bool = True) -> None:
        super().__init__()
        #: whether warnings past the cap are dropped here (not for a people part: the
        #: client drops its warnings about roles texts an earlier part used, then caps)
        self.capped = capped
        self.asked: list[tuple[int, int, int]] = []
        self.texts: list[tuple[str, int]] = []
        self.hints: list[tuple[str, int]] = []

    @property
    def full(self) -> bool:
        self.asked.append((self.found, len(self.warnings), len(self.texts)))
        return False

    @property
    def found(self) -> int:
        return len(self.errors) + self.truncated

    def keep_warning(self, problem: Problem) -> None:
        if self.capped:
            super().keep_warning(problem)
        else:
            self.warnings.append(problem)


class _RolesSeen(dict[str, tuple[str, ...]]):
    """The roles texts cache of ``_read_people``: each text split is recorded, with the
    warnings its splitting gave."""

    def __init__(self, c: PartCollector) -> None:
        super().__init__()
        self.c = c

    def __setitem__(self, text: str, roles: tuple[str, ...]) -> None:
        super().__setitem__(text, roles)
        self.c.texts.append((text, len(self.c.warnings)))


class _HintsAsked(Suggester):
    """Gives no hint: records the id asked about and the place of its error."""

    def __init__(self, c: PartCollector) -> None:
        super().__init__(())
        self.c = c

    def hint(self, name: str) -> str:
        self.c.hints.append((name, self.c.found))
        return ""


@dataclass(frozen=True, slots=True)
class PartProblems:
    """What reading one part found (:class:`PartCollector`'s record)."""

    errors: tuple[Problem, ...]  # the first MAX_ERRORS
    found: int  # errors in all
    warnings: tuple[Problem, ...]
    asked: tuple[tuple[int, int, int], ...]
    texts: tuple[tuple[str, int], ...]
    hints: tuple[tuple[str, int], ...]


@dataclass(frozen=True, slots=True)
class Keyed:
    """Problems found by a join, each with the (part, index) one machine finds it at."""

    keys: tuple[tuple[int, int], ...]
    errors: tuple[Problem, ...]  # the first MAX_ERRORS, by key
    found: int


def _bucket(rid: str, buckets: int) -> int:
    return zlib.crc32(rid.encode()) % buckets  # as ``_blocks.bucket_of``


def _named(problems: Sequence[Problem], by_url: Callable[[str], str]) -> tuple[Problem, ...]:
    """Problems found in a part's local copy, named by its URL (as one machine names
    those of its copy)."""
    return tuple(replace(p, file=by_url(p.file), message=by_url(p.message)) for p in problems)


def _recorded(c: PartCollector, by_url: Callable[[str], str]) -> PartProblems:
    """What ``c`` recorded of a part, its problems named by the part's URL if it has one."""
    errors, warnings = _named(c.errors, by_url), _named(c.warnings, by_url)
    return PartProblems(errors, c.found, warnings, tuple(c.asked), tuple(c.texts), tuple(c.hints))


def checked_file(file: str) -> list[Problem]:
    """A file's problems before it is read (size, encoding), as one machine checks it."""
    c = Collector()
    with local(file) as (path, by_url):
        try:
            check_file(path, "registry")
            refuse_foreign_text(path)
        except DecodeError as e:
            for p in e.problems(file):
                c.add(p)
        except OSError as e:
            c.error(file, "unreadable", f"cannot read: {e.strerror}")
    return list(_named([*c.errors, *c.warnings], by_url))


def people_part(
    file: str, buckets: int, roles: Collection[str]
) -> tuple[PartProblems, list[Batch[PersonRow]]]:
    """A people part read by the row reader: its problems, and its people by bucket."""
    c = PartCollector(capped=False)
    with local(file) as (path, by_url):
        people, lines, _ = _read_people(path, file, c, roles, roles_cache=_RolesSeen(c))
    out: list[list[PersonRow]] = [[] for _ in range(buckets)]
    for i, p in enumerate(people):
        out[_bucket(p.id, buckets)].append((p.id, i, lines.line(i) or 0, p.roles))
    return _recorded(c, by_url), [Batch(rows) for rows in out]


def ties_ends(file: str, buckets: int) -> list[Batch[str]]:
    """The ids a ties part's rows name as ends (every row the row reader reads), by
    bucket."""
    out: list[set[str]] = [set() for _ in range(buckets)]
    with local(file) as (path, _), _Reader(path, file, PartCollector(), None) as src:
        header = src.header(TIE_COLUMNS)
        if header is None:
            return [Batch(()) for _ in out]
        i_source, i_target = header.index("source"), header.index("target")
        for _, row in src.rows(len(header)):
            for pid in (row[i_source], row[i_target]):
                out[_bucket(pid, buckets)].add(pid)
    return [Batch(tuple(ids)) for ids in out]


def people_join(
    files: Sequence[str], parts: Sequence[Batch[PersonRow]], ends: Sequence[Batch[str]]
) -> tuple[Keyed, list[Batch[tuple[str, tuple[str, ...]]]], Counter[int], Batch[str]]:
    """One bucket's people: (the ids given in two parts, reported as ``merge_people``
    does; for each ties part the id and roles of each person it names, as the first part
    giving the id has them; how many ids there are of each length; the ids)."""
    first: dict[str, tuple[int, int, tuple[str, ...]]] = {}
    c = Collector()
    keys: list[tuple[int, int]] = []
    for part, batch in enumerate(parts):
        for pid, index, line, roles in batch.rows:
            at = first.setdefault(pid, (part, line, roles))
            if at[0] != part:
                if not c.full:
                    keys.append((part, index))
                duplicate_id(c, files[part], "person", pid, line, at[1], files[at[0]])
    named = [Batch([(pid, first[pid][2]) for pid in e.rows if pid in first]) for e in ends]
    lengths = Counter(len(pid) for pid in first)
    dups = Keyed(tuple(keys), tuple(c.errors), len(c.errors) + c.truncated)
    return dups, named, lengths, Batch(list(first))


def ties_part(
    file: str,
    named: Sequence[Batch[tuple[str, tuple[str, ...]]]],
    kinds: Mapping[str, bool],
    buckets: int,
) -> tuple[PartProblems, list[Batch[TieRow]]]:
    """A ties part read by the row reader against the people its ends name: its
    problems, and its ties' ids by bucket."""
    c = PartCollector()
    # a person as the ties' checks read it: its id and roles
    people = _Lookup(
        {i: Person(i, roles) for i, roles in chain.from_iterable(b.rows for b in named)}
    )
    with local(file) as (path, by_url):
        ties, lines = _read_ties(path, file, c, kinds, people, set(), suggest=_HintsAsked(c))
    out: list[list[TieRow]] = [[] for _ in range(buckets)]
    for i, t in enumerate(ties):
        out[_bucket(t.id, buckets)].append((t.id, i, lines.line(i) or 0))
    return _recorded(c, by_url), [Batch(rows) for rows in out]


def ties_header(file: str) -> PartProblems:
    """A ties part's header checked (the ties of a folder whose people stopped)."""
    c = PartCollector()
    with local(file) as (path, by_url), _Reader(path, file, c, None) as src:
        src.header(TIE_COLUMNS)
    return _recorded(c, by_url)


def tie_join(files: Sequence[str], parts: Sequence[Batch[TieRow]]) -> Keyed:
    """One bucket's tie ids given twice, reported as ``check_unique_parts`` does."""
    first: dict[str, tuple[int, int, int]] = {}
    c = Collector()
    keys: list[tuple[int, int]] = []
    for part, batch in enumerate(parts):
        for tid, index, line in batch.rows:
            at = first.setdefault(tid, (part, index, line))
            if at[:2] != (part, index):
                if not c.full:
                    keys.append((part, index))
                duplicate_id(c, files[part], "tie", tid, line, at[2], files[at[0]])
    return Keyed(tuple(keys), tuple(c.errors), len(c.errors) + c.truncated)


def candidates(ids: Batch[str], names: Collection[str]) -> dict[str, list[tuple[float, str]]]:
    """For each name, the ids of one bucket close to it (``Suggester``'s scoring)."""
    by_length: dict[int, list[str]] = {}
    for pid in ids.rows:
        by_length.setdefault(len(pid), []).append(pid)
    return {
        name: scored(
            name, chain.from_iterable(by_length[n] for n in near_lengths(len(name), by_length))
        )
        for name in names
    }


@dataclass(frozen=True, slots=True)
class _Cut:
    """How much of a part one machine's reader reads: its errors found, warnings, roles
    texts split."""

    found: int
    warnings: int
    texts: int


def _take(c: Collector, part: PartProblems) -> _Cut:
    """A part's errors taken into ``c`` as one machine's reader puts them there: cut
    where the reader would have stopped at a full collector."""
    before = len(c.errors)
    cut = _Cut(part.found, len(part.warnings), len(part.texts))
    for at in part.asked:
        if before + at[0] >= MAX_ERRORS:
            cut = _Cut(*at)
            break
    errors = part.errors[: cut.found]
    if before and errors and errors[0].code == "missing-header":
        # an empty file is told only when no error came before it (``check_header``)
        return _Cut(0, cut.warnings, cut.texts)
    for p in errors:
        c.add(p)
    c.truncated += cut.found - len(errors)
    return cut


def _role_warnings(part: PartProblems, cut: _Cut, seen: set[str]) -> list[Problem]:
    """A people part's warnings but those about a roles text an earlier part used."""
    out: list[Problem] = []
    start = 0
    for text, end in part.texts[: cut.texts]:
        if text not in seen:
            seen.add(text)
            out.extend(part.warnings[start:end])
        start = end
    return out


def _merge(c: Collector, joined: Sequence[Keyed]) -> None:
    """The problems of every bucket of a join, in one machine's order."""
    ordered = heapq.merge(*(zip(k.keys, k.errors, strict=True) for k in joined))
    taken = 0
    for _, p in ordered:
        c.add(p)
        taken += 1
    c.truncated += sum(k.found for k in joined) - taken


def _hinted(
    calls: Sequence[tuple[str, int]], lengths: Mapping[int, int], budget: int = SUGGEST_BUDGET
) -> set[int]:
    """The places of the errors whose unknown person ``Suggester`` gives a hint for
    (the budget spent as it spends it, from how many ids there are of each length)."""
    spent = 0
    memo: set[str] = set()
    out: set[int] = set()
    for name, at in calls:
        if name in memo:
            out.add(at)
            continue
        if len(name) > SUGGEST_MAX_LENGTH:
            continue
        size = len(name)
        cost = sum(lengths[n] * (size + n) for n in near_lengths(size, lengths))
        if spent + cost > budget:
            continue
        spent += cost
        memo.add(name)
        out.add(at)
    return out


def gather_problems(
    client: Any,
    layout: Layout,
    *,
    kinds: Mapping[str, bool],
    roles: Collection[str],
    buckets: int,
    network: MutableMapping[str, int] | None = None,
) -> None:
    """Raise the ``RegistryError`` one machine raises for the CSV folder of ``layout``,
    its parts read on ``client``'s workers; return when the row reader finds no error
    (the folder is then read as one machine reads it).  ``network``, when given, gets
    the bytes of each of its stages, under keys beginning ``problems.``."""
    submit = client.submit

    def measured(key: str, futures: Sequence[Any]) -> None:
        measure(client, network, "problems." + key, futures)

    c = Collector()
    files = [*layout.people, *layout.ties]
    checked = [submit(checked_file, f, pure=False) for f in files]
    measured("gather.files", checked)
    for problems in client.gather(checked):
        for p in problems:
            c.add(p)
    c.raise_if_errors()
    people = [submit(people_part, f, buckets, roles, pure=False) for f in layout.people]
    ends = [submit(ties_ends, f, buckets, pure=False) for f in layout.ties]
    seen: set[str] = set()
    people_heads = [submit(pick, p, 0) for p in people]
    measured("gather.people", people_heads)
    for head in client.gather(people_heads):
        for w in _role_warnings(head, _take(c, head), seen):
            c.add(w)
    shuffled_people = [[submit(pick, p, 1, k) for p in people] for k in range(buckets)]
    shuffled_ends = [[submit(pick, e, k) for e in ends] for k in range(buckets)]
    joins = [
        submit(people_join, layout.people, shuffled_people[k], shuffled_ends[k], pure=False)
        for k in range(buckets)
    ]
    measured("shuffle.people", [f for fs in shuffled_people for f in fs])
    measured("shuffle.ends", [f for fs in shuffled_ends for f in fs])
    del people, ends, shuffled_people, shuffled_ends
    joined = [submit(pick, j, 0) for j in joins]
    measured("gather.joins", joined)
    _merge(c, client.gather(joined))
    del joined
    if any(p.file in layout.people and p.code in _HALTING for p in c.errors):
        # as one machine: the ties' headers are still checked, for files saved alike
        for head in client.gather([submit(ties_header, f, pure=False) for f in layout.ties]):
            _take(c, head)
        c.raise_if_errors()
    named = [[submit(pick, j, 1, t) for j in joins] for t in range(len(layout.ties))]
    ties = [
        submit(ties_part, f, named[t], kinds, buckets, pure=False)
        for t, f in enumerate(layout.ties)
    ]
    measured("join.people", [f for fs in named for f in fs])
    del named
    heads = [submit(pick, t, 0) for t in ties]
    measured("gather.ties", heads)
    lengths: Counter[int] = Counter()
    for counted in client.gather([submit(pick, j, 2) for j in joins]):
        lengths.update(counted)
    hints: list[tuple[int, str]] = []  # (place in c.errors, the unknown id)
    for head in client.gather(heads):
        before = len(c.errors)
        cut = _take(c, head)
        for w in head.warnings[: cut.warnings]:
            c.add(w)
        hinted = _hinted([h for h in head.hints if h[1] < cut.found], lengths)
        hints.extend(
            (before + at, name)
            for name, at in head.hints
            if at in hinted and before + at < len(c.errors)
        )
    del heads
    ids = [[submit(pick, t, 1, k) for t in ties] for k in range(buckets)]
    tie_joins = [submit(tie_join, layout.ties, ids[k], pure=False) for k in range(buckets)]
    measured("shuffle.tie_ids", [f for fs in ids for f in fs])
    measured("gather.tie_ids", tie_joins)
    del ids, ties
    _merge(c, client.gather(tie_joins))
    del tie_joins
    if not c.errors:
        return
    if hints:
        names = {name for _, name in hints}
        found: dict[str, list[tuple[float, str]]] = {name: [] for name in names}
        near = [submit(candidates, submit(pick, j, 3), names, pure=False) for j in joins]
        measured("gather.hints", near)
        for part in client.gather(near):
            for name, scores in part.items():
                found[name].extend(scores)
        for at, name in hints:
            p = c.errors[at]
            c.errors[at] = replace(p, message=p.message + hint_text(found[name]))
    c.raise_if_errors()
