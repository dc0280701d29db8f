"""Metrics over a series of JSON reports: what a practice tracks over time.

``dualrel stats REPORT.json...`` reads reports written by ``dualrel check --format json``
of the same registry at different evaluation dates and tells, per period (month or ISO
week) and per escalation level: findings raised, findings resolved, findings open; how
long findings took from first seen to resolved (median and 90th percentile, in days);
the share resolved by their remediation due dates; waivers in force and expiring.

A finding is identified across reports by its fingerprint.  Reports are ordered by their
evaluation date (``generated_for.as_of``).  A finding is *raised* in the first report
that has it (findings of the first report count as raised in its period), and *resolved*
on the date of the first later report that no longer has it; if it comes back, that is a
new episode (counted in ``reopened``).  Times are therefore upper bounds, as fine as the
reports are frequent.  *Open* means reported and not waived (baselined findings are
open).  A finding's due date is the latest ``due`` of its remediation steps in the report
where its episode was first seen.  Waivers *in force* are those not expired on a
report's date (applied, or stale: matching no finding); *expiring* ones expire within
``expiring_days`` of it.

Nothing here carries names or free text from the registry or the waivers file: only
fingerprints, rule ids, person-free counts and dates.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal

from dualrel._internal.dates import as_of_out_of_range, days_out_of_range
from dualrel._version import __version__
from dualrel.errors import Problem
from dualrel.report.schema import ReportDocument, ReportFileError, load_report

__all__ = [
    "PERIODS",
    "STATS_FORMAT",
    "SeriesReport",
    "compute_stats",
    "load_series",
    "period_of",
    "quantile",
    "render_stats_text",
]

STATS_FORMAT = "dualrel.stats/1"
PERIODS = ("month", "week")
LEVELS = ("3", "2", "1")
Period = Literal["month", "week"]


def period_of(d: date, period: str) -> tuple[str, date, date]:
    """The label, first and last day of the period holding ``d``.

    >>> period_of(date(2026, 11, 26), "month")
    ('2026-11', datetime.date(2026, 11, 1), datetime.date(2026, 11, 30))
    >>> period_of(date(2026, 11, 26), "week")
    ('2026-W48', datetime.date(2026, 11, 23), datetime.date(2026, 11, 29))
    """
    if period == "week":
        year, week, weekday = d.isocalendar()
        start = d - timedelta(days=weekday - 1)
        return f"{year}-W{week:02d}", start, start + timedelta(days=6)
    start = d.replace(day=1)
    nxt = (start + timedelta(days=32)).replace(day=1)
    return f"{d.year}-{d.month:02d}", start, nxt - timedelta(days=1)


def quantile(values: Sequence[int], q: float) -> float | None:
    """Linear interpolation between closest ranks (``statistics.quantiles`` inclusive).

    >>> quantile([1, 2, 3, 4], 0.5), quantile([10], 0.9), quantile([0, 10], 0.9)
    (2.5, 10.0, 9.0)
    """
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return round(ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo), 1)


@dataclass(frozen=True, slots=True)
class _Seen:
    level: int
    status: str
    rule: str
    due: date | None


@dataclass(frozen=True, slots=True)
class SeriesReport:
    """What stats reads of one report: its date, findings and waivers (no free text)."""

    file: str
    as_of: date
    registry: str
    sha256: str
    findings: dict[str, _Seen]
    waivers: tuple[tuple[str, date, str | None, str | None], ...]  # status, expires, rule, fp


@dataclass(slots=True)
class _Episode:
    fingerprint: str
    level: int
    first_seen: date
    due: date | None
    resolved: date | None = None


def _from_document(file: str, doc: ReportDocument) -> SeriesReport:
    findings: dict[str, _Seen] = {}
    for f in doc.findings:
        due = max((s.due for s in f.remediation), default=None)
        findings[f.fingerprint] = _Seen(f.level, f.status, f"{f.ruleset.id}/{f.rule}", due)
    waivers = tuple(
        (w.status, w.waiver.expires, w.waiver.rule, w.waiver.fingerprint) for w in doc.waivers
    )
    reg = doc.generated_for.registry
    return SeriesReport(file, doc.generated_for.as_of, reg.path, reg.sha256, findings, waivers)


def load_series(paths: Iterable[str]) -> list[SeriesReport]:
    """Read every report (all problems of all files at once), ordered by evaluation date.

    Raises :class:`ReportFileError` with every problem, located by file and JSON pointer:
    unreadable or invalid reports, and two reports with the same evaluation date.
    """
    problems: list[Problem] = []
    reports: list[SeriesReport] = []
    for path in paths:
        try:
            reports.append(_from_document(path, load_report(path)))
        except ReportFileError as exc:
            problems.extend(exc.problems)
    seen: dict[date, int] = {}
    for i, r in enumerate(reports):
        far = as_of_out_of_range(r.as_of)
        if far is not None:  # its periods and horizons would leave the calendar
            problems.append(
                Problem(
                    file=r.file,
                    pointer="/generated_for/as_of",
                    code="out-of-range",
                    field="as_of",
                    message=far,
                )
            )
        first = seen.setdefault(r.as_of, i)
        other = reports[first].file
        if first != i:
            problems.append(
                Problem(
                    file=r.file,
                    pointer="/generated_for/as_of",
                    code="duplicate-as-of",
                    field="as_of",
                    message=f"evaluation date {r.as_of.isoformat()} is also that of {other}; "
                    "stats orders reports by evaluation date, so each needs its own",
                )
            )
    if problems:
        raise ReportFileError(problems)
    return sorted(reports, key=lambda r: r.as_of)


def _by_level(counts: dict[str, int]) -> dict[str, int]:
    return {lv: counts.get(lv, 0) for lv in LEVELS}


@dataclass(slots=True)
class _PeriodRow:
    label: str
    start: date
    end: date
    raised: dict[str, int] = field(default_factory=dict)
    resolved: dict[str, int] = field(default_factory=dict)
    open_at_end: dict[str, int] | None = None


def compute_stats(
    reports: Sequence[SeriesReport], *, period: str = "month", expiring_days: int = 30
) -> dict[str, Any]:
    """The metrics of a series of reports (ordered by date) as a ``dualrel.stats/1`` dict."""
    if period not in PERIODS:
        raise ValueError(f"period must be one of {PERIODS}, got {period!r}")
    far = days_out_of_range(expiring_days, "expiring_days")
    if far is not None or expiring_days < 0:
        raise ValueError(far or f"expiring_days must be 0 or more, got {expiring_days}")
    episodes: list[_Episode] = []
    current: dict[str, _Episode] = {}
    seen_before: set[str] = set()
    reopened = 0
    rows: list[dict[str, Any]] = []
    for r in reports:
        for fp, ep in list(current.items()):
            if fp not in r.findings:
                ep.resolved = r.as_of
                del current[fp]
        for fp, seen in r.findings.items():
            if fp not in current:
                if fp in seen_before:
                    reopened += 1
                ep = _Episode(fp, seen.level, r.as_of, seen.due)
                current[fp] = ep
                episodes.append(ep)
                seen_before.add(fp)
        rows.append(_report_row(r, expiring_days))
    periods = _periods(reports, episodes, rows, period)
    last = reports[-1] if reports else None
    return {
        "format": STATS_FORMAT,
        "generated_by": f"dualrel {__version__}",
        "period": period,
        "expiring_days": expiring_days,
        "reports": rows,
        "periods": periods,
        "findings": {
            "tracked": len(seen_before),
            "episodes": len(episodes),
            "reopened": reopened,
            "open": _open_now(last, current) if last else None,
        },
        "time_to_resolve_days": _times(episodes),
        "resolved_within_due": _within_due(episodes),
        "waivers": _waivers(last, expiring_days) if last else None,
    }


def _report_row(r: SeriesReport, expiring_days: int) -> dict[str, Any]:
    open_levels: dict[str, int] = {}
    waived = 0
    for seen in r.findings.values():
        if seen.status == "waived":
            waived += 1
        else:
            key = str(seen.level)
            open_levels[key] = open_levels.get(key, 0) + 1
    in_force, expiring = _waiver_counts(r, expiring_days)
    return {
        "file": r.file,
        "as_of": r.as_of.isoformat(),
        "registry": {"path": r.registry, "sha256": r.sha256},
        "findings": len(r.findings),
        "open": sum(open_levels.values()),
        "open_by_level": _by_level(open_levels),
        "waived": waived,
        "waivers_in_force": in_force,
        "waivers_expiring": expiring,
    }


def _waiver_counts(r: SeriesReport, expiring_days: int) -> tuple[int, int]:
    horizon = r.as_of + timedelta(days=expiring_days)
    in_force = [w for w in r.waivers if w[0] != "expired" and w[1] >= r.as_of]
    return len(in_force), sum(1 for w in in_force if w[1] <= horizon)


def _periods(
    reports: Sequence[SeriesReport],
    episodes: Sequence[_Episode],
    rows: Sequence[dict[str, Any]],
    period: str,
) -> list[dict[str, Any]]:
    if not reports:
        return []
    table: dict[str, _PeriodRow] = {}
    label, start, end = period_of(reports[0].as_of, period)
    last_label = period_of(reports[-1].as_of, period)[0]
    while True:
        table[label] = _PeriodRow(label, start, end)
        if label == last_label:
            break
        label, start, end = period_of(end + timedelta(days=1), period)
    for ep in episodes:
        lv = str(ep.level)
        raised = table[period_of(ep.first_seen, period)[0]].raised
        raised[lv] = raised.get(lv, 0) + 1
        if ep.resolved is not None:
            resolved = table[period_of(ep.resolved, period)[0]].resolved
            resolved[lv] = resolved.get(lv, 0) + 1
    for row in rows:  # in date order: the last report of a period wins
        table[period_of(date.fromisoformat(row["as_of"]), period)[0]].open_at_end = row[
            "open_by_level"
        ]
    out = []
    for p in table.values():
        out.append(
            {
                "period": p.label,
                "start": p.start.isoformat(),
                "end": p.end.isoformat(),
                "raised": {"total": sum(p.raised.values()), "by_level": _by_level(p.raised)},
                "resolved": {
                    "total": sum(p.resolved.values()),
                    "by_level": _by_level(p.resolved),
                },
                "open_at_end": (
                    None
                    if p.open_at_end is None
                    else {"total": sum(p.open_at_end.values()), "by_level": p.open_at_end}
                ),
            }
        )
    return out


def _open_now(last: SeriesReport, current: dict[str, _Episode]) -> dict[str, Any]:
    levels: dict[str, int] = {}
    overdue = 0
    for fp, seen in last.findings.items():
        if seen.status == "waived":
            continue
        key = str(seen.level)
        levels[key] = levels.get(key, 0) + 1
        due = current[fp].due
        if due is not None and due < last.as_of:
            overdue += 1
    return {
        "as_of": last.as_of.isoformat(),
        "total": sum(levels.values()),
        "by_level": _by_level(levels),
        "past_due": overdue,
    }


def _summary(days: Sequence[int]) -> dict[str, Any]:
    return {
        "resolved": len(days),
        "median": quantile(days, 0.5),
        "p90": quantile(days, 0.9),
    }


def _times(episodes: Sequence[_Episode]) -> dict[str, Any]:
    days: dict[str, list[int]] = {lv: [] for lv in LEVELS}
    for e in episodes:
        if e.resolved is not None:
            days[str(e.level)].append((e.resolved - e.first_seen).days)
    return {
        "all": _summary([d for lv in LEVELS for d in days[lv]]),
        "by_level": {lv: _summary(days[lv]) for lv in LEVELS},
    }


def _share(episodes: Sequence[_Episode]) -> dict[str, Any]:
    within = counted = 0
    for e in episodes:
        if e.due is not None and e.resolved is not None:
            counted += 1
            within += e.resolved <= e.due
    return {
        "resolved": counted,
        "within_due": within,
        "share": round(within / counted, 4) if counted else None,
    }


def _within_due(episodes: Sequence[_Episode]) -> dict[str, Any]:
    return {
        "all": _share(episodes),
        "by_level": {lv: _share([e for e in episodes if str(e.level) == lv]) for lv in LEVELS},
    }


def _waivers(last: SeriesReport, expiring_days: int) -> dict[str, Any]:
    horizon = last.as_of + timedelta(days=expiring_days)
    in_force = sorted(
        (w for w in last.waivers if w[0] != "expired" and w[1] >= last.as_of),
        key=lambda w: (w[1], w[2] or "", w[3] or ""),
    )
    expiring = [w for w in in_force if w[1] <= horizon]
    return {
        "as_of": last.as_of.isoformat(),
        "in_force": len(in_force),
        "expiring": len(expiring),
        "expired": sum(1 for w in last.waivers if w[0] == "expired"),
        "expiring_waivers": [
            {
                "status": status,
                "expires": expires.isoformat(),
                "days_left": (expires - last.as_of).days,
                "rule": rule,
                "fingerprint": fp,
            }
            for status, expires, rule, fp in expiring
        ],
    }


# -- text ---------------------------------------------------------------------------------


def _pct(share: float | None) -> str:
    return "-" if share is None else f"{share * 100:.0f}%"


def _num(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:g}"


def render_stats_text(stats: dict[str, Any]) -> str:
    """The metrics as plain text (ids, dates and counts only)."""
    out: list[str] = []
    w = out.append
    reports = stats["reports"]
    period = stats["period"]
    if not reports:
        return "no reports\n"
    w(
        f"dualrel stats: {len(reports)} report(s) from {reports[0]['as_of']} to "
        f"{reports[-1]['as_of']}, by {period}"
    )
    w("")
    w(f"findings per {period} (raised, resolved; open at the last report of the {period})")
    w(f"  {period:<9} raised  L3  L2  L1  resolved  open  L3  L2  L1")
    for p in stats["periods"]:
        r, s, o = p["raised"], p["resolved"], p["open_at_end"]
        opened = (
            f"{o['total']:>4}  " + "  ".join(f"{o['by_level'][lv]:>2}" for lv in LEVELS)
            if o
            else f"{'-':>4}"
        )
        w(
            f"  {p['period']:<9} {r['total']:>6}  "
            + "  ".join(f"{r['by_level'][lv]:>2}" for lv in LEVELS)
            + f"  {s['total']:>8}  {opened}"
        )
    f = stats["findings"]
    now = f["open"]
    w("")
    w(
        f"open findings on {now['as_of']}: {now['total']} (level 3: {now['by_level']['3']}, "
        f"level 2: {now['by_level']['2']}, level 1: {now['by_level']['1']}); "
        f"{now['past_due']} past their remediation due date"
    )
    w(f"findings tracked: {f['tracked']} ({f['episodes']} episode(s), {f['reopened']} reopened)")
    w("")
    w("days from first seen to resolved")
    w("  level  resolved  median   p90")
    t = stats["time_to_resolve_days"]
    for name, row in (*((lv, t["by_level"][lv]) for lv in LEVELS), ("all", t["all"])):
        w(f"  {name:<5}  {row['resolved']:>8}  {_num(row['median']):>6}  {_num(row['p90']):>4}")
    w("")
    d = stats["resolved_within_due"]
    w("resolved by the remediation due date")
    for name, row in (*((lv, d["by_level"][lv]) for lv in LEVELS), ("all", d["all"])):
        w(f"  {name:<5}  {row['within_due']:>3} of {row['resolved']:<3}  {_pct(row['share'])}")
    wv = stats["waivers"]
    w("")
    w(
        f"waivers on {wv['as_of']}: {wv['in_force']} in force, {wv['expiring']} expiring "
        f"within {stats['expiring_days']} days, {wv['expired']} expired"
    )
    for e in wv["expiring_waivers"]:
        target = e["fingerprint"] or e["rule"] or ""
        w(f"  {e['expires']}  {e['days_left']:>3} day(s)  {e['status']:<7}  {target}")
    return "\n".join(out) + "\n"
