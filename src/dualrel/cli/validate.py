"""``dualrel validate``: load a registry, print a summary or every problem found."""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter

from dualrel._internal.terminal import PrintableStream
from dualrel.cli._shared import (
    EXIT_CODES_HELP,
    EXIT_OK,
    Subparsers,
    guarded,
    iso_date_arg,
    print_problems,
)
from dualrel.graph import build_graph, components, load_registry_with_warnings, registry_format

__all__ = ["add_command"]


def _extra_kind(text: str) -> tuple[str, bool]:
    name, sep, direction = text.partition("=")
    if not name or (sep and direction not in ("directed", "undirected")):
        raise argparse.ArgumentTypeError(f"expected NAME=directed or NAME=undirected, got {text!r}")
    return name, direction != "undirected"


def add_command(sub: Subparsers) -> None:
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
    p.add_argument(
        "--as-of",
        type=iso_date_arg,
        metavar="DATE",
        help="evaluation date YYYY-MM-DD, overriding the registry's as_of (as check does)",
    )
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument(
        "-q", "--quiet", action="store_true", help="do not list warnings, only count them"
    )
    p.set_defaults(handler=guarded(_validate, records=False))


def _validate(args: argparse.Namespace) -> int:
    registry, warnings = load_registry_with_warnings(
        args.registry, extra_kinds=dict(args.extra_kind) or None, as_of=args.as_of
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
        print_problems(warnings, tally=False)
    if args.json:
        sys.stdout.write(json.dumps(summary, indent=2) + "\n")
        return EXIT_OK
    out = PrintableStream(sys.stdout)
    out.write(f"{args.registry}: valid registry ({summary['format']})\n")
    if registry.as_of:
        out.write(f"  as of       {registry.as_of.isoformat()}\n")
    else:  # a CSV folder never has one: say what check will do
        out.write("  as of       none: check uses today's date unless given --as-of\n")
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
