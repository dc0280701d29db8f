"""``dualrel check``: check a registry against rulesets and report the findings.

The check itself is :func:`dualrel.check.check_for_exit`; this module parses its options,
renders the result in the chosen format and writes it.
"""

from __future__ import annotations

import argparse
import os
import sys
import textwrap

from dualrel._internal.atomic import write_atomic_parts
from dualrel._internal.gc import gc_paused
from dualrel._internal.terminal import printable
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
    iso_date_arg,
    positive_int_arg,
    print_problems,
)
from dualrel.cli.progress import Progress
from dualrel.cli.register import DEFAULT_PATH_HELP, DEFAULT_REGISTER, record_in_register
from dualrel.errors import InvalidArgument, Problem
from dualrel.report import (
    FORMATS,
    KEY_ENV,
    MIN_KEY_BYTES,
    Pseudonymizer,
    render,
    render_parts,
    write_pseudonym_map,
)

__all__ = ["CHECK_EXIT_CODES_HELP", "add_command"]

CHECK_EXIT_CODES_HELP = f"""\
exit codes:
  {EXIT_OK}  no open finding at or above the fail level (default 1), once waivers and the
     baseline are applied
  {EXIT_FINDINGS}  open findings at or above the fail level
  {EXIT_INPUT}  bad input or usage: unknown format or option, unreadable file, invalid registry,
     ruleset, waivers file or baseline report; every problem is printed to stderr as
     FILE:LINE: CODE: MESSAGE; a {KEY_ENV} shorter than {MIN_KEY_BYTES} bytes
     for a shared format
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
    p.add_argument("--as-of", type=iso_date_arg, metavar="DATE", help="evaluation date YYYY-MM-DD")
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
    p.set_defaults(handler=guarded(_check, records=True))


def _pseudonymizer(args: argparse.Namespace) -> Pseudonymizer | None:
    """The key of a shared report (``None`` for text, json or ``--reveal``), read before
    the check runs, so that a key too short to use, or a ``--pseudonym-map`` that could
    not be written, is refused first (see :mod:`dualrel.report.pseudonym` for why a map
    needs a key)."""
    shared = FORMATS[args.format].shared and not args.reveal
    if args.pseudonym_map is not None and not shared:
        formats = ", ".join(name for name, fmt in FORMATS.items() if fmt.shared)
        raise InvalidArgument(
            f"--pseudonym-map: the {args.format} report shows ids as they are "
            + ("(--reveal)" if args.reveal else f"(use {formats})")
            + ", there is nothing to map"
        )
    pseudo = Pseudonymizer.from_env() if shared else None
    if args.pseudonym_map is None or pseudo is None:
        return pseudo
    if pseudo.source != "env":
        raise InvalidArgument(
            f"--pseudonym-map needs {KEY_ENV}: with a random key per run the map would fit "
            "this one report only"
        )
    if args.output not in (None, "-") and os.path.realpath(args.output) == os.path.realpath(
        args.pseudonym_map
    ):
        raise InvalidArgument(
            "--pseudonym-map and -o name the same file: the map must never travel with the "
            "shareable report"
        )
    return pseudo


def _check(args: argparse.Namespace) -> int:

    if args.templates is not None and args.format != "html":
        raise InvalidArgument(f"--templates applies to --format html only, not {args.format}")
    pseudo = _pseudonymizer(args)
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
        timelines=FORMATS[args.format].timelines,
    )
    try:
        result = check_for_exit(args.registry, args.ruleset or [DEFAULT_RULESET], options)
    finally:
        progress.close()
    print_problems(warnings, tally=False)
    if args.register is not None:
        watch = Stopwatch(timings)
        record_in_register(result, args.register, args.by)
        watch.lap("register")
    colour = args.output is None and sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    watch = Stopwatch(timings)
    with gc_paused():
        if args.output not in (None, "-"):  # in parts where the format can: never whole
            write_atomic_parts(
                args.output,
                render_parts(
                    result,
                    args.format,
                    reveal=args.reveal,
                    pseudonymizer=pseudo,
                    templates=args.templates,
                ),
            )
        else:
            text = render(
                result,
                args.format,
                reveal=args.reveal,
                pseudonymizer=pseudo,
                colour=colour,
                templates=args.templates,
            )
            if args.output is None and args.format != "text" and sys.stdout.isatty():
                # text escapes its lines itself (and may be in colour); the file formats
                # are written as they are to files and pipes, but never obeyed by a terminal
                text = printable(text, keep="\n")
            emit(text, args.output)
    if args.pseudonym_map is not None and pseudo is not None:
        mapped = write_pseudonym_map(args.pseudonym_map, result, pseudo)
        sys.stderr.write(
            f"dualrel: wrote {args.pseudonym_map} ({mapped} pseudonym(s); keep it apart from "
            "the report)\n"
        )
    watch.lap("report")
    if args.timings:
        sys.stderr.write(timings_line(timings))
    if args.output not in (None, "-"):  # standard output already holds the report
        failing = len(result.failing())
        sys.stderr.write(
            printable(
                f"dualrel: wrote {args.output} ({len(result.findings)} finding(s), {failing} "
                f"open at or above level {result.fail_level})"
            )
            + "\n"
        )
    return result.exit_code()
