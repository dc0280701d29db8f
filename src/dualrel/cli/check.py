"""``dualrel check``: check a registry against rulesets and report the findings.

The check itself is :func:`dualrel.check.check_for_exit`; this module parses its options,
renders the result in the chosen format and writes it.
"""

from __future__ import annotations

import argparse
import os
import sys
import textwrap
from datetime import date

from dualrel._internal.dates import as_of_out_of_range, iso_date
from dualrel._internal.gc import gc_paused
from dualrel._internal.timing import Stopwatch, timings_line
from dualrel.check import DEFAULT_RULESET, CheckOptions, check_for_exit
from dualrel.cli._shared import (
    EXIT_FINDINGS,
    EXIT_INPUT,
    EXIT_OK,
    Subparsers,
    add_extends_from,
    emit,
    guarded,
    print_problems,
)
from dualrel.cli.progress import Progress
from dualrel.errors import Problem
from dualrel.report import FORMATS, KEY_ENV, render

__all__ = ["CHECK_EXIT_CODES_HELP", "add_command"]

CHECK_EXIT_CODES_HELP = f"""\
exit codes:
  {EXIT_OK}  no open finding at or above the fail level (default 1), once waivers and the
     baseline are applied
  {EXIT_FINDINGS}  open findings at or above the fail level
  {EXIT_INPUT}  bad input or usage: unknown format or option, unreadable file, invalid registry,
     ruleset, waivers file or baseline report; every problem is printed to stderr as
     FILE:LINE: CODE: MESSAGE
"""


def _iso_date(text: str) -> date:
    value = iso_date(text)
    if value is None:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {text!r}")
    far = as_of_out_of_range(value)
    if far is not None:
        raise argparse.ArgumentTypeError(far)
    return value


def add_command(sub: Subparsers) -> None:

    formats = "\n".join(f"  {name:<9} {fmt.help}" for name, fmt in FORMATS.items())
    p = sub.add_parser(
        "check",
        help="check a registry against rulesets and report the findings",
        description=textwrap.fill(
            "Evaluate rulesets over a registry and report every finding: who, why, how "
            "serious, who must act and by when. Names never appear unless --reveal; the shared "
            "formats (sarif, junit, markdown, html) show people as pseudonyms keyed by "
            f"{KEY_ENV} (a random key per run when unset).",
            width=88,
        ),
        epilog=f"formats:\n{formats}\n\n{CHECK_EXIT_CODES_HELP}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("registry", metavar="REGISTRY", help="registry file or CSV folder")
    p.add_argument(
        "-r",
        "--ruleset",
        metavar="RULESET",
        action="append",
        default=[],
        help="shipped ruleset name or path (repeatable; default coaching-core)",
    )
    add_extends_from(p)
    p.add_argument("--as-of", type=_iso_date, metavar="DATE", help="evaluation date YYYY-MM-DD")
    p.add_argument(
        "--format",
        "-f",
        choices=list(FORMATS),
        default="text",
        metavar="FMT",
        help=f"output format: {', '.join(FORMATS)} (default text)",
    )
    p.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="write the report to FILE (atomically; - is standard output)",
    )
    p.add_argument(
        "--fail-level",
        type=int,
        choices=(1, 2, 3),
        default=1,
        help="lowest level of open finding that fails the check (default 1)",
    )
    p.add_argument("--waivers", metavar="FILE", help="YAML waivers file")
    p.add_argument("--baseline", metavar="REPORT.json", help="earlier JSON report to compare with")
    p.add_argument(
        "--reveal", action="store_true", help="show names and real ids in every format (sensitive!)"
    )
    p.add_argument(
        "-j",
        "--jobs",
        type=_positive_int,
        default=1,
        metavar="N",
        help="evaluate partitions in N worker processes (default 1; same findings)",
    )
    p.add_argument(
        "--timings",
        action="store_true",
        help="print the seconds each stage took to stderr, as one JSON line",
    )
    p.set_defaults(handler=guarded(_check, records=True))


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _check(args: argparse.Namespace) -> int:

    progress = Progress(sys.stderr)
    timings: dict[str, float] = {}
    warnings: list[Problem] = []
    options = CheckOptions(
        as_of=args.as_of,
        waivers=args.waivers,
        baseline=args.baseline,
        fail_level=args.fail_level,
        reveal=args.reveal,
        progress=progress,
        jobs=args.jobs,
        timings=timings,
        warnings=warnings,
        extends_from=args.extends_from,
    )
    try:
        result = check_for_exit(args.registry, args.ruleset or [DEFAULT_RULESET], options)
    finally:
        progress.close()
    print_problems(warnings, tally=False)
    colour = args.output is None and sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    watch = Stopwatch(timings)
    with gc_paused():
        text = render(result, args.format, reveal=args.reveal, colour=colour)
    emit(text, args.output)
    watch.lap("report")
    if args.timings:
        sys.stderr.write(timings_line(timings))
    if args.output not in (None, "-"):  # standard output already holds the report
        failing = len(result.failing())
        sys.stderr.write(
            f"dualrel: wrote {args.output} ({len(result.findings)} finding(s), {failing} open "
            f"at or above level {result.fail_level})\n"
        )
    return result.exit_code()
