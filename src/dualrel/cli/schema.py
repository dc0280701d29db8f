"""``dualrel schema``: print the JSON Schema of a registry, ruleset, report, stats export or
waivers file.

The schemas themselves come from :func:`dualrel.report.schema.json_schema`.
"""

from __future__ import annotations

import argparse
import json
import sys

from dualrel.cli._shared import EXIT_OK, Subparsers, guarded
from dualrel.report.schema import SCHEMAS, json_schema

__all__ = ["add_command"]


def add_command(sub: Subparsers) -> None:
    p = sub.add_parser(
        "schema",
        help="print the JSON Schema of a registry, ruleset, report, stats export or waivers file",
        description="Print a JSON Schema (draft 2020-12): the registry interchange format, "
        "the ruleset file format, the JSON report format, the stats export format, or the "
        "waivers file format (docs/waivers.md).",
    )
    p.add_argument("which", choices=SCHEMAS, metavar="{" + ",".join(SCHEMAS) + "}")
    p.set_defaults(handler=guarded(_schema, records=True))


def _schema(args: argparse.Namespace) -> int:
    sys.stdout.write(json.dumps(json_schema(args.which), indent=2, ensure_ascii=False) + "\n")
    return EXIT_OK
