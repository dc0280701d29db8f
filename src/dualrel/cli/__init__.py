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
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from dualrel._version import __version__
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


def _builder(name: str) -> Callable[[Subparsers], None]:
    """The ``add_command`` of ``dualrel.cli.NAME``, imported when first called: a run
    imports only its own subcommand's module (and what that module needs)."""

    def build(sub: Subparsers) -> None:
        module = importlib.import_module(f"dualrel.cli.{name}")
        module.add_command(sub)

    return build


#: Subcommand name -> builder adding its parser (with ``handler`` set) to the subparsers,
#: in the order ``dualrel --help`` lists them.
COMMANDS: dict[str, Callable[[Subparsers], None]] = {
    "validate": _builder("validate"),
    "check": _builder("check"),
    "rulesets": _builder("rulesets"),
    "lint": _builder("lint"),
    "explain": _builder("explain"),
    "stats": _builder("stats"),
    "schema": _builder("schema"),
    "demo": _builder("demo"),
    "test": _builder("test"),  # ruleset test cases, properties, coverage, mutants
    "diff": _builder("diff"),  # two policies: rules, what they find, the findings' impact
    "register": _builder("register"),  # findings tracked across runs (docs/register.md)
    "render": _builder("render"),  # any format from a saved JSON report
}


def _named_command(argv: Sequence[str]) -> list[str] | None:
    """The subcommands whose parsers a run with ``argv`` needs: the one it names (the
    first argument not an option; the top level's options take no value), none for
    ``--version`` or a usage error alone, every one (None) for ``--help`` or a name
    that is no command (argparse then lists them all)."""
    for arg in argv:
        if arg in ("-h", "--help"):
            return None
        if arg == "--":
            continue
        if not arg.startswith("-"):
            return [arg] if arg in COMMANDS else None
    return []


def build_parser(commands: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser of every subcommand, or of ``commands`` alone (a run needs one)."""
    parser = _Parser(
        prog="dualrel",
        description="Find dual relationships and boundary violations in coaching practices.",
        epilog=EXIT_CODES_HELP,
    )
    parser.add_argument("--version", action="version", version=f"dualrel {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, build in COMMANDS.items():
        if commands is None or name in commands:
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
    if argv is None:
        argv = sys.argv[1:]
    parser = build_parser(_named_command(argv))
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
