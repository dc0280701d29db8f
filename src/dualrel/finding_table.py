"""Findings kept as columns: the lazy sequences a report's and a check's findings are.

A check at a million people makes about a hundred thousand findings; made as objects
(a :class:`~dualrel.findings.Finding`, its :class:`~dualrel.findings.CheckedFinding`,
each a frozen dataclass of a dozen fields) they cost more than everything the report
writes about them. So the engine keeps them as columns, one list per field, with what
a rule gives each of its findings (its id, ruleset, title, category, severity, level and
citations) kept once per rule; :attr:`dualrel.findings.Report.findings` is a
:class:`FindingTable` and :attr:`dualrel.findings.CheckResult.findings` a
:class:`CheckedFindings`.

Both are immutable :class:`~collections.abc.Sequence`\\ s: ``len``, indexing, slicing,
iteration and ``==`` with a list or tuple of the same findings work as on a tuple; each
item is made when it is read, equal to (not the same object as) the one read before.
The JSON report is written from the columns without making them.

>>> import dualrel
>>> result = dualrel.run_check(dualrel.example_registry())
>>> findings = result.findings
>>> len(findings), findings[0].finding.rule, findings[0] == list(findings)[0]
(12, 'romance-active-client', True)
>>> findings[:2] == (findings[0], findings[1])
True
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TypeVar, overload

import dualrel._findtext as _ft
from dualrel.findings import (
    CheckedFinding,
    Citation,
    EvidenceRecord,
    EvidenceTie,
    EvidenceWindow,
    Finding,
    FindingStatus,
    RemediationStep,
    RulesetRef,
    WaiverInfo,
    _rule_rank,
)

__all__ = ["CheckedFindings", "Dated", "FindingTable", "RuleHead"]

#: What a rule gives each of its findings: rule id, ruleset, title, category, severity,
#: level and citations (the fields of :class:`~dualrel.findings.Finding` in its order).
RuleHead = tuple[str, RulesetRef, str, str, str, int, tuple[Citation, ...]]

_T = TypeVar("_T")


class _Lazy(Sequence[_T]):
    """What both sequences share: an item made on reading, slices as the same kind of
    sequence, equality item by item with any sequence, a repr like a list's."""

    __slots__ = ()

    def __len__(self) -> int:
        raise NotImplementedError

    def _item(self, i: int) -> _T:
        raise NotImplementedError

    def take(self, order: Sequence[int]) -> _Lazy[_T]:
        raise NotImplementedError

    @overload
    def __getitem__(self, index: int) -> _T: ...
    @overload
    def __getitem__(self, index: slice) -> _Lazy[_T]: ...
    def __getitem__(self, index: int | slice) -> _T | _Lazy[_T]:
        if isinstance(index, slice):
            return self.take(range(len(self))[index])
        n = len(self)
        i = index.__index__()
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError(f"finding index {index} out of range (there are {n})")
        return self._item(i)

    def __iter__(self) -> Iterator[_T]:
        return map(self._item, range(len(self)))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, str | bytes):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]  # findings hold dicts: never hashable

    def __repr__(self) -> str:
        n = len(self)
        shown = ", ".join(map(repr, self[:3] if n > 3 else self))
        more = f", ... ({n} findings)" if n > 3 else ""
        return f"{type(self).__name__}([{shown}{more}])"


class FindingTable(_Lazy[Finding]):
    """Findings as columns; each :class:`~dualrel.findings.Finding` made when read.

    ``rule[i]`` indexes ``heads`` (what the finding's rule gives it); the other columns
    are the finding's own fields."""

    __slots__ = ("evidence", "fingerprint", "heads", "records", "remediation", "rule", "subjects")

    def __init__(  # noqa: PLR0917 (one argument per column)
        self,
        heads: Sequence[RuleHead],
        rule: list[int],
        subjects: list[Mapping[str, str]],
        evidence: list[tuple[str, ...]],
        records: list[tuple[str, ...]],
        remediation: list[tuple[RemediationStep, ...]],
        fingerprint: list[str],
    ) -> None:
        self.heads = tuple(heads)
        self.rule = rule
        self.subjects = subjects
        self.evidence = evidence
        self.records = records
        self.remediation = remediation
        self.fingerprint = fingerprint

    @classmethod
    def of(cls, findings: Iterable[Finding]) -> FindingTable:
        """``findings`` as a table (a table is returned as it is)."""
        if isinstance(findings, FindingTable):
            return findings
        heads: dict[RuleHead, int] = {}
        out = cls((), [], [], [], [], [], [])
        for f in findings:
            head = (f.rule, f.ruleset, f.title, f.category, f.severity, f.level, f.citations)
            out.rule.append(heads.setdefault(head, len(heads)))
            out.subjects.append(f.subjects)
            out.evidence.append(f.evidence)
            out.records.append(f.records)
            out.remediation.append(f.remediation)
            out.fingerprint.append(f.fingerprint)
        out.heads = tuple(heads)
        return out

    @classmethod
    def concat(cls, tables: Iterable[FindingTable]) -> FindingTable:
        """The findings of ``tables``, one after the other."""
        parts = list(tables)
        if len(parts) == 1:
            return parts[0]
        out = cls((), [], [], [], [], [], [])
        heads: list[RuleHead] = []
        for t in parts:
            offset = len(heads)
            heads.extend(t.heads)
            out.rule.extend([r + offset for r in t.rule] if offset else t.rule)
            out.subjects.extend(t.subjects)
            out.evidence.extend(t.evidence)
            out.records.extend(t.records)
            out.remediation.extend(t.remediation)
            out.fingerprint.extend(t.fingerprint)
        out.heads = tuple(heads)
        return out

    def __len__(self) -> int:
        return len(self.rule)

    def _item(self, i: int) -> Finding:
        h = self.heads[self.rule[i]]
        return Finding(
            h[0], h[1], h[2], h[3], h[4], h[5],
            self.subjects[i], self.evidence[i], h[6], self.remediation[i],
            self.fingerprint[i], self.records[i],
        )  # fmt: skip

    def take(self, order: Sequence[int]) -> FindingTable:
        """The findings at ``order``'s positions, in its order."""
        return FindingTable(
            self.heads,
            _pick(self.rule, order),
            _pick(self.subjects, order),
            _pick(self.evidence, order),
            _pick(self.records, order),
            _pick(self.remediation, order),
            _pick(self.fingerprint, order),
        )

    def levels(self) -> list[int]:
        """Each finding's level."""
        by_head = [h[5] for h in self.heads]
        return [by_head[r] for r in self.rule]

    def sorted(self) -> FindingTable:
        """The findings in report order (:meth:`~dualrel.findings.Finding.sort_key`'s):
        by the rule's part of the key, made once per rule, then by the text
        (``findings._ordered_text``) of each finding, made in one C loop."""
        ranks = [_rule_rank(h[5], h[4], h[1].id, h[0]) for h in self.heads]
        # each head's place among the rules' parts (equal parts, equal places)
        place = {rank: k for k, rank in enumerate(sorted(set(ranks)))}
        places = [place[rank] for rank in ranks]
        # each text after its head's place as a character: the texts order as (place,
        # text), equal ones kept in table order, as sorting by the whole key does
        texts = _ft.ordered_texts(self.subjects, self.evidence, self.records, self.rule, places)
        return self.take(sorted(range(len(texts)), key=texts.__getitem__))


def _pick(column: Sequence[_T], order: Sequence[int]) -> list[_T]:
    """``column``'s items at ``order``'s positions (a C loop)."""
    return list(map(column.__getitem__, order))


#: the records and windows a finding's timeline draws (empty: none)
Dated = tuple[tuple[EvidenceRecord, ...], tuple[EvidenceWindow, ...]]


class CheckedFindings(_Lazy[CheckedFinding]):
    """A check's findings as columns beside the :class:`FindingTable` of the engine's;
    each :class:`~dualrel.findings.CheckedFinding` made when read."""

    __slots__ = (
        "description",
        "in_baseline",
        "records",
        "status",
        "table",
        "ties",
        "waiver",
        "windows",
    )

    def __init__(  # noqa: PLR0917 (one argument per column)
        self,
        table: FindingTable,
        status: list[FindingStatus],
        description: list[str],
        ties: list[tuple[EvidenceTie, ...]],
        waiver: list[WaiverInfo | None],
        in_baseline: list[bool],
        records: list[tuple[EvidenceRecord, ...]],
        windows: list[tuple[EvidenceWindow, ...]],
    ) -> None:
        self.table = table
        self.status = status
        self.description = description
        self.ties = ties
        self.waiver = waiver
        self.in_baseline = in_baseline
        self.records = records
        self.windows = windows

    @classmethod
    def of(cls, findings: Iterable[CheckedFinding]) -> CheckedFindings:
        """``findings`` as columns (columns are returned as they are)."""
        if isinstance(findings, CheckedFindings):
            return findings
        items = list(findings)
        return cls(
            FindingTable.of([f.finding for f in items]),
            [f.status for f in items],
            [f.description for f in items],
            [f.ties for f in items],
            [f.waiver for f in items],
            [f.in_baseline for f in items],
            [f.records for f in items],
            [f.windows for f in items],
        )

    @classmethod
    def checked(
        cls,
        table: FindingTable,
        descriptions: Sequence[str],
        cited: Mapping[str, EvidenceTie],
        *,
        applied: Mapping[str, WaiverInfo],
        baselined: Iterable[str],
        dated: Callable[[int, tuple[EvidenceTie, ...]], Dated] | None = None,
        when: Sequence[bool] = (),
    ) -> CheckedFindings:
        """Each finding of ``table`` with its status after the waivers ``applied``
        (by fingerprint) and the baseline's fingerprints ``baselined``, its rule's
        description (``descriptions``, by head), its cited ties (those of its evidence
        ``cited`` has, by id: a derived chain's are not the registry's) and, for the
        findings whose head ``when`` says (by head), what ``dated(i, ties)`` says its
        timeline draws."""
        n = len(table)
        in_base = frozenset(baselined)
        waiver: list[WaiverInfo | None]
        status: list[FindingStatus]
        if not applied and not in_base:  # most checks: every finding open
            waiver, in_baseline, status = [None] * n, [False] * n, ["open"] * n
        else:
            waiver = [applied.get(fp) for fp in table.fingerprint]
            in_baseline = [fp in in_base for fp in table.fingerprint]
            status = [
                "waived" if w else "baselined" if b else "open"
                for w, b in zip(waiver, in_baseline, strict=True)
            ]
        # in one C loop: a call per finding cost more than the look-ups
        ties = _ft.looked_up(cited if isinstance(cited, dict) else dict(cited), table.evidence)
        records: list[tuple[EvidenceRecord, ...]] = [()] * n
        windows: list[tuple[EvidenceWindow, ...]] = [()] * n
        if dated is not None:
            for i, (r, recs) in enumerate(zip(table.rule, table.records, strict=True)):
                if recs or when[r]:
                    records[i], windows[i] = dated(i, ties[i])
        return cls(
            table,
            status,
            _pick(descriptions, table.rule),
            ties,
            waiver,
            in_baseline,
            records,
            windows,
        )

    def __len__(self) -> int:
        return len(self.status)

    def failing(self, level: int) -> CheckedFindings:
        """The open findings at ``level`` or above (all of them, often: then ``self``)."""
        levels = self.table.levels()
        failing = [i for i, s in enumerate(self.status) if s == "open" and levels[i] >= level]
        return self if len(failing) == len(self) else self.take(failing)

    def _item(self, i: int) -> CheckedFinding:
        return CheckedFinding(
            self.table._item(i),
            self.status[i],
            self.description[i],
            self.ties[i],
            self.waiver[i],
            self.in_baseline[i],
            self.records[i],
            self.windows[i],
        )

    def take(self, order: Sequence[int]) -> CheckedFindings:
        """The findings at ``order``'s positions, in its order."""
        return CheckedFindings(
            self.table.take(order),
            _pick(self.status, order),
            _pick(self.description, order),
            _pick(self.ties, order),
            _pick(self.waiver, order),
            _pick(self.in_baseline, order),
            _pick(self.records, order),
            _pick(self.windows, order),
        )
