"""``dualrel check`` as a function: load everything, evaluate, apply waivers and baseline.

Inputs are all validated before the evaluation starts (rulesets first, so the registry
loader accepts the tie kinds and roles they declare), and every problem of an input is
raised at once with its location.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
from collections.abc import Callable, Collection, Iterable, Mapping, MutableMapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime
from itertools import chain, compress
from operator import attrgetter
from pathlib import Path
from typing import Any, Protocol

import dualrel._findtext as _ft
from dualrel._internal import storage
from dualrel._internal.frozen import instances
from dualrel._internal.gc import gc_paused
from dualrel._internal.reading import OnRead
from dualrel._internal.timing import Stopwatch
from dualrel.baseline import Baseline, apply_baseline, load_baseline, registry_warning
from dualrel.errors import InvalidArgument, Problem, RegistryError, RulesetError
from dualrel.finding_table import CheckedFindings, Dated, FindingTable
from dualrel.findings import (
    CheckResult,
    EvidenceRecord,
    EvidenceTie,
    Finding,
    RegistryInfo,
    Report,
    RuleInfo,
    RulesetRef,
    RuleStep,
    WaiverInfo,
)
from dualrel.graph import RecordLocations
from dualrel.graph.columns import ColumnarRegistry, LazyRecords, every_person, load_for_rules
from dualrel.graph.model import CORE_ROLES, CORE_TIE_KINDS, PRACTICE_SECTIONS, Registry
from dualrel.graph.parts import part_files
from dualrel.graph.practice import PRACTICE_CATALOGUE
from dualrel.rules import Rule, Ruleset, compile_ruleset, evaluate, load_ruleset
from dualrel.rules.compose import distinct_rules, merged_findings
from dualrel.rules.conditions import Compare
from dualrel.rules.engine import registry_for
from dualrel.rules.numbers import numeric_warnings
from dualrel.rules.plan import CompiledRuleset
from dualrel.rules.windows import date_conditions, date_windows
from dualrel.waivers import apply_waivers, load_waivers

__all__ = [
    "DEFAULT_RULESET",
    "CheckOptions",
    "Evaluator",
    "ProgressFn",
    "Reader",
    "check_for_exit",
    "load_rulesets",
    "registry_sha256",
    "run_check",
]

DEFAULT_RULESET = "coaching-core"

#: Called as ``progress(step, total, label)`` before each stage.
ProgressFn = Callable[[int, int, str], None]


def _no_progress(step: int, total: int, label: str) -> None:
    pass


def load_rulesets(
    refs: Sequence[str | Path], *, extends_from: Sequence[str | os.PathLike[str]] = ()
) -> tuple[Ruleset, ...]:
    """Load every ruleset (shipped name or path); all problems of all of them at once.

    ``extends_from``: folders whose rulesets ``extends`` may read (see
    :func:`~dualrel.rules.load_ruleset`)."""
    problems: list[Problem] = []
    out: list[Ruleset] = []
    for ref in refs:
        try:
            out.append(load_ruleset(ref, extends_from=extends_from))
        except RulesetError as exc:
            problems.extend(exc.problems)
    kinds: dict[str, tuple[bool, str]] = {}
    for rs in out:
        for kind, directed in rs.kinds.items():
            if kind in kinds and kinds[kind][0] != directed:
                problems.append(
                    Problem(
                        file=rs.file or rs.id,
                        code="vocabulary",
                        record=kind,
                        message=f"tie kind {kind!r} is directed in one ruleset ({kinds[kind][1]}) "
                        f"and undirected in another ({rs.id})",
                    )
                )
            kinds.setdefault(kind, (directed, rs.id))
    if problems:
        raise RulesetError(problems)
    return tuple(out)


def registry_sha256(path: str | Path) -> str:
    """The sha256 of a registry file, or of a CSV folder's people.csv and ties.csv (and
    the practice section files it holds, such as agreements.csv, and the parts of a split
    folder, such as ties-0001.csv); for a URL, that of its local copy."""
    p = os.fspath(path)
    h = hashlib.sha256()
    if storage.isdir(p):
        for name in ("people.csv", "ties.csv"):
            f = os.path.join(p, name)
            h.update(name.encode() + b"\0")
            if storage.exists(f):
                _hash_file(h, f)
            h.update(b"\0")
        for section in PRACTICE_SECTIONS:  # only those present: older folders hash the same
            f = os.path.join(p, f"{section}.csv")
            if storage.exists(f):
                h.update(f"{section}.csv".encode() + b"\0")
                _hash_file(h, f)
                h.update(b"\0")
        for part in part_files(p):  # a split folder's parts, in reading order
            h.update(os.path.basename(part).encode() + b"\0")
            _hash_file(h, part)
            h.update(b"\0")
    else:
        _hash_file(h, p)
    return h.hexdigest()


def _refuse_pipe(path: str) -> None:
    """A check reads its registry twice (the second time for the sha256 its report
    records), which a pipe cannot give: refused before the first read, not a hang after."""
    with contextlib.suppress(OSError):  # no file: the loader says so, located
        if stat.S_ISFIFO(os.stat(path).st_mode):
            message = (
                "a pipe: check reads the registry twice (its sha256 goes into the report); "
                "give a regular file (validate reads pipes)"
            )
            raise RegistryError([Problem(file=path, code="unreadable", message=message)])


def _hash_file(h: Any, path: str) -> None:
    """Feed a file to ``h`` in blocks: a registry of millions of ties is never held twice."""
    with storage.open_binary(path) as f:
        while block := f.read(1 << 20):
            h.update(block)


def _evidence_ties(registry: Registry, findings: FindingTable) -> dict[str, EvidenceTie]:
    """Each tie cited by ``findings`` as evidence, made once however many findings cite
    it, with where it was read.

    Everything the result stage reads of the registry's ties comes through here: one pass
    over the ties, whose positions locate them without an index of every tie id (building
    one over millions of ties costs more than the pass)."""
    ids = set(chain.from_iterable(findings.evidence))
    if not ids:
        return {}
    ties = registry.ties
    # the positions of the cited ties, found by C loops (a Python loop over every tie of
    # the registry cost more than making the cited ones); then the cited ties by columns
    cited = list(compress(range(len(ties)), map(ids.__contains__, map(_ID, ties))))
    tids, kinds, sources, targets, starts, ends = _ft.attributes(
        list(map(ties.__getitem__, cited)), ("id", "kind", "source", "target", "start", "end")
    )
    directed = {kind: registry.is_directed(kind) for kind in dict.fromkeys(kinds)}
    locations = registry.locations
    where: tuple[list[str | None], list[int | None], list[str | None]] | None = None
    if isinstance(locations, RecordLocations):
        where = locations.columns("tie", cited)
    if where is None:  # located by id, or not at all
        located = (
            [None] * len(tids)
            if isinstance(locations, RecordLocations)
            else list(map(locations.get, [("tie", tid) for tid in tids]))
        )
        where = (
            [loc.file if loc else None for loc in located],
            [loc.line if loc else None for loc in located],
            [loc.pointer if loc else None for loc in located],
        )
    made = instances(
        EvidenceTie,
        [
            tids,
            kinds,
            sources,
            targets,
            list(map(directed.__getitem__, kinds)),
            starts,
            ends,
            *where,
        ],
    )
    return dict(zip(tids, made, strict=True))


_ID = attrgetter("id")


def _records(registry: Registry, findings: FindingTable) -> dict[str, EvidenceRecord]:
    """The practice records cited by ``findings`` (``section/id``) with their dates, found
    in one pass over the sections they name."""
    wanted: dict[str, set[str]] = {}
    for cited in findings.records:
        for ref in cited:
            section, _, rid = ref.partition("/")
            wanted.setdefault(section, set()).add(rid)
    out: dict[str, EvidenceRecord] = {}
    for section, ids in wanted.items():
        spec = PRACTICE_CATALOGUE.get(section)
        if spec is None:
            continue
        fields = [f.name for f in spec.fields if f.kind in ("date", "datetime")]
        records = registry.practice.section(section)
        # picked in C loops: the cited are few, the contacts hundreds of thousands (kept
        # as columns, only the cited are made)
        picked: Iterable[Any]
        if isinstance(records, LazyRecords):
            rows = list(compress(range(len(records)), map(ids.__contains__, records.ids)))
            picked = records.objects(rows)
        else:
            picked = compress(records, map(ids.__contains__, map(_ID, records)))
        for rec in picked:
            dates = ((name, getattr(rec, name)) for name in fields)
            out[f"{section}/{rec.id}"] = EvidenceRecord(
                f"{section}/{rec.id}",
                tuple(
                    (name, d.date() if isinstance(d, datetime) else d)
                    for name, d in dates
                    if d is not None
                ),
            )
    return out


# a rule by ruleset id, version and rule id: hashing text is cheaper than hashing a
# RulesetRef (a dataclass's hash is Python)
_RuleKey = tuple[str, str, str]


def _rule_key(ruleset: RulesetRef, rule: str) -> _RuleKey:
    return (ruleset.id, ruleset.version, rule)


@dataclass(frozen=True, slots=True)
class _Timelines:
    """What the html report draws on each finding's timeline: the practice records it
    cites, with their dates, and its rule's date windows on the evidence."""

    records: Mapping[str, EvidenceRecord]
    rules: Mapping[_RuleKey, Rule]
    #: the rules that have some
    conditions: Mapping[_RuleKey, tuple[tuple[str, Compare], ...]]
    as_of: date

    def of(self, finding: Finding, ties: tuple[EvidenceTie, ...]) -> Dated:
        key = _rule_key(finding.ruleset, finding.rule)
        conditions = self.conditions.get(key)
        cited = tuple([self.records.get(r, EvidenceRecord(r)) for r in finding.records])
        if not conditions:
            return cited, ()
        windows = date_windows(
            self.rules[key], conditions, finding, ties=ties, records=cited, as_of=self.as_of
        )
        return cited, windows


def _timelines(
    registry: Registry, findings: FindingTable, rulesets: Sequence[Ruleset], as_of: date
) -> _Timelines:
    rules: dict[_RuleKey, Rule] = {}
    for rs in rulesets:
        for r in rs.rules:
            rules.setdefault(_rule_key(r.origin, r.id), r)
    conditions = {key: dated for key, r in rules.items() if (dated := date_conditions(r))}
    return _Timelines(_records(registry, findings), rules, conditions, as_of)


def _checked(
    findings: FindingTable,
    evidence: Mapping[str, EvidenceTie],
    descriptions: Mapping[_RuleKey, str],
    *,
    applied: Mapping[str, WaiverInfo],
    baselined: Collection[str],
    timelines: _Timelines | None,
) -> CheckedFindings:
    """Each finding with its status, its rule's description, its cited ties and what its
    timeline draws, as columns: a rule's key and description are looked up once per
    rule, and only the findings that cite records or whose rule has a date window
    (``when``) have a timeline made."""
    keys = [_rule_key(h[1], h[0]) for h in findings.heads]

    dated = None
    if timelines is not None:
        when = [key in timelines.conditions for key in keys]

        def dated(i: int, ties: tuple[EvidenceTie, ...]) -> Dated:
            return timelines.of(findings[i], ties)

    return CheckedFindings.checked(
        findings,
        [descriptions.get(key, "") for key in keys],
        evidence,
        applied=applied,
        baselined=baselined,
        dated=dated,
        when=when if timelines is not None else (),
    )


def _rules(rulesets: Sequence[Ruleset]) -> tuple[RuleInfo, ...]:
    """Every rule in use once, named by its origin as its findings are (the first form of a
    rule two rulesets change differently)."""
    out = []
    seen: set[tuple[RulesetRef, str]] = set()
    for rs in rulesets:
        for r in rs.rules:
            if (r.origin, r.id) in seen:
                continue
            seen.add((r.origin, r.id))
            out.append(
                RuleInfo(
                    ruleset=r.origin,
                    id=r.id,
                    title=r.title,
                    description=" ".join(r.description.split()),
                    category=r.category,
                    severity=r.severity,
                    level=r.level,
                    citations=r.citations,  # findings.Citation already (frozen)
                    remediation=tuple(
                        RuleStep(s.action, s.within_days, s.owner) for s in r.remediation
                    ),
                    escalation=rs.escalation_of(r),
                )
            )
    return tuple(sorted(out, key=lambda r: (r.ruleset.id, r.id)))


class Evaluator(Protocol):
    """What evaluates one compiled ruleset in a check: :func:`~dualrel.rules.evaluate`'s
    signature and report."""

    def __call__(
        self,
        registry: Registry,
        compiled: CompiledRuleset,
        *,
        as_of: date | None,
        jobs: int,
        timings: MutableMapping[str, float],
    ) -> Report: ...


class Reader(Protocol):
    """What reads and validates the registry in a check in place of
    :func:`~dualrel.graph.columns.load_for_rules`, knowing the compiled rulesets (so it
    may keep only the ties they can use): the same registry as ``load_for_rules`` would
    give narrowed to a superset of the ties ``registry_for`` keeps, with the same
    warnings, or None to have ``load_for_rules`` read it (and raise its problems)."""

    def __call__(
        self,
        path: str,
        compiled: Sequence[CompiledRuleset],
        *,
        kinds: Mapping[str, bool],
        roles: Collection[str],
        as_of: date | None,
    ) -> tuple[ColumnarRegistry, tuple[Problem, ...]] | None: ...


@dataclass(frozen=True, slots=True)
class CheckOptions:
    """How to check, beyond what (the registry) and against what (the rulesets).

    The keyword arguments of :func:`run_check`, in one object.
    """

    #: the evaluation date; ``None``: the registry's ``as_of``, else today
    as_of: date | None = None
    #: a YAML waivers file
    waivers: str | os.PathLike[str] | None = None
    #: an earlier JSON report to compare with
    baseline: str | os.PathLike[str] | None = None
    #: the lowest level of open finding that fails the check (1, 2 or 3)
    fail_level: int = 1
    #: keep people's names in the result (shown only by formats asked to reveal them)
    reveal: bool = False
    #: called as ``progress(step, total, label)`` before each stage
    progress: ProgressFn = _no_progress
    #: evaluate partitions in this many worker processes (same findings)
    jobs: int = 1
    #: filled with the seconds each stage took, when given
    timings: MutableMapping[str, float] | None = None
    #: filled with warnings about the registry as the rulesets read it, when given (the
    #: loader's own, such as ``unknown-role``; ``as-of-today`` when neither the options nor
    #: the registry give a date; values a rule reads as numbers that do not read as one:
    #: ``rules.numbers``), and with the result's own warnings (a baseline of another
    #: registry content: ``baseline-registry``)
    warnings: list[Problem] | None = None
    #: folders whose rulesets ``extends`` may read, besides shipped rulesets and the
    #: extending ruleset's own folder
    extends_from: Sequence[str | os.PathLike[str]] = ()
    #: told the number of bytes of the registry each read returned (a progress display)
    on_read: OnRead | None = None
    #: evaluates one compiled ruleset over the registry in place of
    #: :func:`~dualrel.rules.evaluate` (same arguments, same report): a distributed check
    #: (:func:`dualrel.scale.check_on_dask`) evaluates its partitions on a cluster
    evaluator: Evaluator | None = None
    #: reads and validates the registry in place of ``load_for_rules`` (a distributed
    #: check reads its blocks on a cluster); not used with a baseline or ``reveal``, which
    #: read every person
    reader: Reader | None = None
    #: fill each finding's ``records`` (the practice records it cites, with their dates)
    #: and ``windows`` (its rule's date windows on the evidence), which only the html
    #: report draws; ``False`` leaves them empty and saves their cost
    timelines: bool = True


def run_check(
    registry: str | os.PathLike[str],
    rulesets: Sequence[str | Path] = (DEFAULT_RULESET,),
    *,
    as_of: date | None = None,
    waivers: str | os.PathLike[str] | None = None,
    baseline: str | os.PathLike[str] | None = None,
    fail_level: int = 1,
    reveal: bool = False,
    progress: ProgressFn = _no_progress,
    jobs: int = 1,
    timings: MutableMapping[str, float] | None = None,
    warnings: list[Problem] | None = None,
    extends_from: Sequence[str | os.PathLike[str]] = (),
    on_read: OnRead | None = None,
    timelines: bool = True,
    evaluator: Evaluator | None = None,
    reader: Reader | None = None,
) -> CheckResult:
    """Check a registry against rulesets and return the result every format renders.

    The keyword arguments are the fields of :class:`CheckOptions`.
    ``jobs`` > 1 evaluates partitions in that many worker processes (same findings).
    When ``timings`` is given, it is filled with the seconds each stage took: ``rulesets``
    (load), ``read_validate``, ``compile``, ``index`` (the ties the rules can read),
    ``evaluate``, ``findings`` and ``result`` (waivers, baseline, evidence).  A dotted key
    is a part of the stage before its dot: ``compile.<stage>`` for each stage of
    :data:`dualrel.rules.compiler.STAGES`.

    Raises ``RulesetError``, ``RegistryError``, ``WaiverError`` or ``ReportFileError``
    (all :class:`~dualrel.errors.DualrelError`) with located problems for bad input.

    What ``dualrel check`` does, without the command line: check, then render the result
    in any format (:func:`dualrel.render`) and take the exit code from it.

    >>> import json, dualrel
    >>> result = run_check(dualrel.example_registry(), ["coaching-core"], fail_level=2)
    >>> len(result.findings), len(result.failing()), result.exit_code()
    (12, 8, 1)
    >>> sarif = json.loads(dualrel.render(result, "sarif"))  # people as pseudonyms
    >>> sarif["version"], len(sarif["runs"][0]["results"])
    ('2.1.0', 12)
    >>> dualrel.render(result, "html").startswith("<!DOCTYPE html>")
    True
    """
    options = CheckOptions(
        as_of=as_of,
        waivers=waivers,
        baseline=baseline,
        fail_level=fail_level,
        reveal=reveal,
        progress=progress,
        jobs=jobs,
        timings=timings,
        warnings=warnings,
        extends_from=extends_from,
        on_read=on_read,
        timelines=timelines,
        evaluator=evaluator,
        reader=reader,
    )
    return _run_check(registry, rulesets, options)


def check_for_exit(
    registry: str | os.PathLike[str],
    rulesets: Sequence[str | Path],
    options: CheckOptions | None = None,
) -> CheckResult:
    """:func:`run_check` for a process that exits right after reporting (the command line):
    the registry stays referenced until the process ends, so its millions of objects are
    never freed one by one (about a second at a million people); see ``cli.run``."""
    return _run_check(
        registry, rulesets, options if options is not None else CheckOptions(), keep=_KEPT
    )


def _compiled(
    loaded: Sequence[Ruleset], watch: Stopwatch, stages: MutableMapping[str, float]
) -> list[CompiledRuleset]:
    out = []
    for rs in loaded:
        parts: dict[str, float] = {}
        out.append(compile_ruleset(rs, timings=parts))
        watch.lap("compile")
        for part, seconds in parts.items():  # each compiler stage, within "compile"
            key = f"compile.{part}"
            stages[key] = stages.get(key, 0.0) + seconds
    return out


def _dated_today(path: str, today: date) -> Problem:
    """The warning that a registry without a date (a CSV folder has none) was checked as
    of today: the same files give other findings another day."""
    return Problem(
        file=path,
        code="as-of-today",
        message=f"the registry has no as_of date: checked as of {today.isoformat()} (today); "
        "give --as-of (or as_of in the registry) to check as of another date",
        severity="warning",
    )


#: What :func:`check_for_exit` keeps alive: the last registry checked.
_KEPT: list[object] = []


# a large registry is millions of long-lived objects and the check makes many small ones
# without cycles: the collector would scan the registry again and again
@gc_paused()
def _run_check(
    registry: str | os.PathLike[str],
    rulesets: Sequence[str | Path],
    options: CheckOptions,
    keep: list[object] | None = None,
) -> CheckResult:
    as_of, waivers, baseline = options.as_of, options.waivers, options.baseline
    fail_level, progress = options.fail_level, options.progress
    if fail_level not in (1, 2, 3):
        raise InvalidArgument(f"fail_level must be 1, 2 or 3, got {fail_level!r}")
    stages: MutableMapping[str, float] = options.timings if options.timings is not None else {}
    watch = Stopwatch(stages)

    refs = list(rulesets) or [DEFAULT_RULESET]
    total = 4 + len(refs)
    progress(0, total, "loading rulesets")
    loaded = distinct_rules(load_rulesets(refs, extends_from=options.extends_from))
    watch.lap("rulesets")
    progress(1, total, "reading waivers and baseline")
    waiver_list: tuple[WaiverInfo, ...] = load_waivers(waivers) if waivers is not None else ()
    base: Baseline | None = load_baseline(baseline) if baseline is not None else None
    progress(2, total, "loading the registry")
    extra_kinds = {k: d for rs in loaded for k, d in rs.kinds.items() if k not in CORE_TIE_KINDS}
    extra_roles = sorted({r for rs in loaded for r in rs.roles})
    reg_path = os.fspath(registry)
    _refuse_pipe(reg_path)
    reader = options.reader if base is None and not options.reveal else None
    # a reader is told the compiled rulesets: compiled first
    compiled_rulesets = _compiled(loaded, watch, stages) if reader is not None else []
    with ThreadPoolExecutor(max_workers=1) as hashing:
        # hashed beside the read (hashlib lets go of the GIL): another core, or the time
        # the read spends in one thread
        digest = hashing.submit(registry_sha256, reg_path)
        read = None
        if reader is not None:
            # the rulesets' kinds, validated when they were loaded
            kinds = {**CORE_TIE_KINDS, **extra_kinds}
            roles = frozenset(CORE_ROLES) | frozenset(extra_roles)
            read = reader(reg_path, compiled_rulesets, kinds=kinds, roles=roles, as_of=as_of)
        # a CSV folder stays columns until the rulesets say which ties they can read
        source, registry_warnings = read or load_for_rules(
            reg_path,
            extra_kinds=extra_kinds or None,
            extra_roles=extra_roles,
            as_of=as_of,
            on_read=options.on_read,
        )
    info = RegistryInfo(reg_path, digest.result())
    watch.lap("read_validate")
    if reader is None:
        compiled_rulesets = _compiled(loaded, watch, stages)
    reg = registry_for(source, compiled_rulesets, as_of=as_of)
    # the narrowed registry may hold only the people its ties join
    everyone = every_person(source) if base is not None or options.reveal else ()
    del source
    if keep is not None:
        keep[:] = [reg]
    watch.lap("index")
    if options.warnings is not None:
        options.warnings.extend(registry_warnings)
        if as_of is None and reg.as_of is None:
            # the engine would take today's date too: taken here, the note names it
            as_of = date.today()
            options.warnings.append(_dated_today(reg_path, as_of))
        options.warnings.extend(numeric_warnings(reg, loaded))
    mismatch = registry_warning(base, info, {p.id for p in everyone}) if base is not None else None
    check_warnings = (mismatch,) if mismatch is not None else ()
    if options.warnings is not None:
        options.warnings.extend(check_warnings)
    watch.lap("read_validate")
    tables: list[FindingTable] = []
    when: date | None = None
    refs_used: list[RulesetRef] = []
    for i, (rs, compiled) in enumerate(zip(loaded, compiled_rulesets, strict=True)):
        progress(3 + i, total, f"evaluating {rs.id}")
        run = options.evaluator or evaluate
        report = run(reg, compiled, as_of=as_of, jobs=options.jobs, timings=stages)
        watch.restart()  # evaluate timed its own stages
        when = report.as_of
        # findings are named by their rules' origins: each is a ruleset in use too
        for ref in [*(r.origin for r in rs.rules), *report.rulesets]:
            if ref not in refs_used:
                refs_used.append(ref)
        tables.append(FindingTable.of(report.findings))
    assert when is not None
    progress(total - 1, total, "applying waivers and baseline")
    findings = merged_findings(FindingTable.concat(tables), loaded)
    if len(loaded) > 1:  # one ruleset's findings come sorted from evaluate
        findings = findings.sorted()
    applied, outcomes = apply_waivers(findings, waiver_list, when) if waiver_list else ({}, ())
    baselined, resolved = (
        apply_baseline(findings, base, refs_used) if base is not None else (frozenset(), ())
    )
    rules = _rules(loaded)
    descriptions = {_rule_key(r.ruleset, r.id): r.description for r in rules}
    evidence = _evidence_ties(reg, findings)
    timelines = _timelines(reg, findings, loaded, when) if options.timelines else None
    checked = _checked(
        findings, evidence, descriptions, applied=applied, baselined=baselined, timelines=timelines
    )
    names = {p.id: p.name for p in everyone if p.name} if options.reveal else {}
    progress(total, total, "done")
    watch.lap("result")
    return CheckResult(
        registry=info,
        as_of=when,
        rulesets=tuple(refs_used),
        rules=rules,
        findings=checked,
        fail_level=fail_level,
        waivers=outcomes,
        waivers_file=os.fspath(waivers) if waivers is not None else None,
        baseline=base.file if base is not None else None,
        resolved=resolved,
        names=names,
        warnings=check_warnings,
    )
