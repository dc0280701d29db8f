"""The ``dualrel`` command line: argument parsing and exit codes only.

Each subcommand is one builder in ``COMMANDS``: it adds its parser and sets the handler
that returns the exit code.  Handlers never print people's names or free text from a
registry: only ids, counts, kinds and located problems.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any, NoReturn, TextIO

from dualrel import __version__
from dualrel import _commands as _check_commands
from dualrel.errors import DualrelError, Problem
from dualrel.graph import build_graph, components, load_registry_with_warnings, registry_format
from dualrel.testing._cli import add_test_command

__all__ = ["COMMANDS", "EXIT_FINDINGS", "EXIT_INPUT", "EXIT_OK", "build_parser", "main"]

#: Nothing wrong.
EXIT_OK = 0
#: Findings at or above the fail level (used by ``check``).
EXIT_FINDINGS = 1
#: Bad input or usage: unreadable or invalid registry or ruleset, unknown option.
EXIT_INPUT = 2

EXIT_CODES_HELP = f"""\
exit codes:
  {EXIT_OK}  success (for validate: the registry is valid; warnings do not count)
  {EXIT_FINDINGS}  findings at or above the fail level (check)
  {EXIT_INPUT}  invalid input or usage: unreadable, malformed or invalid registry or
     ruleset, unknown option; every problem is printed to stderr as
     FILE:LINE: CODE: MESSAGE
"""

Handler = Callable[[argparse.Namespace], int]
Subparsers = Any  # argparse's _SubParsersAction is private; it has add_parser()


def _print_problems(problems: Sequence[Problem], out: TextIO) -> None:
    for p in problems:
        prefix = "warning: " if p.severity == "warning" else ""
        out.write(f"{prefix}{p}\n")


def _extra_kind(text: str) -> tuple[str, bool]:
    name, sep, direction = text.partition("=")
    if not name or (sep and direction not in ("directed", "undirected")):
        raise argparse.ArgumentTypeError(f"expected NAME=directed or NAME=undirected, got {text!r}")
    return name, direction != "undirected"


# -- validate ----------------------------------------------------------------------------


def _add_validate(sub: Subparsers) -> None:
    p = sub.add_parser(
        "validate",
        help="check a registry and summarise it",
        description="Load and validate a registry (a .json, .yaml or .jsonl file, or a "
        "folder with people.csv and ties.csv). Print a summary, or every problem found.",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("registry", metavar="REGISTRY", help="registry file or CSV folder")
    p.add_argument(
        "--extra-kind",
        metavar="NAME=directed|undirected",
        action="append",
        default=[],
        type=_extra_kind,
        help="accept a tie kind beyond the core vocabulary (repeatable)",
    )
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument(
        "-q", "--quiet", action="store_true", help="do not list warnings, only count them"
    )
    p.set_defaults(handler=_validate)


def _validate(args: argparse.Namespace) -> int:
    registry, warnings = load_registry_with_warnings(
        args.registry, extra_kinds=dict(args.extra_kind) or None
    )
    graph = build_graph(registry)
    n_components = len(components(graph))
    kinds = Counter(t.kind for t in registry.ties)
    summary = {
        "registry": args.registry,
        "format": registry_format(args.registry),
        "as_of": registry.as_of.isoformat() if registry.as_of else None,
        "people": len(registry.people),
        "ties": len(registry.ties),
        "ties_by_kind": dict(sorted(kinds.items())),
        "components": n_components,
        "practice": registry.practice.counts(),
        "warnings": len(warnings),
    }
    if not args.quiet:
        _print_problems(warnings, sys.stderr)
    if args.json:
        sys.stdout.write(json.dumps(summary, indent=2) + "\n")
        return EXIT_OK
    out = sys.stdout
    out.write(f"{args.registry}: valid registry ({summary['format']})\n")
    if registry.as_of:
        out.write(f"  as of       {registry.as_of.isoformat()}\n")
    out.write(f"  people      {len(registry.people)}\n")
    out.write(f"  ties        {len(registry.ties)}\n")
    width = max((len(k) for k in kinds), default=0)
    for kind, count in sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0])):
        out.write(f"    {kind:<{width}}  {count}\n")
    out.write(f"  components  {n_components} (weakly connected)\n")
    practice = {k: v for k, v in registry.practice.counts().items() if v}
    if practice:
        out.write(f"  practice    {sum(practice.values())} records\n")
        width = max(len(k) for k in practice)
        for section, count in practice.items():
            out.write(f"    {section:<{width}}  {count}\n")
    out.write(f"  warnings    {len(warnings)}\n")
    return EXIT_OK


#: Subcommand name -> builder adding its parser (with ``handler`` set) to the subparsers.
COMMANDS: dict[str, Callable[[Subparsers], None]] = {
    "validate": _add_validate,
    **_check_commands.COMMANDS,  # check, rulesets, lint, explain, stats, schema, demo
    "test": add_test_command,  # ruleset test cases, properties, coverage, mutants
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dualrel",
        description="Find dual relationships and boundary violations in coaching practices.",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
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
        return handler(args)
    except DualrelError as e:
        problems = getattr(e, "problems", None)
        if problems:
            _print_problems(problems, sys.stderr)
            errors = sum(1 for p in problems if p.severity == "error")
            sys.stderr.write(f"dualrel: {errors} problem(s) found\n")
        else:
            sys.stderr.write(f"dualrel: error: {e}\n")
        return EXIT_INPUT
    except OSError as e:
        where = f"{e.filename}: " if e.filename else ""
        sys.stderr.write(f"dualrel: error: {where}{e.strerror or e}\n")
        return EXIT_INPUT
    except KeyboardInterrupt:
        sys.stderr.write("dualrel: interrupted\n")
        return 130
