"""The ``dualrel`` command line: argument parsing and exit codes only.

Each subcommand is one module of this package with an ``add_command`` builder, listed in
:data:`COMMANDS`: it adds its parser and sets the handler that returns the exit code,
wrapped in the one guard (:func:`dualrel.cli._shared.guarded`) that turns bad input into
exit 2 with every problem printed.  Handlers never print people's names or free text
from a registry: only ids, counts, kinds and located problems.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from dualrel._version import __version__
from dualrel.cli import (
    check,
    demo,
    diff,
    explain,
    lint,
    register,
    render,
    rulesets,
    schema,
    stats,
    test,
    validate,
)
from dualrel.cli._shared import (
    EXIT_CODES_HELP,
    EXIT_FINDINGS,
    EXIT_INPUT,
    EXIT_INTERRUPTED,
    EXIT_OK,
    Handler,
    Subparsers,
)
from dualrel.cli._shared import Terminated as _Terminated
from dualrel.cli._shared import terminating as _terminating
from dualrel.cli.parser import Parser as _Parser

__all__ = [
    "COMMANDS",
    "EXIT_CODES_HELP",
    "EXIT_FINDINGS",
    "EXIT_INPUT",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "build_parser",
    "main",
    "run",
]

#: Subcommand name -> builder adding its parser (with ``handler`` set) to the subparsers,
#: in the order ``dualrel --help`` lists them.
COMMANDS: dict[str, Callable[[Subparsers], None]] = {
    "validate": validate.add_command,
    "check": check.add_command,
    "rulesets": rulesets.add_command,
    "lint": lint.add_command,
    "explain": explain.add_command,
    "stats": stats.add_command,
    "schema": schema.add_command,
    "demo": demo.add_command,
    "test": test.add_command,  # ruleset test cases, properties, coverage, mutants
    "diff": diff.add_command,  # two policies: rules, what they find, the findings' impact
    "register": register.add_command,  # findings tracked across runs (docs/register.md)
    "render": render.add_command,  # any format from a saved JSON report
}


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="dualrel",
        description="Find dual relationships and boundary violations in coaching practices.",
        epilog=EXIT_CODES_HELP,
    )
    parser.add_argument("--version", action="version", version=f"dualrel {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for build in COMMANDS.values():
        build(sub)
    return parser


def run() -> NoReturn:
    """The ``dualrel`` console script and ``python -m dualrel``: :func:`main`, then exit at
    once.  Outputs are written and closed by then; what is left is freeing the registry's
    millions of objects one by one, which the operating system does in one go."""
    code = main()
    for stream in (sys.stdout, sys.stderr):
        # a closed pipe (``dualrel ... | head``): nothing left to say
        with contextlib.suppress(OSError):
            stream.flush()
    os._exit(code)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (never raises for bad input)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # --help, --version, usage errors
        return e.code if isinstance(e.code, int) else EXIT_INPUT
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_usage(sys.stderr)
        sys.stderr.write("dualrel: error: a command is required\n")
        return EXIT_INPUT
    try:
        with _terminating():
            return handler(args)  # every handler is guarded: bad input is an exit code
    except _Terminated as exc:  # between the guard's end and the handlers' restoring
        return exc.exit_code
