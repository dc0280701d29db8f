"""``dualrel demo``: check the bundled example registry and show the text report."""

from __future__ import annotations

import argparse
import os
import sys

from dualrel import example_registry
from dualrel.check import run_check
from dualrel.cli._shared import EXIT_OK, Subparsers, guarded
from dualrel.report import render

__all__ = ["add_command"]


def add_command(sub: Subparsers) -> None:
    p = sub.add_parser(
        "demo",
        help="check the bundled example registry and show the text report",
        description="Check the bundled example registry (a small invented coaching practice) "
        "with the coaching-core ruleset and show the text report. Exits 0 when the demo ran.",
    )
    p.set_defaults(handler=guarded(_demo, records=True))


def _demo(args: argparse.Namespace) -> int:

    result = run_check(example_registry())
    colour = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    sys.stdout.write(render(result, "text", colour=colour))
    sys.stdout.write(
        "\nThis was the bundled example registry. Check your own with:\n"
        "  dualrel check REGISTRY [-r RULESET]... [--format text|json|sarif|junit|markdown|html]\n"
    )
    return EXIT_OK
