"""``dualrel check``: check a registry against rulesets and report the findings.

The check itself is :func:`dualrel.check.check_for_exit`; this module parses its options
(with the settings file's, :mod:`dualrel.cli.config`) and writes the result in every
format asked for (:mod:`dualrel.cli.outputs`, each output checked before the run).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import sys
import textwrap

from dualrel._internal.terminal import printable
from dualrel._internal.timing import Stopwatch, timings_line
from dualrel.check import DEFAULT_RULESET, CheckOptions, check_for_exit
from dualrel.cli._shared import (
    EXIT_FINDINGS,
    EXIT_INPUT,
    EXIT_OK,
    Subparsers,
    add_extends_from,
    guarded,
    iso_date_arg,
    positive_int_arg,
    print_problems,
    print_warnings,
)
from dualrel.cli.config import add_config_options, apply_config, fail_level_arg
from dualrel.cli.outputs import add_output_options, plan_outputs, write_outputs
from dualrel.cli.progress import Progress, registry_bytes
from dualrel.cli.register import DEFAULT_PATH_HELP, DEFAULT_REGISTER, record_in_register
from dualrel.errors import ClusterError, Problem
from dualrel.report import FORMATS, KEY_ENV, MIN_KEY_BYTES
from dualrel.waivers import stale_warnings

__all__ = ["CHECK_EXIT_CODES_HELP", "EXIT_CLUSTER", "add_command"]

CHECK_MESSAGES_HELP = """\
progress and warnings (stderr):
  on a terminal, a live line: the stage, and while the registry is read its bytes read,
  rate and time left; elsewhere (CI logs, pipes) one line per finished stage with its
  seconds; then the warnings, located (the registry's own such as unknown-role, a check
  without a date, values read as numbers): the first few and how many; -q prints none
"""

#: ``--dask``: Dask is not installed, the scheduler cannot be reached, or the cluster did
#: not finish the evaluation (no report is written).
EXIT_CLUSTER = 3

CHECK_EXIT_CODES_HELP = f"""\
exit codes:
  {EXIT_OK}  no open finding at or above the fail level (default 1), once waivers and the
     baseline are applied
  {EXIT_FINDINGS}  open findings at or above the fail level; with --fail-on-stale, also a stale
     waiver (one that waives nothing)
  {EXIT_INPUT}  bad input or usage: unknown format or option, unreadable file, invalid registry,
     ruleset, waivers file or baseline report; every problem is printed to stderr as
     FILE:LINE: CODE: MESSAGE; a {KEY_ENV} shorter than {MIN_KEY_BYTES} bytes
     for a shared format
  {EXIT_CLUSTER}  --dask: Dask is not installed, the scheduler cannot be reached, or the cluster
     did not finish the evaluation; no report is written
"""


def add_command(sub: Subparsers) -> None:

    formats = "\n".join(f"  {name:<9} {fmt.help}" for name, fmt in FORMATS.items())
    shared = ", ".join(name for name, fmt in FORMATS.items() if fmt.shared)
    p = sub.add_parser(
        "check",
        help="check a registry against rulesets and report the findings",
        description=textwrap.fill(
            "Evaluate rulesets over a registry and report every finding: who, why, how "
            "serious, who must act and by when. Names never appear unless --reveal; the shared "
            f"formats ({shared}) show people as pseudonyms keyed by "
            f"{KEY_ENV} (at least {MIN_KEY_BYTES} bytes; a random key per run when unset).",
            width=88,
        ),
        epilog=f"formats:\n{formats}\n\n{CHECK_MESSAGES_HELP}\n{CHECK_EXIT_CODES_HELP}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "registry",
        metavar="REGISTRY",
        nargs="?",
        help="registry file or CSV folder, or its URL (default: registry in the settings file)",
    )
    p.add_argument(
        "-r",
        "--ruleset",
        metavar="RULESET",
        action="append",
        default=[],
        help="shipped ruleset name or path (repeatable; default coaching-core)",
    )
    add_extends_from(p)
    p.add_argument("--as-of", type=iso_date_arg, metavar="DATE", help="evaluation date YYYY-MM-DD")
    add_output_options(p)
    p.add_argument(
        "--fail-level",
        type=fail_level_arg,
        metavar="LEVEL",
        help="lowest escalation level (1, 2 or 3) of open finding that fails the check "
        "(default 1, or fail-level in the settings file)",
    )
    p.add_argument("--waivers", metavar="FILE", help="YAML waivers file (docs/waivers.md)")
    p.add_argument(
        "--fail-on-stale",
        action="store_true",
        help="exit 1 when a waiver waives nothing (stale waivers are always warned about)",
    )
    p.add_argument("--baseline", metavar="REPORT.json", help="earlier JSON report to compare with")
    p.add_argument(
        "--reveal", action="store_true", help="show names and real ids in every format (sensitive!)"
    )
    p.add_argument(
        "--pseudonym-map",
        metavar="FILE",
        help=f"also write alias -> id of every person the report names to FILE (JSON, owner "
        f"only); needs {KEY_ENV} and a shared format (sensitive!)",
    )
    p.add_argument(
        "--templates",
        metavar="DIR",
        help="html: a folder of templates replacing ours file by file (report.html.j2, "
        "report.css, report.js)",
    )
    p.add_argument(
        "-j",
        "--jobs",
        type=positive_int_arg,
        default=1,
        metavar="N",
        help="evaluate partitions in N worker processes (default 1; same findings)",
    )
    p.add_argument(
        "--dask",
        metavar="SCHEDULER",
        help="evaluate on a Dask cluster: the scheduler's address (tcp://HOST:8786), or "
        "local[:N] for N worker processes on this machine (default 2); needs "
        "pip install 'dualrel[dask]' (docs/scale.md; --jobs is then unused)",
    )
    p.add_argument(
        "--register",
        nargs="?",
        const=DEFAULT_REGISTER,
        metavar="URL",
        help="record the run in a register: a SQLite file, sqlite:///PATH or "
        f"postgresql://... (without URL: {DEFAULT_PATH_HELP}; docs/register.md)",
    )
    p.add_argument(
        "--by",
        metavar="WHO",
        help="who records the run in the register (default: the login name)",
    )
    p.add_argument(
        "--timings",
        action="store_true",
        help="print the seconds each stage took to stderr, as one JSON line",
    )
    p.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="print nothing to stderr but errors: no progress, no stage log lines, no "
        "warnings (see progress and warnings below)",
    )
    add_config_options(p)
    p.set_defaults(handler=guarded(_check, records=True))


def _check(args: argparse.Namespace) -> int:

    args, configured = apply_config(args)
    plan = plan_outputs(
        args, configured=configured, pseudonym_map=args.pseudonym_map, templates=args.templates
    )
    progress = Progress(
        sys.stderr,
        mode="quiet" if args.quiet else "auto",
        total_bytes=registry_bytes(args.registry),
    )
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
        on_read=progress.on_read,
        # what the html page draws (and the json report holds for `dualrel render`)
        timelines=any(FORMATS[o.format].timelines for o in plan.outputs),
    )
    try:
        with contextlib.ExitStack() as cluster:
            if args.dask is not None:
                from dualrel.scale import (  # noqa: PLC0415 (optional)
                    connect,
                    dask_evaluator,
                    dask_reader,
                )

                client = cluster.enter_context(connect(args.dask))
                options = dataclasses.replace(
                    options, evaluator=dask_evaluator(client), reader=dask_reader(client)
                )
            result = check_for_exit(args.registry, args.ruleset or [DEFAULT_RULESET], options)
    except ClusterError as e:
        sys.stderr.write(printable(f"dualrel: error: {e}") + "\n")
        return EXIT_CLUSTER
    finally:
        progress.close()
    stale = stale_warnings(result)
    if not args.quiet:
        print_warnings(warnings)
        if stale:
            print_problems(stale, tally=False)
            where = printable(str(result.waivers_file))
            sys.stderr.write(
                f"dualrel: {len(stale)} stale waiver(s) in {where}: they waive nothing\n"
            )
    if args.register is not None:
        watch = Stopwatch(timings)
        record_in_register(result, args.register, args.by)
        watch.lap("register")
    watch = Stopwatch(timings)
    failing = len(result.failing())
    wrote = (
        f"({len(result.findings)} finding(s), {failing} open at or above level {result.fail_level})"
    )
    write_outputs(
        result,
        plan,
        reveal=args.reveal,
        templates=args.templates,
        pseudonym_map=args.pseudonym_map,
        report=None
        if args.quiet
        else lambda path: sys.stderr.write(printable(f"dualrel: wrote {path} {wrote}") + "\n"),
        quiet=args.quiet,
    )
    watch.lap("report")
    if args.timings:
        sys.stderr.write(timings_line(timings))
    if stale and args.fail_on_stale:
        return max(result.exit_code(), EXIT_FINDINGS)
    return result.exit_code()
