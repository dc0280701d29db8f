"""The subcommands of ``dualrel`` about checking: check, rulesets, lint, explain, stats,
schema, demo.

Each builder adds its parser to the subcommands of :mod:`dualrel.cli` and sets the handler
that returns the exit code.  The work itself lives in :mod:`dualrel.check` and
:mod:`dualrel.report`; handlers only parse, call and print.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import textwrap
import time
from collections.abc import Callable, Sequence
from datetime import date
from importlib import resources
from typing import Any

from dualrel import example_registry
from dualrel._internal.atomic import write_atomic
from dualrel.check import DEFAULT_RULESET, check_for_exit, run_check
from dualrel.errors import DualrelError, Problem, RulesetError
from dualrel.graph._gc import gc_paused
from dualrel.report import FORMATS, KEY_ENV, render
from dualrel.report.explain import explain, find_finding
from dualrel.report.progress import Progress
from dualrel.report.schema import load_report, report_json_schema
from dualrel.rules import compile_ruleset, load_ruleset, shipped_rulesets
from dualrel.rules.schema import RulesetFile
from dualrel.stats import PERIODS, compute_stats, load_series, render_stats_text, stats_chart_svg

__all__ = ["CHECK_EXIT_CODES_HELP", "COMMANDS"]

Subparsers = Any

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT = 0, 1, 2

CHECK_EXIT_CODES_HELP = """\
exit codes:
  0  no open finding at or above the fail level (default 1), once waivers and the
     baseline are applied
  1  open findings at or above the fail level
  2  bad input or usage: unknown format or option, unreadable file, invalid registry,
     ruleset, waivers file or baseline report; every problem is printed to stderr as
     FILE:LINE: CODE: MESSAGE
"""


def _print_problems(problems: Sequence[Problem]) -> None:
    errors = 0
    for p in problems:
        prefix = "warning: " if p.severity == "warning" else ""
        record = f" [{p.record}]" if p.record and p.record not in p.message else ""
        sys.stderr.write(f"{prefix}{p}{record}\n")
        errors += p.severity == "error"
    sys.stderr.write(f"dualrel: {errors} problem(s) found\n")


def _guarded(handler: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Turn located input errors into exit 2 with every problem on stderr."""

    def run(args: argparse.Namespace) -> int:
        try:
            return handler(args)
        except DualrelError as exc:
            problems = getattr(exc, "problems", None)
            if problems:
                _print_problems(problems)
            else:
                sys.stderr.write(f"dualrel: error: {exc}\n")
            return EXIT_INPUT
        except OSError as exc:
            where = f"{exc.filename}: " if exc.filename else ""
            sys.stderr.write(f"dualrel: error: {where}{exc.strerror or exc}\n")
            return EXIT_INPUT

    return run


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {text!r}") from None


def _emit(text: str, output: str | None) -> None:
    """Write ``text`` to ``output`` atomically; ``None`` or ``-`` means standard output."""
    if output is None or output == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        write_atomic(output, text)


# -- check -------------------------------------------------------------------------------


def _add_check(sub: Subparsers) -> None:

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
    p.set_defaults(handler=_guarded(_check))


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
    try:
        result = check_for_exit(
            args.registry,
            args.ruleset or [DEFAULT_RULESET],
            as_of=args.as_of,
            waivers=args.waivers,
            baseline=args.baseline,
            fail_level=args.fail_level,
            reveal=args.reveal,
            progress=progress,
            jobs=args.jobs,
            timings=timings,
        )
    finally:
        progress.close()
    colour = args.output is None and sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    started = time.perf_counter()
    with gc_paused():
        text = render(result, args.format, reveal=args.reveal, colour=colour)
    _emit(text, args.output)
    timings["report"] = time.perf_counter() - started
    if args.timings:
        sys.stderr.write(json.dumps({k: round(v, 4) for k, v in timings.items()}) + "\n")
    if args.output is not None:
        failing = len(result.failing())
        sys.stderr.write(
            f"dualrel: wrote {args.output} ({len(result.findings)} finding(s), {failing} open "
            f"at or above level {result.fail_level})\n"
        )
    return result.exit_code()


# -- rulesets ----------------------------------------------------------------------------


def _add_rulesets(sub: Subparsers) -> None:
    p = sub.add_parser(
        "rulesets",
        help="list the shipped rulesets",
        description="List the rulesets shipped with dualrel: name, version, rule count, title.",
    )
    p.add_argument("--json", action="store_true", help="print the list as JSON")
    p.set_defaults(handler=_guarded(_rulesets))


def _rulesets(args: argparse.Namespace) -> int:
    rows: list[dict[str, Any]] = []
    for name in shipped_rulesets():
        rs = load_ruleset(name)
        rows.append(
            {
                "name": name,
                "id": rs.id,
                "version": rs.version,
                "rules": len(rs.rules),
                "extends": list(rs.extends),
                "title": rs.title,
            }
        )
    if args.json:
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return EXIT_OK
    width = max((len(str(r["name"])) for r in rows), default=4)
    sys.stdout.write(f"{'NAME':<{width}}  {'VERSION':<8}  RULES  TITLE\n")
    for r in rows:
        sys.stdout.write(
            f"{r['name']:<{width}}  {r['version']:<8}  {r['rules']:>5}  {r['title']}\n"
        )
    return EXIT_OK


# -- lint --------------------------------------------------------------------------------


def _add_lint(sub: Subparsers) -> None:
    p = sub.add_parser(
        "lint",
        help="check rulesets and print every problem (file:line)",
        description="Load, compose and compile rulesets (shipped names or paths) and print "
        "every problem found, as FILE:LINE: CODE: MESSAGE [RULE].",
        epilog="exit codes:\n  0  every ruleset is valid\n  2  problems found, or a file "
        "cannot be read\n",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("rulesets", metavar="RULESET", nargs="+", help="shipped name or path")
    p.set_defaults(handler=_guarded(_lint))


def _lint(args: argparse.Namespace) -> int:

    problems: list[Problem] = []
    ok: list[str] = []
    for ref in args.rulesets:
        try:
            rs = load_ruleset(ref)
            compile_ruleset(rs)
        except RulesetError as exc:
            problems.extend(exc.problems)
            continue
        ok.append(f"{ref}: ok ({rs.id} {rs.version}, {len(rs.rules)} rules)")
    for line in ok:
        sys.stdout.write(line + "\n")
    if problems:
        _print_problems(problems)
        return EXIT_INPUT
    return EXIT_OK


# -- explain -----------------------------------------------------------------------------


def _add_explain(sub: Subparsers) -> None:
    p = sub.add_parser(
        "explain",
        help="tell one finding of a JSON report in plain words",
        description="Read a report written by `dualrel check --format json` and tell one "
        "finding in plain words: the rule, the people, each tie of the evidence with its "
        "dates, why it matters, and what to do by when and who. FINGERPRINT may be a "
        "unique prefix (at least 6 characters).",
        epilog="exit codes:\n  0  the finding was explained\n  2  unreadable or invalid "
        "report, or no (unique) finding with that fingerprint\n",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("report", metavar="REPORT.json")
    p.add_argument("fingerprint", metavar="FINGERPRINT")
    p.set_defaults(handler=_guarded(_explain))


def _explain(args: argparse.Namespace) -> int:

    doc = load_report(args.report)
    finding = find_finding(doc, args.fingerprint, file=args.report)
    sys.stdout.write(explain(doc, finding))
    return EXIT_OK


# -- stats -------------------------------------------------------------------------------


def _non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number of days >= 0, got {text!r}")
    return value


def _add_stats(sub: Subparsers) -> None:
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
            "Only ids, rule ids, dates and counts are printed.",
            width=88,
        ),
        epilog="exit codes:\n  0  the metrics were printed (and written)\n  2  unreadable or "
        "invalid report, two reports with the same evaluation date, bad option\n",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("reports", metavar="REPORT.json", nargs="+", help="JSON reports, any order")
    p.add_argument(
        "--period", choices=PERIODS, default="month", help="group by month (default) or week"
    )
    p.add_argument(
        "--expiring-days",
        type=_non_negative,
        default=30,
        metavar="DAYS",
        help="a waiver is expiring when it ends within DAYS of the last report (default 30)",
    )
    p.add_argument("-o", "--output", metavar="FILE", help="write the metrics as JSON to FILE")
    p.add_argument("--chart", metavar="FILE.svg", help="write an SVG chart of the periods")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.set_defaults(handler=_guarded(_stats))


def _stats(args: argparse.Namespace) -> int:

    series = load_series(args.reports)
    stats = compute_stats(series, period=args.period, expiring_days=args.expiring_days)
    as_json = json.dumps(stats, indent=2) + "\n"
    chart = stats_chart_svg(stats) if args.chart is not None else None
    if args.output is not None:
        _emit(as_json, args.output)
    if chart is not None:
        _emit(chart, args.chart)
    sys.stdout.write(as_json if args.json else render_stats_text(stats))
    return EXIT_OK


# -- schema ------------------------------------------------------------------------------

SCHEMAS = ("registry", "ruleset", "report", "stats")


def schema(name: str) -> dict[str, Any]:
    """The JSON Schema of a ``registry``, a ``ruleset`` file, a ``report`` or ``stats``."""
    if name in ("registry", "stats"):
        text = (resources.files("dualrel") / "schemas" / f"{name}.schema.json").read_text("utf-8")
        data: dict[str, Any] = json.loads(text)
        return data
    if name == "ruleset":
        data = RulesetFile.model_json_schema()
        data["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        return data
    if name == "report":
        return report_json_schema()
    raise KeyError(name)


def _add_schema(sub: Subparsers) -> None:
    p = sub.add_parser(
        "schema",
        help="print the JSON Schema of a registry, ruleset, report or stats export",
        description="Print a JSON Schema (draft 2020-12): the registry interchange format, "
        "the ruleset file format, the JSON report format, or the stats export format.",
    )
    p.add_argument("which", choices=SCHEMAS, metavar="{registry,ruleset,report,stats}")
    p.set_defaults(handler=_guarded(_schema))


def _schema(args: argparse.Namespace) -> int:
    sys.stdout.write(json.dumps(schema(args.which), indent=2, ensure_ascii=False) + "\n")
    return EXIT_OK


# -- demo --------------------------------------------------------------------------------


def _add_demo(sub: Subparsers) -> None:
    p = sub.add_parser(
        "demo",
        help="check the bundled example registry and show the text report",
        description="Check the bundled example registry (a small invented coaching practice) "
        "with the coaching-core ruleset and show the text report. Exits 0 when the demo ran.",
    )
    p.set_defaults(handler=_guarded(_demo))


def _demo(args: argparse.Namespace) -> int:

    result = run_check(example_registry())
    colour = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    sys.stdout.write(render(result, "text", colour=colour))
    sys.stdout.write(
        "\nThis was the bundled example registry. Check your own with:\n"
        "  dualrel check REGISTRY [-r RULESET]... [--format text|json|sarif|junit|markdown|html]\n"
    )
    return EXIT_OK


#: Subcommand name -> builder, merged into :data:`dualrel.cli.COMMANDS`.
COMMANDS: dict[str, Callable[[Subparsers], None]] = {
    "check": _add_check,
    "rulesets": _add_rulesets,
    "lint": _add_lint,
    "explain": _add_explain,
    "stats": _add_stats,
    "schema": _add_schema,
    "demo": _add_demo,
}
