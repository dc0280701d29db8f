"""What a practice tracks, computed from the register (private): ``dualrel stats
--register`` and the dashboard.

Per period (month or ISO week) and level: findings flagged (opened or reopened),
resolved and escalated, and open at the period's end; now: open findings by level and
status, overdue steps by assignee; over all episodes: days from opened to resolved
(median, p90) per level and the share resolved by the latest due date of their steps.
A finding's level is the one it had when the change was recorded. Counts, dates, codes
and person ids only.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from dualrel.register._model import CLOSED_STATUSES
from dualrel.register._read import list_findings
from dualrel.register._tables import events
from dualrel.stats import period_of, quantile

__all__ = ["REGISTER_STATS_FORMAT", "compute_metrics", "render_metrics_text"]

REGISTER_STATS_FORMAT = "dualrel.register-stats/1"
LEVELS = ("3", "2", "1")
UNASSIGNED = "(unassigned)"


def _levels(counts: Counter[str]) -> dict[str, int]:
    return {lv: counts.get(lv, 0) for lv in LEVELS}


def _summary(days: list[int]) -> dict[str, Any]:
    return {"resolved": len(days), "median": quantile(days, 0.5), "p90": quantile(days, 0.9)}


def compute_metrics(conn: Any, *, period: str, as_of: date) -> dict[str, Any]:
    """The metrics of the register read through ``conn``, as a JSON-ready dict."""
    rows = list(
        conn.execute(
            select(
                events.c.fingerprint,
                events.c.kind,
                events.c.on_date,
                events.c.to_status,
                events.c.level,
                events.c.due,
            )
            .where(events.c.on_date <= as_of)
            .order_by(events.c.on_date, events.c.id)
        )
    )
    flagged: dict[str, Counter[str]] = defaultdict(Counter)
    resolved: dict[str, Counter[str]] = defaultdict(Counter)
    escalated: dict[str, Counter[str]] = defaultdict(Counter)
    open_at_end: dict[str, Counter[str]] = {}
    started: dict[str, date] = {}
    days: dict[str, list[int]] = {lv: [] for lv in LEVELS}
    by_due: dict[str, list[bool]] = {lv: [] for lv in LEVELS}
    state: dict[str, tuple[str, str]] = {}  # fingerprint: (status, level)
    labels: list[tuple[str, date, date]] = []
    if rows:
        label, start, end = period_of(rows[0].on_date, period)
        last = period_of(as_of, period)[0]
        while True:
            labels.append((label, start, end))
            if label == last:
                break
            label, start, end = period_of(end + timedelta(days=1), period)
    at = 0
    for label, _start, end in labels:
        while at < len(rows) and rows[at].on_date <= end:
            r = rows[at]
            at += 1
            lv = str(r.level)
            if r.kind in ("opened", "reopened"):
                flagged[label][lv] += 1
                started[r.fingerprint] = r.on_date
            elif r.kind == "resolved":
                resolved[label][lv] += 1
                since = started.pop(r.fingerprint, None)
                if since is not None:
                    days[lv].append((r.on_date - since).days)
                    if r.due is not None:
                        by_due[lv].append(r.on_date <= r.due)
            elif r.kind == "escalated":
                escalated[label][lv] += 1
            if r.to_status is not None:
                state[r.fingerprint] = (r.to_status, lv)
        open_at_end[label] = Counter(
            lv for status, lv in state.values() if status not in CLOSED_STATUSES
        )
    periods = [
        {
            "period": label,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "raised": {"total": sum(flagged[label].values()), "by_level": _levels(flagged[label])},
            "resolved": {
                "total": sum(resolved[label].values()),
                "by_level": _levels(resolved[label]),
            },
            "escalated": {
                "total": sum(escalated[label].values()),
                "by_level": _levels(escalated[label]),
            },
            "open_at_end": {
                "total": sum(open_at_end[label].values()),
                "by_level": _levels(open_at_end[label]),
            },
        }
        for label, start, end in labels
    ]
    current = list_findings(conn)
    open_now = [f for f in current if not f.is_closed]
    overdue: Counter[str] = Counter()
    for f in open_now:
        for s in f.overdue_steps(as_of):
            overdue[s.assignee or UNASSIGNED] += 1
    escalations = Counter(str(r.level) for r in rows if r.kind == "escalated")
    return {
        "format": REGISTER_STATS_FORMAT,
        "as_of": as_of.isoformat(),
        "period": period,
        "periods": periods,
        "open": {
            "total": len(open_now),
            "by_level": _levels(Counter(str(f.level) for f in open_now)),
            "by_status": dict(sorted(Counter(f.status for f in open_now).items())),
        },
        "time_to_resolution": {
            "all": _summary([d for lv in LEVELS for d in days[lv]]),
            "by_level": {lv: _summary(days[lv]) for lv in LEVELS},
        },
        "resolved_by_due": {
            lv: {
                "resolved": len(by_due[lv]),
                "by_due": sum(by_due[lv]),
                "share": round(sum(by_due[lv]) / len(by_due[lv]), 3) if by_due[lv] else None,
            }
            for lv in LEVELS
        },
        "escalations": {"total": sum(escalations.values()), "to_level": _levels(escalations)},
        "overdue_steps": {
            "total": sum(overdue.values()),
            "by_assignee": dict(sorted(overdue.items(), key=lambda kv: (-kv[1], kv[0]))),
        },
    }


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def render_metrics_text(m: dict[str, Any]) -> str:
    """The metrics as plain text (counts, dates, rule and person ids only)."""
    out = [f"dualrel register stats as of {m['as_of']} (per {m['period']})", ""]
    out.append(f"{'period':<10} {'flagged':>8} {'resolved':>9} {'escalated':>10} {'open':>6}")
    for p in m["periods"]:
        out.append(
            f"{p['period']:<10} {p['raised']['total']:>8} {p['resolved']['total']:>9} "
            f"{p['escalated']['total']:>10} {p['open_at_end']['total']:>6}"
        )
    lv = m["open"]["by_level"]
    out += [
        "",
        f"open now: {m['open']['total']} (level 3: {lv['3']}, level 2: {lv['2']}, "
        f"level 1: {lv['1']})",
        "time to resolution, days (median / p90):",
    ]
    for level, t in m["time_to_resolution"]["by_level"].items():
        out.append(f"  level {level}: {_num(t['median'])} / {_num(t['p90'])} ({t['resolved']})")
    out.append("resolved by the due date:")
    for level, s in m["resolved_by_due"].items():
        share = "-" if s["share"] is None else f"{s['share']:.0%}"
        out.append(f"  level {level}: {share} ({s['by_due']} of {s['resolved']})")
    esc = m["escalations"]
    out.append(
        f"escalations: {esc['total']} (to level 2: {esc['to_level']['2']}, "
        f"to level 3: {esc['to_level']['3']})"
    )
    out.append(f"overdue steps: {m['overdue_steps']['total']}")
    for who, n in m["overdue_steps"]["by_assignee"].items():
        out.append(f"  {who}: {n}")
    return "\n".join(out) + "\n"
