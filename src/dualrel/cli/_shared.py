"""What every command of the command line shares (private): the exit codes, the one
problem printer, the one guard that turns bad input into exit 2, and the output writer.

:mod:`dualrel.cli` re-exports the exit codes; command modules import them from here,
since :mod:`dualrel.cli` imports every command module to build its parser.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable
from typing import Any

from dualrel._internal.atomic import write_atomic
from dualrel.errors import DualrelError, Problem

__all__ = [
    "EXIT_CODES_HELP",
    "EXIT_FINDINGS",
    "EXIT_INPUT",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "Handler",
    "Subparsers",
    "add_extends_from",
    "emit",
    "guarded",
    "print_problems",
]

#: Nothing wrong.
EXIT_OK = 0
#: Findings at or above the fail level (``check``); a failed case, property, coverage
#: requirement or surviving mutant (``test``).
EXIT_FINDINGS = 1
#: Bad input or usage: unreadable or invalid registry or ruleset, unknown option.
EXIT_INPUT = 2
#: Stopped with Ctrl-C (128 + SIGINT, as shells report it).
EXIT_INTERRUPTED = 130

EXIT_CODES_HELP = f"""\
exit codes:
  {EXIT_OK}  success (for validate: the registry is valid; warnings do not count)
  {EXIT_FINDINGS}  findings at or above the fail level (check)
  {EXIT_INPUT}  invalid input or usage: unreadable, malformed or invalid registry or
     ruleset, unknown option; every problem is printed to stderr as
     FILE:LINE: CODE: MESSAGE
"""

#: A command's handler: parsed arguments in, exit code out.
Handler = Callable[[argparse.Namespace], int]
Subparsers = Any  # argparse's _SubParsersAction is private; it has add_parser()


def add_extends_from(p: argparse.ArgumentParser) -> None:
    """The ``--extends-from DIR`` option of every command that loads rulesets."""
    p.add_argument(
        "--extends-from",
        metavar="DIR",
        action="append",
        default=[],
        help="a folder whose rulesets 'extends' may read (repeatable); without it, only "
        "shipped rulesets and files in the extending ruleset's own folder",
    )


def print_problems(
    problems: Iterable[Problem],
    *,
    records: bool = False,
    tally: bool = True,
    by_severity: bool = True,
) -> None:
    """Print each problem to stderr as ``FILE:LINE: CODE: MESSAGE``, then how many.

    The commands have always printed problems a little differently, and their output
    stays as it was, so each difference is a parameter:

    ``records``
        append the record a problem is about as `` [record]`` when the message does not
        name it (``check``, ``lint``, ``explain``, ``stats``; not ``validate`` or ``test``);
    ``tally``
        end with ``dualrel: N problem(s) found`` (not for ``validate``'s warnings);
    ``by_severity``
        mark warnings ``warning:`` and count errors only; ``dualrel test`` prints and
        counts every problem of its case files alike.
    """
    count = 0
    for p in problems:
        prefix = "warning: " if by_severity and p.severity == "warning" else ""
        record = f" [{p.record}]" if records and p.record and p.record not in p.message else ""
        sys.stderr.write(f"{prefix}{p}{record}\n")
        count += not by_severity or p.severity == "error"
    if tally:
        sys.stderr.write(f"dualrel: {count} problem(s) found\n")


def guarded(handler: Handler, *, records: bool) -> Handler:
    """The guard around every command: located input errors and unreadable files become
    exit 2 with every problem on stderr (``records`` as in :func:`print_problems`), never
    a traceback; Ctrl-C becomes exit 130."""

    def run(args: argparse.Namespace) -> int:
        try:
            return handler(args)
        except DualrelError as exc:
            problems = getattr(exc, "problems", None)
            if problems:
                print_problems(problems, records=records)
            else:
                sys.stderr.write(f"dualrel: error: {exc}\n")
            return EXIT_INPUT
        except OSError as exc:
            where = f"{exc.filename}: " if exc.filename else ""
            sys.stderr.write(f"dualrel: error: {where}{exc.strerror or exc}\n")
            return EXIT_INPUT
        except KeyboardInterrupt:
            sys.stderr.write("dualrel: interrupted\n")
            return EXIT_INTERRUPTED

    return run


def emit(text: str, output: str | None) -> None:
    """Write ``text`` to ``output`` atomically; ``None`` or ``-`` means standard output."""
    if output is None or output == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        write_atomic(output, text)
