"""``dualrel diff``: what a policy change does, before a committee adopts it.

The comparison is :func:`dualrel.diff.diff_policies`; this module parses its options,
renders the result and writes it.
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
import tarfile
import tempfile
import textwrap
from pathlib import Path

from dualrel._internal.terminal import printable
from dualrel.cli._shared import (
    EXIT_FINDINGS,
    EXIT_INPUT,
    EXIT_OK,
    Subparsers,
    emit,
    guarded,
    iso_date_arg,
    positive_int_arg,
)
from dualrel.diff import DEFAULT_EXAMPLES, DIFF_FORMATS, diff_policies, render_diff
from dualrel.errors import InvalidArgument
from dualrel.report import KEY_ENV

__all__ = ["DIFF_EXIT_CODES_HELP", "add_command"]

DIFF_EXIT_CODES_HELP = f"""\
exit codes:
  {EXIT_OK}  nothing differs: the same rules, and the same findings on every registry
  {EXIT_FINDINGS}  a rule or a finding differs
  {EXIT_INPUT}  bad input or usage: unknown ruleset or rule, unreadable or invalid registry or
     ruleset; every problem is printed to stderr as FILE:LINE: CODE: MESSAGE
"""

_EXAMPLES = """\
examples:
  dualrel diff coaching-core counselling-windows examples/practice.json
  dualrel diff --old icf-2020 --new icf-2020 --new counselling-windows registry.json
  dualrel diff old/ours.yaml ours.yaml --pair romance-client=romance-active,romance-former
"""


def _pair(text: str) -> tuple[str, list[str]]:
    old, sep, new = text.partition("=")
    news = [n.strip() for n in new.split(",") if n.strip()]
    if not sep or not old.strip() or not news:
        raise argparse.ArgumentTypeError(f"expected OLD_RULE=NEW_RULE[,NEW_RULE...], got {text!r}")
    return old.strip(), news


def add_command(sub: Subparsers) -> None:
    p = sub.add_parser(
        "diff",
        help="compare two policies: rules, what they find, and the findings on registries",
        description=textwrap.fill(
            "Compare an old policy with a new one: the rules added, removed and changed "
            "after composition; for each changed rule, whether the new one finds a "
            "superset, a subset, the same or neither of the old one's matches (by search, "
            "with the smallest example of each difference as a test case); and on each "
            "registry given, the findings that appear, disappear or change level or "
            "remediation. OLD and NEW are ruleset names or paths; --old and --new "
            "(repeatable, as check's -r) compose several, and then every argument is a "
            f"registry. Markdown shows people as pseudonyms keyed by {KEY_ENV}.",
            width=88,
        ),
        epilog=f"{_EXAMPLES}\n{DIFF_EXIT_CODES_HELP}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "args",
        nargs="*",
        metavar="OLD NEW [REGISTRY ...]",
        help="the old and new ruleset (name or path), then registries",
    )
    p.add_argument(
        "--old", action="append", default=[], metavar="RULESET", help="old ruleset (repeatable)"
    )
    p.add_argument(
        "--new", action="append", default=[], metavar="RULESET", help="new ruleset (repeatable)"
    )
    p.add_argument("--as-of", type=iso_date_arg, metavar="DATE", help="evaluation date YYYY-MM-DD")
    p.add_argument(
        "--format",
        "-f",
        choices=DIFF_FORMATS,
        default="text",
        metavar="FMT",
        help=f"output format: {', '.join(DIFF_FORMATS)} (default text)",
    )
    p.add_argument(
        "-o", "--output", metavar="FILE", help="write to FILE (atomically; - is standard output)"
    )
    p.add_argument(
        "--examples",
        type=positive_int_arg,
        default=DEFAULT_EXAMPLES,
        metavar="N",
        help=f"registries the search tries each way per rule (default {DEFAULT_EXAMPLES})",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the search (default 0)")
    p.add_argument(
        "--pair",
        type=_pair,
        action="append",
        default=[],
        metavar="OLD=NEW[,NEW]",
        help="compare an old rule with the new rules that take its place (a rule split in "
        "two); repeatable",
    )
    p.add_argument(
        "--no-semantic", action="store_true", help="skip the semantic comparison (the search)"
    )
    p.add_argument(
        "--git",
        metavar="REV",
        help="compare the NEW ruleset file with itself at git revision REV (then the "
        "arguments are NEW [REGISTRY ...]); for pre-commit and CI",
    )
    p.add_argument(
        "--exit-zero",
        action="store_true",
        help="exit 0 when the policies differ (a hook that shows the diff without failing)",
    )
    p.add_argument(
        "--reveal", action="store_true", help="show registry ids in markdown (sensitive!)"
    )
    p.set_defaults(handler=guarded(_diff, records=True))


def _at_revision(rev: str, refs: list[str], folder: Path) -> list[str]:
    """``refs`` as they were at ``rev``: the repository at ``rev`` is unpacked into
    ``folder`` (so a relative ``extends`` reads the base as it was too); a shipped name
    stays a name."""
    top = subprocess.run(
        ["git", "rev-parse", "--show-toplevel"], capture_output=True, text=True, check=False
    )
    if top.returncode != 0:
        raise InvalidArgument(f"--git {rev}: not in a git repository ({top.stderr.strip()})")
    root = Path(top.stdout.strip()).resolve()
    tar = subprocess.run(
        ["git", "archive", "--format=tar", rev], cwd=root, capture_output=True, check=False
    )
    if tar.returncode != 0:
        message = tar.stderr.decode(errors="replace").strip()
        raise InvalidArgument(f"--git {rev}: {message}")
    with tarfile.open(fileobj=io.BytesIO(tar.stdout)) as archive:
        archive.extractall(folder, filter="data")
    out: list[str] = []
    for ref in refs:
        path = Path(ref)
        if not path.exists():
            out.append(ref)  # a shipped ruleset's name
            continue
        try:
            rel = path.resolve().relative_to(root)
        except ValueError:
            raise InvalidArgument(f"--git {rev}: {ref} is not in the repository") from None
        if not (folder / rel).is_file():
            raise InvalidArgument(f"--git {rev}: {ref} did not exist at {rev}")
        out.append(str(folder / rel))
    return out


def _diff(args: argparse.Namespace) -> int:
    rest = list(args.args)
    old, new = list(args.old), list(args.new)
    if bool(old) != bool(new):
        sys.stderr.write("dualrel diff: error: give both --old and --new, or neither\n")
        return EXIT_INPUT
    if args.git is not None and old:
        sys.stderr.write("dualrel diff: error: --git takes NEW [REGISTRY ...], not --old/--new\n")
        return EXIT_INPUT
    with tempfile.TemporaryDirectory(prefix="dualrel-diff-") as folder:
        if args.git is not None:
            if not rest:
                sys.stderr.write("dualrel diff: error: give the ruleset to compare\n")
                return EXIT_INPUT
            new, rest = [rest[0]], rest[1:]
            old = _at_revision(args.git, new, Path(folder))
        elif not old:
            if len(rest) < 2:
                sys.stderr.write("dualrel diff: error: give the OLD and NEW rulesets\n")
                return EXIT_INPUT
            old, new, rest = [rest[0]], [rest[1]], rest[2:]
        result = diff_policies(
            old,
            new,
            rest,
            as_of=args.as_of,
            examples=args.examples,
            seed=args.seed,
            pairs=dict(args.pair),
            semantic=not args.no_semantic,
        )
    text = render_diff(result, args.format, reveal=args.reveal)
    if args.output in (None, "-") and sys.stdout.isatty():
        text = printable(text, keep="\n")  # ids and paths shown, never obeyed by a terminal
    emit(text, args.output)
    if args.output not in (None, "-"):
        sys.stderr.write(f"dualrel: wrote {args.output}\n")
    return EXIT_OK if args.exit_zero else result.exit_code()
