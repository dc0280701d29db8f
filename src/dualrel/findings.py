"""Findings and reports: what the engine says, who must act, and by when.

The engine's :class:`Finding` and :class:`Report`; then what a check makes of them
(:class:`CheckResult` and its parts: each finding's status after waivers and the
baseline, the rules in use, the cited ties), which every output format renders and on
which the exit code is computed.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, Literal

import dualrel._findtext as _ft
from dualrel.errors import Problem

if TYPE_CHECKING:
    from dualrel.finding_table import CheckedFindings

__all__ = [
    "ESCALATION_LEVELS",
    "FINDING_STATUSES",
    "SEVERITY_ORDER",
    "CheckResult",
    "CheckedFinding",
    "Citation",
    "EvidenceRecord",
    "EvidenceTie",
    "EvidenceWindow",
    "Finding",
    "FindingStatus",
    "RegistryInfo",
    "RemediationStep",
    "Report",
    "ResolvedFinding",
    "RuleInfo",
    "RuleStep",
    "RulesetRef",
    "WaiverInfo",
    "WaiverOutcome",
    "WaiverStatus",
    "fingerprint",
    "fingerprints",
]

#: What each escalation level asks for, after the source document.
ESCALATION_LEVELS: Mapping[int, str] = {
    1: "guidance in session",
    2: "manager risk assessment",
    3: "external referral or therapy",
}
SEVERITY_ORDER: Mapping[str, int] = {"low": 0, "medium": 1, "high": 2, "critical": 3}

Owner = Literal["coach", "supervisor", "manager", "ethics_committee", "external"]


@dataclass(frozen=True, slots=True, order=True)
class RulesetRef:
    """A ruleset by id and version."""

    id: str
    version: str


@dataclass(frozen=True, slots=True)
class Citation:
    """A clause of a code of ethics a rule implements: ``{code: ICF-2020, clause: "24"}``.

    Rulesets are read straight into this class (``rules/schema.py`` validates it).
    """

    code: str
    clause: str


@dataclass(frozen=True, slots=True)
class RemediationStep:
    """One step to take: ``due`` is the evaluation date plus the rule's ``within_days``.

    ``assignee`` is the person who must act when the graph says who it is (the coach
    for owner ``coach``; the coach's supervisor or manager through an active supervision
    or management tie); otherwise ``None`` and ``unassigned_reason`` says why.
    """

    action: str
    within_days: int
    due: date
    owner: Owner
    assignee: str | None
    unassigned_reason: str | None = None


def fingerprint(
    ruleset_id: str,
    rule_id: str,
    subjects: Mapping[str, str],
    evidence: tuple[str, ...],
    records: tuple[str, ...] = (),
) -> str:
    """A stable hash of what a finding is about, whatever the input order or date.

    Evidence records count only when there are some, so findings without them keep the
    fingerprints they always had (baselines and waivers stay valid).

    >>> a = fingerprint("rs", "r", {"coach": "c1", "client": "k1"}, ("t1", "t2"))
    >>> a == fingerprint("rs", "r", {"client": "k1", "coach": "c1"}, ("t1", "t2"))
    True
    >>> len(a)
    32
    """
    # the text hashed is json.dumps([ruleset_id, rule_id, sorted(subjects.items()),
    # evidence, records?], separators=(",", ":")), written here from each string's JSON
    # form: the encoder's walk over the nested lists was most of a finding's cost
    q = _quote
    people = ",".join([f"[{q(k)},{q(v)}]" for k, v in sorted(subjects.items())])
    more = f",[{','.join(map(q, records))}]" if records else ""
    text = f"[{q(ruleset_id)},{q(rule_id)},[{people}],[{','.join(map(q, evidence))}]{more}]"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


_quote = json.encoder.encode_basestring_ascii


def fingerprints(
    heads: Sequence[tuple[str, str]],
    rule: list[int],
    subjects: list[Mapping[str, str]],
    evidence: list[tuple[str, ...]],
    records: list[tuple[str, ...]],
) -> list[str]:
    """:func:`fingerprint` of each finding of columns, in one C loop (the text hashed
    written and hashed there): ``heads`` holds each rule's (ruleset id, rule id), and
    ``rule[i]`` is the head of the finding at ``i``.

    >>> fingerprints([("rs", "r")], [0], [{"coach": "c1"}], [("t1",)], [()]) == [
    ...     fingerprint("rs", "r", {"coach": "c1"}, ("t1",))]
    True
    """
    prefixes = [f"[{_quote(ruleset)},{_quote(rule_id)},[" for ruleset, rule_id in heads]
    return _ft.fingerprints(prefixes, rule, subjects, evidence, records)


@dataclass(frozen=True, slots=True)
class Finding:
    """One match of one rule: who, why, how serious, who must act and by when."""

    rule: str
    ruleset: RulesetRef
    title: str
    category: str
    severity: str
    level: int
    subjects: Mapping[str, str]
    evidence: tuple[str, ...]
    citations: tuple[Citation, ...]
    remediation: tuple[RemediationStep, ...]
    fingerprint: str
    #: practice records of the evidence, as ``section/id`` (``contacts/ct-006``)
    records: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The finding as JSON-ready data (dates as ISO text): the keys a finding of the
        JSON report (``dualrel.report/1``) starts with, in its order and shape.

        :meth:`CheckedFinding.to_dict` adds what a check knows (status, evidence ties,
        waiver), which makes it exactly the report's finding.

        >>> import json
        >>> from datetime import date
        >>> f = Finding("r1", RulesetRef("rs", "1"), "A title", "boundaries", "high", 2,
        ...             {"coach": "co1", "client": "cl1"}, ("t1",), (Citation("ICF", "24"),),
        ...             (RemediationStep("Pause", 7, date(2026, 1, 8), "coach", "co1"),), "ab12")
        >>> d = f.to_dict()
        >>> d["ruleset"], d["remediation"][0]["due"], d["citations"]
        ({'id': 'rs', 'version': '1'}, '2026-01-08', [{'code': 'ICF', 'clause': '24'}])
        >>> json.loads(json.dumps(d)) == d
        True
        """
        return {
            "rule": self.rule,
            "ruleset": {"id": self.ruleset.id, "version": self.ruleset.version},
            "title": self.title,
            "category": self.category,
            "severity": self.severity,
            "level": self.level,
            "subjects": dict(sorted(self.subjects.items())),
            "evidence": list(self.evidence),
            "records": list(self.records),
            "citations": [{"code": c.code, "clause": c.clause} for c in self.citations],
            "remediation": [
                {
                    "action": s.action,
                    "within_days": s.within_days,
                    "due": s.due.isoformat(),
                    "owner": s.owner,
                    "assignee": s.assignee,
                    "unassigned_reason": s.unassigned_reason,
                }
                for s in self.remediation
            ],
            "fingerprint": self.fingerprint,
        }

    def sort_key(self) -> tuple[object, ...]:
        """Highest level first, then severity, ruleset, rule, subjects (sorted by
        variable), evidence and records.

        Subjects, evidence and records are compared as one string that orders as their
        tuples do (see :func:`_ordered_text`): sorting a hundred thousand findings by
        nested tuples spent seconds comparing them."""
        return (
            *_rule_rank(self.level, self.severity, self.ruleset.id, self.rule),
            _ordered_text(self.subjects, self.evidence, self.records),
        )


def _rule_rank(level: int, severity: str, ruleset: str, rule: str) -> tuple[int, int, str, str]:
    """The part of :meth:`Finding.sort_key` a finding's rule gives it."""
    return (-level, -SEVERITY_ORDER.get(severity, 0), ruleset, rule)


# Each string ends with \x01 and each sequence with \x00, so that comparing two texts
# compares the sequences item by item, a shorter one first. A character below \x03 in an
# id (ids are checked text: rare) is written as \x02 and itself plus 2, keeping the order.
_ESCAPE = {c: "\x02" + chr(c + 2) for c in range(3)}


def _ordered_text(
    subjects: Mapping[str, str], evidence: tuple[str, ...], records: tuple[str, ...]
) -> str:
    """A string whose order is that of ``(sorted(subjects.items()), evidence, records)``."""
    people = [x for pair in sorted(subjects.items()) for x in pair]
    text = (
        ("\x01".join(people) + "\x01\x00" if people else "\x00")
        + ("\x01".join(evidence) + "\x01\x00" if evidence else "\x00")
        + ("\x01".join(records) + "\x01\x00" if records else "\x00")
    )
    if (
        text.count("\x01") == len(people) + len(evidence) + len(records)
        and text.count("\x00") == 3  # the three sequences
        and "\x02" not in text
    ):
        return text
    return "".join(
        "".join([x.translate(_ESCAPE) + "\x01" for x in seq]) + "\x00"
        for seq in (people, evidence, records)
    )


@dataclass(frozen=True, slots=True)
class Report:
    """The findings of one evaluation, in a deterministic order."""

    as_of: date
    rulesets: tuple[RulesetRef, ...]
    #: in report order; from :func:`dualrel.rules.evaluate` a lazy sequence
    #: (:class:`dualrel.finding_table.FindingTable`): each finding made when read
    findings: Sequence[Finding]

    def by_level(self) -> dict[int, int]:
        """How many findings at each level (3, 2, 1; zeros included)."""
        counts = Counter(f.level for f in self.findings)
        return {level: counts.get(level, 0) for level in (3, 2, 1)}

    def by_rule(self) -> dict[str, int]:
        """How many findings per ``ruleset/rule`` id, sorted by id."""
        counts = Counter(f"{f.ruleset.id}/{f.rule}" for f in self.findings)
        return dict(sorted(counts.items()))


# -- what a check makes of the findings ----------------------------------------------

FindingStatus = Literal["open", "waived", "baselined"]
WaiverStatus = Literal["applied", "expired", "stale"]
FINDING_STATUSES: tuple[FindingStatus, ...] = ("open", "waived", "baselined")


@dataclass(frozen=True, slots=True)
class RegistryInfo:
    """The registry a report is about: the path as given and the sha256 of its content."""

    path: str
    sha256: str


@dataclass(frozen=True, slots=True)
class EvidenceTie:
    """A tie of a finding's evidence, as the registry describes it."""

    id: str
    kind: str
    source: str
    target: str
    directed: bool
    start: date | None = None
    end: date | None = None
    file: str | None = None
    line: int | None = None
    pointer: str | None = None


@dataclass(frozen=True, slots=True)
class EvidenceRecord:
    """A practice record of a finding's evidence (``section/id``) and its dates by field
    name, in the section's field order (``(("given", 2025-01-01), ...)``); a time of day is
    dropped: the page draws days."""

    id: str
    dates: tuple[tuple[str, date], ...] = ()


@dataclass(frozen=True, slots=True)
class EvidenceWindow:
    """A date condition of the rule on one tie or record of the evidence (``item``, a tie
    id or ``section/id``): ``condition`` as written, ``bound`` the date its other side
    gives (parameters resolved), ``value`` the item's date it tests (``None``: open)."""

    item: str
    condition: str
    bound: date
    value: date | None = None


@dataclass(frozen=True, slots=True)
class RuleStep:
    """A remediation step as the rule declares it (before dates and assignees)."""

    action: str
    within_days: int
    owner: str


@dataclass(frozen=True, slots=True)
class RuleInfo:
    """A rule of a ruleset in use (every enabled rule, with or without findings)."""

    ruleset: RulesetRef
    id: str
    title: str
    description: str
    category: str
    severity: str
    level: int
    citations: tuple[Citation, ...]
    remediation: tuple[RuleStep, ...]
    #: days past due after which an unresolved finding at a level (1, 2) rises one (the
    #: register applies it); empty for a rule made by hand
    escalation: Mapping[int, int] = field(default_factory=dict)

    @property
    def qualified_id(self) -> str:
        return f"{self.ruleset.id}/{self.id}"


@dataclass(frozen=True, slots=True)
class WaiverInfo:
    """A waiver as written in the waivers file (``source`` is ``file:line``)."""

    source: str
    reason: str
    approved_by: str
    expires: date
    agreement: str | None = None
    fingerprint: str | None = None
    rule: str | None = None
    subjects: Mapping[str, str] | None = None


@dataclass(frozen=True, slots=True)
class WaiverOutcome:
    """What became of a waiver: ``applied`` (it waived ``findings``), ``expired`` or ``stale``."""

    waiver: WaiverInfo
    status: WaiverStatus
    findings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CheckedFinding:
    """A finding with its status after waivers and the baseline are applied."""

    finding: Finding
    status: FindingStatus
    description: str
    ties: tuple[EvidenceTie, ...]
    waiver: WaiverInfo | None = None
    #: The baseline holds this finding (its status is ``waived`` if a waiver applies too).
    in_baseline: bool = False
    #: The practice records of the evidence with their dates, in ``finding.records`` order.
    records: tuple[EvidenceRecord, ...] = ()
    #: The rule's date windows on the evidence (:mod:`dualrel.rules.windows`).
    windows: tuple[EvidenceWindow, ...] = ()

    def to_dict(self, names: Mapping[str, str] | None = None) -> dict[str, Any]:
        """The finding as JSON-ready data (dates as ISO text), exactly as a finding of
        the JSON report (``dualrel.report/1``; ``dualrel schema report``):
        ``json.dumps(f.to_dict())`` is the report's finding.

        ``names`` (person id -> name, such as :attr:`CheckResult.names` of a check run
        with ``reveal=True``) fills ``names`` with the names of the subjects and
        assignees, as the report made with ``--reveal`` does; without it ``names`` is
        ``None``.  The waiver's free text (reason, approver, agreement) is included: this
        is the exact report, not a shared one.
        """
        found: dict[str, str] | None = None
        if names:
            ids = set(self.finding.subjects.values())
            ids |= {s.assignee for s in self.finding.remediation if s.assignee}
            found = {i: names[i] for i in sorted(ids) if i in names}
        w = self.waiver
        out: dict[str, Any] = {
            **self.finding.to_dict(),
            "status": self.status,
            "description": self.description,
            "evidence_ties": [
                {
                    "id": t.id,
                    "kind": t.kind,
                    "source": t.source,
                    "target": t.target,
                    "directed": t.directed,
                    "start": _iso(t.start),
                    "end": _iso(t.end),
                    "location": (
                        {"file": t.file, "line": t.line, "pointer": t.pointer} if t.file else None
                    ),
                }
                for t in self.ties
            ],
            "waiver": (
                {
                    "source": w.source,
                    "reason": w.reason,
                    "approved_by": w.approved_by,
                    "agreement": w.agreement,
                    "expires": w.expires.isoformat(),
                    "fingerprint": w.fingerprint,
                    "rule": w.rule,
                    "subjects": dict(w.subjects) if w.subjects is not None else None,
                }
                if w is not None
                else None
            ),
            "names": found,
        }
        # only when there is some, as the report writes them (for `dualrel render`)
        if self.in_baseline:
            out["in_baseline"] = True
        if self.records:
            out["evidence_records"] = [
                {"id": r.id, "dates": {k: v.isoformat() for k, v in r.dates}} for r in self.records
            ]
        if self.windows:
            out["windows"] = [
                {
                    "item": win.item,
                    "condition": win.condition,
                    "bound": win.bound.isoformat(),
                    "value": _iso(win.value),
                }
                for win in self.windows
            ]
        return out


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d is not None else None


@dataclass(frozen=True, slots=True)
class ResolvedFinding:
    """A finding of the baseline that the current check no longer reports."""

    fingerprint: str
    rule: str
    ruleset: RulesetRef
    title: str
    severity: str
    level: int
    subjects: Mapping[str, str]
    evidence: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CheckResult:
    """Everything a report says, in a deterministic order: what :func:`dualrel.run_check`
    returns, what :func:`dualrel.render` renders in every format, and what decides the exit
    code of ``dualrel check``.

    ``findings`` holds every finding with its status (``open``, ``waived``,
    ``baselined``): from :func:`dualrel.run_check` a lazy, immutable sequence
    (:class:`dualrel.finding_table.CheckedFindings`) that keeps the findings as columns
    and makes each :class:`CheckedFinding` when it is read (``len``, indexing, slicing,
    iteration and ``==`` with a tuple or list work as on a tuple; an item read twice is
    equal, not the same object; keep ``list(result.findings)`` to hold the objects);
    ``waivers`` what became of each waiver; ``resolved`` the baseline's
    findings this check no longer reports; ``names`` the people's names, only when the
    check was run with ``reveal=True``.

    >>> import dualrel
    >>> result = dualrel.run_check(dualrel.example_registry(), fail_level=3)
    >>> result.by_status(), result.by_level()
    ({'open': 12, 'waived': 0, 'baselined': 0}, {3: 1, 2: 7, 1: 4})
    >>> [f.finding.rule for f in result.failing()], result.exit_code()
    (['romance-active-client'], 1)
    >>> result.findings[0].to_dict()["status"]
    'open'
    """

    registry: RegistryInfo
    as_of: date
    rulesets: tuple[RulesetRef, ...]
    rules: tuple[RuleInfo, ...]
    #: from :func:`dualrel.run_check` a lazy sequence
    #: (:class:`dualrel.finding_table.CheckedFindings`): each finding made when read
    findings: Sequence[CheckedFinding]
    fail_level: int = 1
    waivers: tuple[WaiverOutcome, ...] = ()
    waivers_file: str | None = None
    baseline: RegistryInfo | None = None
    resolved: tuple[ResolvedFinding, ...] = ()
    names: Mapping[str, str] = field(default_factory=dict)
    #: warnings about the check itself (a baseline of another registry content)
    warnings: tuple[Problem, ...] = ()

    def failing(self) -> Sequence[CheckedFinding]:
        """Open findings at or above the fail level: the ones that make the check fail
        (a lazy sequence, as :attr:`findings` is)."""
        return _columns(self.findings).failing(self.fail_level)

    def exit_code(self) -> int:
        """0 when nothing fails, 1 when some finding fails."""
        return 1 if self.failing() else 0

    def by_status(self) -> dict[str, int]:
        """How many findings of each status (open, waived, baselined; zeros included)."""
        counts = Counter(_columns(self.findings).status)
        return {s: counts.get(s, 0) for s in FINDING_STATUSES}

    def by_level(self) -> dict[int, int]:
        """How many findings at each level (3, 2, 1; zeros included)."""
        counts = Counter(_columns(self.findings).table.levels())
        return {level: counts.get(level, 0) for level in (3, 2, 1)}

    def by_rule(self) -> dict[str, int]:
        """How many findings per ``ruleset/rule`` id, sorted by id."""
        table = _columns(self.findings).table
        counts: Counter[str] = Counter()
        # counted by rule, then named: a text per finding cost more than the count
        for head, n in Counter(table.rule).items():
            h = table.heads[head]
            counts[f"{h[1].id}/{h[0]}"] += n
        return dict(sorted(counts.items()))

    def by_waiver_status(self) -> dict[str, int]:
        """How many waivers were applied, expired or stale (``dualrel.waivers``)."""
        counts = Counter(w.status for w in self.waivers)
        return {s: counts.get(s, 0) for s in ("applied", "expired", "stale")}

    def rule(self, ruleset: RulesetRef, rule_id: str) -> RuleInfo | None:
        """The rule in use with this ruleset and id, or ``None``."""
        for r in self.rules:
            if r.ruleset == ruleset and r.id == rule_id:
                return r
        return None


def _columns(findings: Sequence[CheckedFinding]) -> CheckedFindings:
    """``findings`` as columns (a check's already are: a sequence made by hand is
    turned into them)."""
    from dualrel.finding_table import CheckedFindings  # noqa: PLC0415 (it imports this module)

    return CheckedFindings.of(findings)
