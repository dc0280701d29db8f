"""``dualrel render``: write any report format from a saved JSON report, without checking
the registry again.

The report is read back by :func:`dualrel.report.schema.load_report` (bounded by
``DUALREL_MAX_REPORT_BYTES``, every problem located by file and JSON pointer) and turned
into the check's result by :func:`dualrel.report.reread.check_result`; the outputs are
:mod:`dualrel.cli.outputs`'s, as ``check``'s, so a format rendered here is byte for byte
the one ``check`` would have written in the same run (same working folder, same key).
"""

from __future__ import annotations

import argparse
import sys
import textwrap

from dualrel._internal.terminal import printable
from dualrel.cli._shared import EXIT_INPUT, EXIT_OK, Subparsers, guarded
from dualrel.cli.outputs import add_output_options, plan_outputs, write_outputs
from dualrel.errors import Problem
from dualrel.report import KEY_ENV, MIN_KEY_BYTES
from dualrel.report.reread import check_result
from dualrel.report.schema import ReportFileError, load_report

__all__ = ["add_command"]

#: The formats that show the rules in use or the findings' date windows, which reports
#: written before dualrel render existed do not hold
_NEED_RULES = ("sarif", "junit", "html")


def add_command(sub: Subparsers) -> None:
    p = sub.add_parser(
        "render",
        help="write any report format from a saved JSON report, without checking again",
        description=textwrap.fill(
            "Read a JSON report (dualrel check --format json) and write it in other formats, "
            "exactly as check would have written them in the same run: one check, then "
            "as many reports as needed. The shared formats show people as pseudonyms keyed "
            f"by {KEY_ENV} (at least {MIN_KEY_BYTES} bytes; a random key when unset), as "
            "check does; --reveal shows ids, and names when the report was made with "
            "--reveal.",
            width=88,
        ),
        epilog="exit codes:\n"
        f"  {EXIT_OK}  every report was written (whatever the findings: render does not "
        "gate)\n"
        f"  {EXIT_INPUT}  unreadable or invalid report (FILE (POINTER): CODE: MESSAGE), bad "
        "option or output\n",
    )
    p.add_argument("report", metavar="REPORT.json", help="a JSON report written by check")
    add_output_options(p)
    p.add_argument(
        "--reveal",
        action="store_true",
        help="show ids (and names the report holds) in every format",
    )
    p.add_argument(
        "--pseudonym-map",
        metavar="FILE",
        help=f"also write alias -> id of every person the report names to FILE; needs "
        f"{KEY_ENV} and a shared format (sensitive!)",
    )
    p.add_argument(
        "--templates",
        metavar="DIR",
        help="html: a folder of templates replacing ours file by file",
    )
    p.set_defaults(handler=guarded(_render, records=True))


def _render(args: argparse.Namespace) -> int:

    plan = plan_outputs(args, pseudonym_map=args.pseudonym_map, templates=args.templates)
    doc = load_report(args.report)
    needing = [o.format for o in plan.outputs if o.format in _NEED_RULES]
    if needing and doc.findings and not doc.rules:
        # written before reports held their rules and windows: these formats would
        # silently lose the findings' rules (sarif, junit) or timelines (html)
        raise ReportFileError(
            [
                Problem(
                    file=args.report,
                    pointer="/rules",
                    code="missing-field",
                    message=f"the report holds no rules ({doc.generated_by} wrote it before "
                    f"reports held them): {', '.join(needing)} cannot be rendered from it "
                    "as check would write them; check again, or render text, json, "
                    "markdown, github or gitlab",
                )
            ]
        )
    result = check_result(doc)
    write_outputs(
        result,
        plan,
        reveal=args.reveal,
        templates=args.templates,
        pseudonym_map=args.pseudonym_map,
        report=lambda path: sys.stderr.write(printable(f"dualrel: wrote {path}") + "\n"),
    )
    return EXIT_OK
