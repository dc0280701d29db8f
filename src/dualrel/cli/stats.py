"""``dualrel stats``: metrics over a series of JSON reports, as text, JSON or a chart.

The metrics and the chart are :mod:`dualrel.stats`; this module parses, calls and writes.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from collections.abc import Callable
from datetime import date
from typing import Any

from dualrel._internal.dates import MAX_DAYS
from dualrel._internal.terminal import PrintableStream
from dualrel.cli._shared import EXIT_INPUT, EXIT_OK, Subparsers, emit, guarded, iso_date_arg
from dualrel.cli.register import DEFAULT_PATH_HELP, DEFAULT_REGISTER, open_cli_register
from dualrel.errors import InvalidArgument
from dualrel.stats import PERIODS, compute_stats, load_series, render_stats_text, stats_chart_svg

__all__ = ["add_command"]


def _days(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= MAX_DAYS:
        raise argparse.ArgumentTypeError(
            f"expected a whole number of days from 0 to {MAX_DAYS}, got {text!r}"
        )
    return value


def add_command(sub: Subparsers) -> None:
    p = sub.add_parser(
        "stats",
        help="metrics over a series of JSON reports: raised, open, time to resolve, waivers",
        description=textwrap.fill(
            "Read JSON reports (dualrel check --format json) of the same registry at "
            "different evaluation dates and print what a practice tracks: findings raised "
            "and resolved per period and level, open findings, days from first seen to "
            "resolved (median, p90) per level, the share resolved by the remediation due "
            "dates, waivers in force and expiring. A finding is followed by its "
            "fingerprint; it is resolved on the date of the first later report without it. "
            "Only ids, rule ids, dates and counts are printed. With --register the metrics "
            "come from a register instead (dualrel check --register): findings flagged, "
            "resolved and escalated per period and level, open findings, time to "
            "resolution, the share resolved by the due date, overdue steps by assignee.",
            width=88,
        ),
        epilog="exit codes:\n"
        f"  {EXIT_OK}  the metrics were printed (and written)\n"
        f"  {EXIT_INPUT}  unreadable or invalid report, two reports with the same evaluation "
        "date, bad option\n",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("reports", metavar="REPORT.json", nargs="*", help="JSON reports, any order")
    p.add_argument(
        "--register",
        nargs="?",
        const=DEFAULT_REGISTER,
        metavar="URL",
        help="compute the metrics from a register instead of reports (without URL: "
        f"{DEFAULT_PATH_HELP}; docs/register.md)",
    )
    p.add_argument(
        "--as-of",
        type=iso_date_arg,
        metavar="DATE",
        help="with --register: the date of open findings and overdue steps (default today)",
    )
    p.add_argument(
        "--period", choices=PERIODS, default="month", help="group by month (default) or week"
    )
    p.add_argument(
        "--expiring-days",
        type=_days,
        default=30,
        metavar="DAYS",
        help="a waiver is expiring when it ends within DAYS of the last report (default 30)",
    )
    p.add_argument("-o", "--output", metavar="FILE", help="write the metrics as JSON to FILE")
    p.add_argument("--chart", metavar="FILE.svg", help="write an SVG chart of the periods")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.set_defaults(handler=guarded(_stats, records=True))


def _stats(args: argparse.Namespace) -> int:

    if args.register is not None:
        if args.reports:
            raise InvalidArgument("give JSON reports or --register, not both")
        from dualrel.register import render_metrics_text  # noqa: PLC0415 (SQLAlchemy on use)

        with open_cli_register(args.register) as reg:
            stats = reg.metrics(as_of=args.as_of or date.today(), period=args.period)
        render: Callable[[dict[str, Any]], str] = render_metrics_text
    else:
        if not args.reports:
            raise InvalidArgument("give JSON reports (dualrel check --format json) or --register")
        series = load_series(args.reports)
        stats = compute_stats(series, period=args.period, expiring_days=args.expiring_days)
        render = render_stats_text
    as_json = json.dumps(stats, indent=2) + "\n"
    chart = stats_chart_svg(stats) if args.chart is not None else None
    if args.output is not None:
        emit(as_json, args.output)
    if chart is not None:
        emit(chart, args.chart)
    PrintableStream(sys.stdout).write(as_json if args.json else render(stats))
    return EXIT_OK
