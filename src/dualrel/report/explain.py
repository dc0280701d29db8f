"""``dualrel explain``: one finding of a JSON report told in plain words."""

from __future__ import annotations

from dualrel._internal.suggest import did_you_mean
from dualrel.errors import Problem
from dualrel.findings import ESCALATION_LEVELS
from dualrel.report.schema import FindingModel, ReportDocument, ReportFileError, TieModel

__all__ = ["explain", "find_finding"]

MIN_PREFIX = 6


def find_finding(doc: ReportDocument, fingerprint: str, *, file: str = "report") -> FindingModel:
    """The finding with this fingerprint, or with this unique prefix (>= 6 characters),
    also as the text report prints it (``#`` and the first 12 digits)."""
    fp = fingerprint.strip().removeprefix("#").lower()
    exact = [f for f in doc.findings if f.fingerprint == fp]
    if exact:
        return exact[0]
    if len(fp) >= MIN_PREFIX:
        matches = [f for f in doc.findings if f.fingerprint.startswith(fp)]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise ReportFileError(
                [
                    Problem(
                        file=file,
                        code="ambiguous-fingerprint",
                        record=fingerprint,
                        message=f"{len(matches)} findings start with {fingerprint!r}; "
                        "give more digits",
                    )
                ]
            )
    resolved = [r for r in doc.resolved if r.fingerprint.startswith(fp)] if fp else []
    hint = (
        " (it is listed as resolved: the check no longer finds it)"
        if resolved
        else did_you_mean(fp, (f.fingerprint for f in doc.findings))
    )
    raise ReportFileError(
        [
            Problem(
                file=file,
                code="unknown-fingerprint",
                record=fingerprint,
                message=f"no finding with fingerprint {fingerprint!r} "
                f"among {len(doc.findings)}{hint}",
            )
        ]
    )


def _person(pid: str, names: dict[str, str] | None) -> str:
    if names and pid in names:
        return f"{pid} ({names[pid]})"
    return pid


def _tie(t: TieModel, names: dict[str, str] | None) -> str:
    a, b = _person(t.source, names), _person(t.target, names)
    ends = f"from {a} to {b}" if t.directed else f"between {a} and {b}"
    if t.start and t.end:
        when = f"from {t.start.isoformat()} to {t.end.isoformat()}"
    elif t.start:
        when = f"since {t.start.isoformat()}, ongoing"
    elif t.end:
        when = f"until {t.end.isoformat()} (no start date)"
    else:
        when = "no dates (always, ongoing)"
    where = ""
    if t.location is not None:
        where = f"  [{t.location.file}{':' + str(t.location.line) if t.location.line else ''}]"
    return f"{t.id}: {t.kind.replace('_', ' ')} {ends}, {when}{where}"


def explain(doc: ReportDocument, f: FindingModel) -> str:
    """A plain-words account of finding ``f`` of report ``doc``."""
    names = f.names
    as_of = doc.generated_for.as_of.isoformat()
    lines = [
        f"{f.title}",
        f"  finding {f.fingerprint} ({f.status}), registry {doc.generated_for.registry.path} "
        f"as of {as_of}",
        "",
        f"Rule {f.rule} of ruleset {f.ruleset.id} {f.ruleset.version} (category {f.category}).",
        f"It is level {f.level}: {ESCALATION_LEVELS.get(f.level, '?')}; severity {f.severity}.",
        "",
        "People:",
    ]
    lines += [f"  {var}: {_person(pid, names)}" for var, pid in sorted(f.subjects.items())]
    lines += ["", "Evidence (in the order the rule matched it):"]
    by_id = {t.id: t for t in f.evidence_ties}
    for tid in f.evidence:
        t = by_id.get(tid)
        lines.append(f"  {_tie(t, names)}" if t else f"  {tid}: (no details in the report)")
    lines += ["", "Why it matters:"]
    lines.append(f"  {f.description}" if f.description else f"  {f.title}.")
    if f.citations:
        lines.append("  Cites: " + "; ".join(f"{c.code} {c.clause}" for c in f.citations) + ".")
    lines += ["", "What to do:"]
    for i, s in enumerate(f.remediation, 1):
        owner = s.owner.replace("_", " ")
        who = (
            f"{owner} {_person(s.assignee, names)}"
            if s.assignee
            else f"{owner} (unassigned: {s.unassigned_reason or 'no one found in the registry'})"
        )
        lines.append(f"  {i}. {s.action}")
        lines.append(
            f"     who: {who}; by {s.due.isoformat()} (within {s.within_days} days of {as_of})"
        )
    if f.status == "waived" and f.waiver is not None:
        w = f.waiver
        lines += [
            "",
            f"Waived until {w.expires.isoformat()} by {w.approved_by}: {w.reason}"
            + (f" (agreement {w.agreement})" if w.agreement else "")
            + f" [{w.source}]",
        ]
    elif f.status == "baselined":
        lines += [
            "",
            f"Baselined: already in the baseline report"
            f"{' ' + doc.baseline.path if doc.baseline else ''}; it does not fail the check.",
        ]
    return "\n".join(lines) + "\n"
