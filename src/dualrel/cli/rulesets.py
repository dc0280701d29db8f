"""``dualrel rulesets``: list the shipped rulesets."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from dualrel._internal.terminal import printable
from dualrel.cli._shared import EXIT_OK, Subparsers, guarded
from dualrel.rules import load_ruleset, shipped_rulesets

__all__ = ["add_command"]


def add_command(sub: Subparsers) -> None:
    p = sub.add_parser(
        "rulesets",
        help="list the shipped rulesets",
        description="List the rulesets shipped with dualrel: name, version, rule count, title.",
    )
    p.add_argument("--json", action="store_true", help="print the list as JSON")
    p.set_defaults(handler=guarded(_rulesets, records=True))


def _rulesets(args: argparse.Namespace) -> int:
    rows: list[dict[str, Any]] = []
    for name in shipped_rulesets():
        rs = load_ruleset(name)
        rows.append(
            {
                "name": name,
                "id": rs.id,
                "version": rs.version,
                "rules": len(rs.rules),
                "extends": list(rs.extends),
                "title": rs.title,
            }
        )
    if args.json:
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return EXIT_OK
    width = max((len(str(r["name"])) for r in rows), default=4)
    sys.stdout.write(f"{'NAME':<{width}}  {'VERSION':<8}  RULES  TITLE\n")
    for r in rows:
        row = f"{r['name']:<{width}}  {r['version']:<8}  {r['rules']:>5}  {r['title']}"
        sys.stdout.write(printable(row) + "\n")
    return EXIT_OK
