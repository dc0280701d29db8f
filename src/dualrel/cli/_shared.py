"""What every command of the command line shares (private): the exit codes, the one
problem printer, the one guard that turns bad input into exit 2, and the output writer.

:mod:`dualrel.cli` re-exports the exit codes; command modules import them from here,
since :mod:`dualrel.cli` imports every command module to build its parser.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from types import FrameType
from typing import Any

from dualrel._internal.atomic import write_atomic
from dualrel._internal.dates import as_of_out_of_range, iso_date
from dualrel._internal.terminal import printable
from dualrel.errors import DualrelError, Problem

__all__ = [
    "EXIT_BROKEN_PIPE",
    "EXIT_CODES_HELP",
    "EXIT_FINDINGS",
    "EXIT_INPUT",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "Handler",
    "Subparsers",
    "Terminated",
    "add_extends_from",
    "emit",
    "guarded",
    "iso_date_arg",
    "positive_int_arg",
    "print_problems",
    "print_warnings",
    "terminating",
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
#: Standard output was closed by its reader (``dualrel ... | head``): 128 + SIGPIPE, as
#: shells report a program that the signal stops; nothing is printed about it.
EXIT_BROKEN_PIPE = 141
#: Stopped by ``SIGTERM`` (143) or ``SIGHUP`` (129): 128 + the signal, as shells report it;
#: the output being written is removed, never left half-written.
TERMINATING_SIGNALS = ("SIGTERM", "SIGHUP")

EXIT_CODES_HELP = f"""\
exit codes:
  {EXIT_OK}  success (for validate: the registry is valid; warnings do not count)
  {EXIT_FINDINGS}  findings at or above the fail level (check)
  {EXIT_INPUT}  invalid input or usage: unreadable, malformed or invalid registry or
     ruleset, unknown option; every problem is printed to stderr as
     FILE:LINE: CODE: MESSAGE
  {EXIT_INTERRUPTED}  stopped with Ctrl-C; 143 and 129: stopped by SIGTERM or SIGHUP
     (128 + the signal); no output file is left half-written
  {EXIT_BROKEN_PIPE}  standard output was closed by the program reading it (| head)
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
        # a problem is one line whatever its file name, record or message holds
        sys.stderr.write(printable(f"{prefix}{p}{record}") + "\n")
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
                message = printable(str(exc), keep="\n")
                sys.stderr.write(f"dualrel: error: {message}\n")
            return EXIT_INPUT
        except BrokenPipeError:
            # what was left to print has no reader: say nothing, and let the last flush of
            # standard output at exit find somewhere to go
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)
            return EXIT_BROKEN_PIPE
        except OSError as exc:
            where = f"{exc.filename}: " if exc.filename else ""
            sys.stderr.write(printable(f"dualrel: error: {where}{exc.strerror or exc}") + "\n")
            return EXIT_INPUT
        except KeyboardInterrupt:
            sys.stderr.write("dualrel: interrupted\n")
            return EXIT_INTERRUPTED
        except Terminated as exc:
            sys.stderr.write(f"dualrel: stopped by {exc.name}\n")
            return exc.exit_code

    return run


class Terminated(BaseException):
    """``SIGTERM`` or ``SIGHUP`` arrived: raised where the program is, so that every
    ``finally`` runs (an output's temporary file is removed) before it exits.  A
    ``BaseException``, as ``KeyboardInterrupt`` is: no ``except Exception`` swallows it."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        self.name = signal.Signals(signum).name
        self.exit_code = 128 + signum
        super().__init__(self.name)


@contextlib.contextmanager
def terminating() -> Iterator[None]:
    """While the block runs, ``SIGTERM`` and ``SIGHUP`` raise :class:`Terminated` in the
    main thread (elsewhere, or where the signals do not exist, nothing changes).  A forked
    worker (``check --jobs``) keeps the default action: its pool stops it with SIGTERM."""
    signums = [getattr(signal, n) for n in TERMINATING_SIGNALS if hasattr(signal, n)]
    if threading.current_thread() is not threading.main_thread() or not signums:
        yield
        return
    pid = os.getpid()

    def raise_terminated(signum: int, frame: FrameType | None) -> None:
        if os.getpid() != pid:  # a forked worker: die as it would have
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        raise Terminated(signum)

    previous = {s: signal.signal(s, raise_terminated) for s in signums}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def emit(text: str, output: str | None) -> None:
    """Write ``text`` to ``output`` atomically; ``None`` or ``-`` means standard output."""
    if output is None or output == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        write_atomic(output, text)


#: How many warnings ``check`` lists before it only counts them.
WARNINGS_SHOWN = 10


def print_warnings(warnings: list[Problem], most: int = WARNINGS_SHOWN) -> None:
    """Print the first ``most`` warnings to stderr, located, then how many there are (a
    large registry can have thousands: ``dualrel validate`` lists them all)."""
    if not warnings:
        return
    print_problems(warnings[:most], records=True, tally=False)
    shown = f", the first {most} above" if len(warnings) > most else ""
    sys.stderr.write(
        f"dualrel: {len(warnings)} warning(s){shown} (dualrel validate lists the registry's)\n"
    )


def iso_date_arg(text: str) -> date:
    """An argparse type: a ``YYYY-MM-DD`` date (``--as-of``) inside the bounds every
    evaluation date keeps (:func:`dualrel._internal.dates.as_of_out_of_range`)."""
    value = iso_date(text)
    if value is None:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {text!r}")
    far = as_of_out_of_range(value)
    if far is not None:
        raise argparse.ArgumentTypeError(far)
    return value


def positive_int_arg(text: str) -> int:
    """An argparse type: a whole number of at least 1 (``--jobs``, ``--examples``, a step)."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value
