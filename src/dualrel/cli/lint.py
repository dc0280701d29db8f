"""``dualrel lint``: load, compose and compile rulesets; print every problem found."""

from __future__ import annotations

import argparse
import sys

from dualrel._internal.terminal import printable
from dualrel.cli._shared import (
    EXIT_INPUT,
    EXIT_OK,
    Subparsers,
    add_extends_from,
    guarded,
    print_problems,
)
from dualrel.errors import Problem, RulesetError
from dualrel.rules import compile_ruleset, load_ruleset

__all__ = ["add_command"]


def add_command(sub: Subparsers) -> None:
    p = sub.add_parser(
        "lint",
        help="check rulesets and print every problem (file:line)",
        description="Load, compose and compile rulesets (shipped names or paths) and print "
        "every problem found, as FILE:LINE: CODE: MESSAGE [RULE]. Beyond what check "
        "refuses, every rule must cite a clause of a code its ruleset declares in sources.",
        epilog="exit codes:\n"
        f"  {EXIT_OK}  every ruleset is valid\n"
        f"  {EXIT_INPUT}  problems found, or a file cannot be read\n",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("rulesets", metavar="RULESET", nargs="+", help="shipped name or path")
    add_extends_from(p)
    p.set_defaults(handler=guarded(_lint, records=True))


def _lint(args: argparse.Namespace) -> int:

    problems: list[Problem] = []
    ok: list[str] = []
    for ref in args.rulesets:
        try:
            rs = load_ruleset(ref, lint=True, extends_from=args.extends_from)
        except RulesetError as exc:
            problems.extend(exc.problems)
            # a ruleset that fails only the authoring checks still runs: compile it too,
            # so its compiler's problems (the engine's limits) come in the same pass
            try:
                compile_ruleset(load_ruleset(ref, extends_from=args.extends_from))
            except RulesetError as more:
                problems.extend(p for p in more.problems if p not in problems)
            continue
        try:
            compile_ruleset(rs)
        except RulesetError as exc:
            problems.extend(exc.problems)
            continue
        ok.append(f"{ref}: ok ({rs.id} {rs.version}, {len(rs.rules)} rules)")
    for line in ok:
        sys.stdout.write(printable(line) + "\n")
    if problems:
        print_problems(problems, records=True)
        return EXIT_INPUT
    return EXIT_OK
