"""``dualrel explain``: tell one finding of a JSON report in plain words."""

from __future__ import annotations

import argparse
import sys

from dualrel._internal.terminal import PrintableStream
from dualrel.cli._shared import EXIT_INPUT, EXIT_OK, Subparsers, guarded
from dualrel.report.explain import explain, find_finding
from dualrel.report.schema import load_report

__all__ = ["add_command"]


def add_command(sub: Subparsers) -> None:
    p = sub.add_parser(
        "explain",
        help="tell one finding of a JSON report in plain words",
        description="Read a report written by `dualrel check --format json` and tell one "
        "finding in plain words: the rule, the people, each tie of the evidence with its "
        "dates, why it matters, and what to do by when and who. FINGERPRINT may be a "
        "unique prefix (at least 6 characters), with or without the '#' the text report "
        "prints before it.",
        epilog="exit codes:\n"
        f"  {EXIT_OK}  the finding was explained\n"
        f"  {EXIT_INPUT}  unreadable or invalid report, or no (unique) finding with that "
        "fingerprint\n",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("report", metavar="REPORT.json")
    p.add_argument("fingerprint", metavar="FINGERPRINT")
    p.set_defaults(handler=guarded(_explain, records=True))


def _explain(args: argparse.Namespace) -> int:

    doc = load_report(args.report)
    finding = find_finding(doc, args.fingerprint, file=args.report)
    PrintableStream(sys.stdout).write(explain(doc, finding))
    return EXIT_OK
