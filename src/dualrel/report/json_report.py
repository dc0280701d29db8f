"""``json``: the machine-readable report ``dualrel.report/1`` (exact ids).

This is what ``--baseline`` and ``dualrel explain`` read; its JSON Schema is
:func:`dualrel.report.schema.report_json_schema`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date
from itertools import repeat
from typing import Any

import pydantic_core

import dualrel._findtext as _ft
from dualrel._version import __version__
from dualrel.finding_table import CheckedFindings, RuleHead
from dualrel.findings import (
    CheckedFinding,
    CheckResult,
    Citation,
    EvidenceRecord,
    EvidenceTie,
    EvidenceWindow,
    RemediationStep,
    RuleInfo,
    RulesetRef,
    WaiverInfo,
)
from dualrel.report._base import OutputFormat, People
from dualrel.report.schema import REPORT_FORMAT, ReportDocument

Citations = tuple[Citation, ...]

__all__ = ["BATCH", "FORMAT", "document", "document_data", "render", "stream"]


def _waiver(w: WaiverInfo) -> dict[str, Any]:
    return {
        "source": w.source,
        "reason": w.reason,
        "approved_by": w.approved_by,
        "agreement": w.agreement,
        "expires": w.expires,
        "fingerprint": w.fingerprint,
        "rule": w.rule,
        "subjects": dict(w.subjects) if w.subjects is not None else None,
    }


class _Parts:
    """The parts of findings' dicts that findings share (a rule's ruleset and citations, a
    coach's remediation steps, a tie cited by several findings), each made once per
    report; the serializer writes a shared dict wherever it appears.  Kept by object
    (hashing frozen dataclasses field by field costs more than the dicts): the result
    holds every one of them for as long as its report is made."""

    def __init__(self) -> None:
        self.made: dict[int, dict[str, Any]] = {}
        self.lists: dict[int, list[dict[str, Any]]] = {}

    def ruleset(self, r: RulesetRef) -> dict[str, Any]:
        out = self.made.get(id(r))
        if out is None:
            out = self.made[id(r)] = {"id": r.id, "version": r.version}
        return out

    def citation_list(self, citations: tuple[Citation, ...]) -> list[dict[str, Any]]:
        out = self.lists.get(id(citations))
        if out is None:
            out = self.lists[id(citations)] = [
                {"code": c.code, "clause": c.clause} for c in citations
            ]
        return out

    def step(self, s: RemediationStep) -> dict[str, Any]:
        out = self.made.get(id(s))
        if out is None:
            out = self.made[id(s)] = {
                "action": s.action,
                "within_days": s.within_days,
                "due": s.due,
                "owner": s.owner,
                "assignee": s.assignee,
                "unassigned_reason": s.unassigned_reason,
            }
        return out

    def tie(self, t: EvidenceTie) -> dict[str, Any]:
        out = self.made.get(id(t))
        if out is None:
            out = self.made[id(t)] = {
                "id": t.id,
                "kind": t.kind,
                "source": t.source,
                "target": t.target,
                "directed": t.directed,
                "start": t.start,
                "end": t.end,
                "location": (
                    {"file": t.file, "line": t.line, "pointer": t.pointer} if t.file else None
                ),
            }
        return out


def _finding(f: CheckedFinding, names: dict[str, str] | None, parts: _Parts) -> dict[str, Any]:
    fd = f.finding
    out: dict[str, Any] = {
        "rule": fd.rule,
        "ruleset": parts.ruleset(fd.ruleset),
        "title": fd.title,
        "category": fd.category,
        "severity": fd.severity,
        "level": fd.level,
        "subjects": dict(sorted(fd.subjects.items())),
        "evidence": list(fd.evidence),
        "records": list(fd.records),
        "citations": parts.citation_list(fd.citations),
        "remediation": [parts.step(s) for s in fd.remediation],
        "fingerprint": fd.fingerprint,
        "status": f.status,
        "description": f.description,
        "evidence_ties": [parts.tie(t) for t in f.ties],
        "waiver": _waiver(f.waiver) if f.waiver else None,
        "names": names,
    }
    # what only the html page and sarif's baseline state show, so that `dualrel render`
    # can write them from this report: only when there is some, as ReportDocument says
    if f.in_baseline:
        out["in_baseline"] = True
    if f.records:
        out["evidence_records"] = [{"id": r.id, "dates": dict(r.dates)} for r in f.records]
    if f.windows:
        out["windows"] = [
            {"item": w.item, "condition": w.condition, "bound": w.bound, "value": w.value}
            for w in f.windows
        ]
    return out


def _findings(result: CheckResult, names: Mapping[str, str] | None) -> Iterator[dict[str, Any]]:
    """Each finding of ``result`` as plain data, in order."""
    parts = _Parts()
    found = _names(CheckedFindings.of(result.findings), names)
    for f, who in zip(result.findings, found, strict=True):
        yield _finding(f, who, parts)


def _names(
    findings: CheckedFindings, names: Mapping[str, str] | None
) -> Iterator[dict[str, str] | None]:
    """Per finding, the names of its subjects and assignees (only when ``names``)."""
    known = dict(names or {})
    if not known:
        yield from repeat(None, len(findings))
        return
    table = findings.table
    for subjects, steps in zip(table.subjects, table.remediation, strict=True):
        ids = set(subjects.values())
        ids |= {s.assignee for s in steps if s.assignee}
        yield {i: known[i] for i in sorted(ids) if i in known}


def document(result: CheckResult, names: Mapping[str, str] | None = None) -> ReportDocument:
    """The report as a validated :class:`ReportDocument`; ``names`` only with ``--reveal``."""
    return ReportDocument.model_validate(document_data(result, names))


def document_data(result: CheckResult, names: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The report as plain data, keys in the order of :class:`ReportDocument`'s fields.

    Built from a :class:`CheckResult` (whose findings come from validated rulesets), it is
    a valid document by construction; the tests hold it to the published JSON Schema and
    to the bytes pydantic writes for the validated model.
    """
    return _document(result, list(_findings(result, names)))


def _document(result: CheckResult, findings: list[dict[str, Any]]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "format": REPORT_FORMAT,
        "generated_by": f"dualrel {__version__}",
        "generated_for": {
            "registry": {"path": result.registry.path, "sha256": result.registry.sha256},
            "as_of": result.as_of,
        },
        "rulesets": [{"id": r.id, "version": r.version} for r in result.rulesets],
        "findings": findings,
        "resolved": [
            {
                "fingerprint": r.fingerprint,
                "rule": r.rule,
                "ruleset": {"id": r.ruleset.id, "version": r.ruleset.version},
                "title": r.title,
                "severity": r.severity,
                "level": r.level,
                "subjects": dict(sorted(r.subjects.items())),
                "evidence": list(r.evidence),
            }
            for r in result.resolved
        ],
        "waivers": [
            {"waiver": _waiver(w.waiver), "status": w.status, "findings": list(w.findings)}
            for w in result.waivers
        ],
        "waivers_file": result.waivers_file,
        "baseline": (
            {"path": result.baseline.path, "sha256": result.baseline.sha256}
            if result.baseline
            else None
        ),
        "summary": {
            "total": len(result.findings),
            "by_status": result.by_status(),
            "by_level": {str(k): v for k, v in result.by_level().items()},
            "by_rule": result.by_rule(),
            "fail_level": result.fail_level,
            "failing": len(result.failing()),
            "resolved": len(result.resolved),
            "waivers": result.by_waiver_status(),
        },
    }
    if result.warnings:
        data["warnings"] = [
            {"code": w.code, "file": w.file, "message": w.message} for w in result.warnings
        ]
    if result.rules:
        data["rules"] = [_rule(r) for r in result.rules]
    return data


def _rule(r: RuleInfo) -> dict[str, Any]:
    return {
        "ruleset": {"id": r.ruleset.id, "version": r.ruleset.version},
        "id": r.id,
        "title": r.title,
        "description": r.description,
        "category": r.category,
        "severity": r.severity,
        "level": r.level,
        "citations": [{"code": c.code, "clause": c.clause} for c in r.citations],
        "remediation": [
            {"action": s.action, "within_days": s.within_days, "owner": s.owner}
            for s in r.remediation
        ],
    }


#: Findings written per call of the serializer when the report is streamed: a report of
#: a hundred thousand findings is never one string, and each call still writes many.
BATCH = 1000

# where the findings go in the document written without them: a top-level key, at the
# one indentation no nested key has (strings hold no raw line breaks)
_NO_FINDINGS = b'\n  "findings": [],\n'


def stream(result: CheckResult, people: People, batch: int | None = None) -> Iterator[bytes]:
    """The report as UTF-8 bytes, in parts that join to :func:`render`'s text: the document
    around the findings, then the findings ``batch`` (default :data:`BATCH`) at a time.

    The document is pydantic's serializer's text (the same as ``json.dumps(...,
    indent=2, ensure_ascii=False)``); each finding is that text too, put together by
    :class:`_Writer` from the text of its parts (tests/report/test_json_text.py holds
    the two to the same bytes).
    """
    frame = pydantic_core.to_json(_document(result, []), indent=2) + b"\n"
    if not result.findings:
        yield frame
        return
    head, found, tail = frame.partition(_NO_FINDINGS)
    assert found, "the document has its findings key"
    yield head + b'\n  "findings": ['
    checked = CheckedFindings.of(result.findings)
    columns = _Writer().columns(checked, _names(checked, people.names))
    n = len(checked)
    sep = b"\n    "
    size = batch if batch is not None else BATCH
    steps: dict[int, bytes] = {}  # each tuple of steps' text, while columns holds them
    for start in range(0, n, size):
        yield _ft.finding_texts(sep, steps, start, min(start + size, n), *columns)
        sep = b",\n    "
    yield b"\n  ],\n" + tail


# A finding's text is written at the depth the findings list gives it (its keys 6 spaces
# in), in pydantic's layout: a value pydantic writes (_text) is indented to where it stands.
_KEY = ",\n      "
_ITEM = ",\n        "
_quote = json.encoder.encode_basestring  # pydantic escapes the same characters


def _text(value: Any, indent: str) -> str:
    """``value`` as pydantic writes it with ``indent=2``, its lines after the first
    indented by ``indent`` more."""
    return pydantic_core.to_json(value, indent=2).decode().replace("\n", "\n" + indent)


#: what dualrel._findtext.finding_texts reads after lead, steps, start and stop: the
#: texts by rule (the keys before ``subjects``; the citations), then the columns (a
#: finding's text from ``waiver`` on: None for most, whose waiver and names are null)
_Columns = tuple[
    Sequence[str],
    Sequence[str],
    Sequence[int],
    Sequence[Mapping[str, str]],
    Sequence[tuple[str, ...]],
    Sequence[tuple[str, ...]],
    Sequence[tuple[RemediationStep, ...]],
    Sequence[str],
    Sequence[str],
    Sequence[str],
    Sequence[tuple[EvidenceTie, ...]],
    Sequence[str | None],
]


class _Writer:
    """The text of each finding of a report, as pydantic writes it at its place in the
    document, written key by key (making a dict per finding, step and tie for the
    serializer to walk cost more) by :func:`dualrel._findtext.finding_texts` from the
    columns and the texts made here: what a rule gives its findings (its fields and
    citations, as pydantic writes them) once per rule, kept by object, as :class:`_Parts`
    keeps its dicts, since the result holds them all while its report is made; and the
    keys only some findings have (the waiver and names as pydantic's text, the baseline
    flag, the dated records and windows)."""

    def __init__(self) -> None:
        self.parts = _Parts()
        self.texts: dict[int, str] = {}  # citations, by id
        self.quoted: dict[str, str] = {}

    def _head(self, h: RuleHead) -> str:
        """The keys of a finding before ``subjects``, which its rule gives."""
        data = {
            "rule": h[0],
            "ruleset": self.parts.ruleset(h[1]),
            "title": h[2],
            "category": h[3],
            "severity": h[4],
            "level": h[5],
        }
        # without its closing "\n    }", the subjects' key after
        return _text(data, "    ")[:-6] + _KEY + '"subjects": '

    def _citations(self, citations: Citations) -> str:
        out = self.texts.get(id(citations))
        if out is None:
            out = self.texts[id(citations)] = _text(self.parts.citation_list(citations), "      ")
        return out

    def _q(self, text: str) -> str:
        """``text`` quoted, once per distinct text (actions, kinds, file names repeat)."""
        out = self.quoted.get(text)
        if out is None:
            out = self.quoted[text] = _quote(text)
        return out

    def _record(self, r: EvidenceRecord) -> str:
        dates = dict(r.dates)
        text = (
            "{\n            "
            + ",\n            ".join([f'{self._q(k)}: "{d.isoformat()}"' for k, d in dates.items()])
            + "\n          }"
            if dates
            else "{}"
        )
        return f'{{\n          "id": {_quote(r.id)},\n          "dates": {text}\n        }}'

    def _window(self, w: EvidenceWindow) -> str:
        return (
            f'{{\n          "item": {_quote(w.item)}'
            f',\n          "condition": {self._q(w.condition)}'
            f',\n          "bound": "{w.bound.isoformat()}",\n          "value": {_day(w.value)}'
            "\n        }"
        )

    def columns(self, found: CheckedFindings, names: Iterable[dict[str, str] | None]) -> _Columns:
        """What :func:`dualrel._findtext.finding_texts` writes the findings of ``found``
        from (``names``: each finding's, or None)."""
        table = found.table
        tails: list[str | None] = [None] * len(found)
        rows = zip(
            found.waiver, names, found.in_baseline, found.records, found.windows, strict=True
        )
        for i, (waiver, named, in_baseline, dated, windows) in enumerate(rows):
            if waiver or named is not None or in_baseline or dated or windows:
                tails[i] = self._tail(waiver, named, in_baseline, dated, windows)
        return (
            [self._head(h) for h in table.heads],
            [self._citations(h[6]) for h in table.heads],
            table.rule,
            table.subjects,
            table.evidence,
            table.records,
            table.remediation,
            table.fingerprint,
            found.status,
            found.description,
            found.ties,
            tails,
        )

    def _tail(
        self,
        waiver: WaiverInfo | None,
        names: dict[str, str] | None,
        in_baseline: bool,
        dated: tuple[EvidenceRecord, ...],
        windows: tuple[EvidenceWindow, ...],
    ) -> str:
        """A finding's text from its ``waiver`` key to its end."""
        waived = _text(_waiver(waiver), "      ") if waiver else "null"
        found = _text(names, "      ") if names is not None else "null"
        text = f',\n      "waiver": {waived},\n      "names": {found}'
        # the keys only some findings have, as ReportDocument says
        if in_baseline:
            text += ',\n      "in_baseline": true'
        if dated:
            text += f',\n      "evidence_records": {_items([self._record(r) for r in dated])}'
        if windows:
            text += f',\n      "windows": {_items([self._window(w) for w in windows])}'
        return text + "\n    }"


def _day(day: date | None) -> str:
    return "null" if day is None else f'"{day.isoformat()}"'


def _items(texts: list[str]) -> str:
    """A list of values' texts as a value of a finding's key."""
    if not texts:
        return "[]"
    return "[\n        " + _ITEM.join(texts) + "\n      ]"


def render(result: CheckResult, people: People, colour: bool = False) -> str:
    return b"".join(stream(result, people)).decode()


FORMAT = OutputFormat(
    name="json",
    help="dualrel.report/1 JSON (exact ids; read by --baseline and explain)",
    suffix=".json",
    shared=False,
    render=render,
    stream=stream,
    # it holds each finding's cited records and date windows, so that `dualrel render`
    # writes the html page from it as `check` would
    timelines=True,
)
