"""The register dashboard: one self-contained HTML page for a committee.

``dualrel register report --format html``. Open findings by level and age, overdue steps
by assignee, escalations, and the metrics of :meth:`Register.metrics` with their chart
over time. Rendered from the Jinja2 template ``report/templates/register.html.j2`` with
autoescaping, so a practice can brand or translate it; no network: styles, the chart
(inline SVG) and the small filter script are in the page. Ids, fingerprints, codes,
dates and counts only: no names and no notes.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date
from importlib import resources
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from dualrel._version import __version__
from dualrel.register._register import Register
from dualrel.stats import stats_chart_svg

__all__ = ["AGE_BANDS", "LISTED", "TEMPLATE", "dashboard_data", "render_dashboard"]

#: How many open findings the page lists (highest level, then oldest, first); the
#: counts above the list cover them all, and ``dualrel register list`` gives the rest.
LISTED = 1000

#: The template's file name in ``dualrel/report/templates``.
TEMPLATE = "register.html.j2"

#: Age bands of open findings, in days since their episode opened: (label, up to).
AGE_BANDS: tuple[tuple[str, int | None], ...] = (
    ("0-7 days", 7),
    ("8-30 days", 30),
    ("31-90 days", 90),
    ("over 90 days", None),
)


def _band(days: int) -> str:
    for label, top in AGE_BANDS:
        if top is None or days <= top:
            return label
    raise AssertionError("the last band has no top")


def dashboard_data(
    reg: Register, *, as_of: date, period: str = "month", listed: int = LISTED
) -> dict[str, Any]:
    """What the page shows, as plain data (the template's context)."""
    metrics = reg.metrics(as_of=as_of, period=period)
    found = [f for f in reg.findings() if not f.is_closed]
    ages: dict[int, Counter[str]] = defaultdict(Counter)
    overdue: dict[str, list[tuple[str, int, date]]] = defaultdict(list)
    rows: list[dict[str, Any]] = []
    for f in found:
        age = (as_of - f.opened_on).days
        ages[f.level][_band(age)] += 1
        late = f.overdue_steps(as_of)
        for s in late:
            overdue[s.assignee or "(unassigned)"].append((f.fingerprint, s.step, s.due))
        rows.append(
            {
                "fingerprint": f.fingerprint,
                "level": f.level,
                "status": f.status,
                "rule": f.qualified_rule,
                "opened_on": f.opened_on.isoformat(),
                "age": age,
                "overdue": len(late),
                "assignees": sorted({s.assignee for s in f.steps if s.assignee}),
            }
        )
    escalations = [
        {
            "on": e.on.isoformat(),
            "fingerprint": e.fingerprint,
            "to_level": e.level,
            "by": e.by,
            "reason": e.detail or "",
        }
        for e in reversed(reg.events("escalated"))
    ]
    runs = reg.runs()
    chart = stats_chart_svg(metrics).split("?>", 1)[-1].strip() if metrics["periods"] else ""
    return {
        "version": __version__,
        "as_of": as_of.isoformat(),
        "runs": len(runs),
        "last_run": runs[-1].as_of.isoformat() if runs else None,
        "bands": [label for label, _ in AGE_BANDS],
        "by_level_age": [
            {
                "level": lv,
                "bands": [ages[lv].get(label, 0) for label, _ in AGE_BANDS],
                "total": sum(ages[lv].values()),
            }
            for lv in (3, 2, 1)
        ],
        "overdue": [
            {
                "assignee": who,
                "steps": len(items),
                "oldest_due": min(d for _, _, d in items).isoformat(),
            }
            for who, items in sorted(overdue.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        ],
        "escalations": escalations,
        "metrics": metrics,
        # made by stats_chart_svg, which escapes every text it writes
        "chart": Markup(chart),
        "findings": sorted(rows, key=lambda r: (-r["level"], -r["age"], r["fingerprint"]))[:listed],
        "findings_total": len(rows),
        "assignees": sorted({a for r in rows for a in r["assignees"]}),
    }


def _environment() -> Environment:
    folder = resources.files("dualrel") / "report" / "templates"
    return Environment(
        loader=FileSystemLoader(str(folder)),
        autoescape=select_autoescape(enabled_extensions=("j2", "html"), default=True),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_dashboard(
    reg: Register, *, as_of: date, period: str = "month", listed: int = LISTED
) -> str:
    """The dashboard page of the register on ``as_of`` (listing ``listed`` findings)."""
    template = _environment().get_template(TEMPLATE)
    return template.render(**dashboard_data(reg, as_of=as_of, period=period, listed=listed))
