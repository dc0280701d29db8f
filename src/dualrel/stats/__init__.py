"""Report history: metrics over a series of JSON reports, and their chart.

Not an output format of a check: ``dualrel stats`` reads reports that ``dualrel check
--format json`` wrote at different evaluation dates.  :mod:`dualrel.stats.metrics`
computes what a practice tracks (raised, resolved, open, time to resolve, waivers) and
prints it; :mod:`dualrel.stats.chart` draws it as SVG.
"""

from __future__ import annotations

from dualrel.stats.chart import stats_chart_svg
from dualrel.stats.metrics import (
    PERIODS,
    STATS_FORMAT,
    SeriesReport,
    compute_stats,
    load_series,
    period_of,
    quantile,
    render_stats_text,
)

__all__ = [
    "PERIODS",
    "STATS_FORMAT",
    "SeriesReport",
    "compute_stats",
    "load_series",
    "period_of",
    "quantile",
    "render_stats_text",
    "stats_chart_svg",
]
