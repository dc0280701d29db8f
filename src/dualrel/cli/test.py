"""``dualrel test``: run ruleset test cases, properties, coverage and mutation checks.

The runner, the mutants and the properties are :mod:`dualrel.testing`'s; hypothesis is
imported only for ``--properties``.
"""

from __future__ import annotations

import argparse
import sys

from dualrel._internal.terminal import PrintableStream
from dualrel.cli._shared import (
    EXIT_FINDINGS,
    EXIT_INPUT,
    EXIT_OK,
    Subparsers,
    guarded,
    print_problems,
)
from dualrel.testing.mutate import run_mutants
from dualrel.testing.runner import CaseResult, TestResults, format_case_result, run_tests

__all__ = ["TEST_EXIT_CODES_HELP", "add_command"]

TEST_EXIT_CODES_HELP = f"""\
exit codes:
  {EXIT_OK}  every case passed (and, when asked, every property held, every rule is covered and
     no mutant survived)
  {EXIT_FINDINGS}  a case failed, a property broke, a rule lacks a positive or negative case
     (--require-coverage) or a mutant survived (--mutate)
  {EXIT_INPUT}  an invalid test case file or ruleset, or nothing to run; every problem is printed
     to stderr as FILE:LINE: CODE: MESSAGE
"""


def add_command(sub: Subparsers) -> None:
    p = sub.add_parser(
        "test",
        help="run a ruleset's test cases (and properties, coverage, mutation checks)",
        description="Run the test cases of rulesets: case files, folders of them, ruleset "
        "files or shipped ruleset names (their tests/<name>/ folder). Without a target: "
        "rulesets/ here, else every shipped ruleset. Prints a line per case and a summary.",
        epilog=TEST_EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "targets",
        metavar="RULESET|DIR|FILE",
        nargs="*",
        help="case file, folder, ruleset file or shipped ruleset name",
    )
    p.add_argument(
        "-v", "--verbose", action="store_true", help="show the findings of passing cases too"
    )
    p.add_argument("-q", "--quiet", action="store_true", help="print failures and the summary only")
    p.add_argument(
        "--coverage",
        action="store_true",
        help="list, per rule, the cases that made it fire and that checked it does not",
    )
    p.add_argument(
        "--require-coverage",
        action="store_true",
        help="fail when a rule has no positive or no negative case",
    )
    p.add_argument(
        "--mutate",
        action="store_true",
        help="change each rule in small ways and report changes no case catches",
    )
    p.add_argument(
        "--properties",
        action="store_true",
        help="check the built-in properties of each ruleset with hypothesis (a test "
        "extra: pip install 'dualrel[test]')",
    )
    p.add_argument("--seed", type=int, default=0, help="hypothesis seed for --properties (0)")
    p.add_argument(
        "--examples",
        type=int,
        default=None,
        metavar="N",
        help="examples per property for --properties (default 50)",
    )
    p.add_argument(
        "--save-failures",
        metavar="DIR",
        default=None,
        help="write each property's shrunk failing registry to DIR as JSON",
    )
    p.set_defaults(handler=guarded(_test, records=False))


#: What to install for ``--properties`` (hypothesis is a test extra, not a dependency).
PROPERTIES_EXTRA = "pip install 'dualrel[test]'"


def _test(args: argparse.Namespace) -> int:
    if args.properties and not _hypothesis_installed():
        # refused before the cases run: their output would end in this error anyway
        sys.stderr.write(
            f"dualrel: --properties needs hypothesis, which is not installed: {PROPERTIES_EXTRA}\n"
        )
        return EXIT_INPUT
    out = PrintableStream(sys.stdout)

    def show(result: CaseResult) -> None:
        if args.quiet and result.outcome == "pass":
            return
        out.write(format_case_result(result, verbose=args.verbose) + "\n")

    results = run_tests(args.targets, on_result=show)
    if results.problems:
        # case files' problems are printed and counted alike, whatever their severity
        print_problems(results.problems, by_severity=False)
        return EXIT_INPUT
    if not results.results:
        sys.stderr.write("dualrel: no test cases found\n")
        return EXIT_INPUT
    gaps = f", {results.known_gaps} known gap(s)" if results.known_gaps else ""
    out.write(
        f"\n{results.passed} passed, {results.failed} failed{gaps} "
        f"({len(results.files)} file(s), {len(results.rulesets)} ruleset(s))\n"
    )
    code = results.exit_code
    if args.coverage or args.require_coverage:
        code = max(code, _coverage(results, args.require_coverage))
    if args.mutate:
        code = max(code, _mutate(results))
    if args.properties:
        code = max(code, _properties(results, args))
    return code


def _coverage(results: TestResults, required: bool) -> int:
    out = PrintableStream(sys.stdout)
    out.write("\nrule coverage (cases that made the rule fire / that checked it does not):\n")
    lacking = 0
    for cov in results.coverage():
        mark = "ok  " if cov.covered else "MISS"
        lacking += not cov.covered
        out.write(
            f"  {mark} {cov.ruleset}/{cov.rule}: {len(cov.positive)} positive, "
            f"{len(cov.negative)} negative\n"
        )
        if not cov.positive:
            out.write("         no case makes this rule fire and expects it\n")
        if not cov.negative:
            out.write("         no case checks that this rule does not fire on a near miss\n")
    total = len(results.coverage())
    out.write(f"{total - lacking} of {total} rules covered\n")
    return EXIT_FINDINGS if required and lacking else EXIT_OK


def _mutate(results: TestResults) -> int:
    out = PrintableStream(sys.stdout)
    if results.failed:
        out.write("\nmutation check skipped: fix the failing cases first\n")
        return EXIT_FINDINGS
    report = run_mutants(results)
    out.write("\nmutation check:\n")
    if report.survivors:
        out.write("  each SURVIVED line is a change to a rule that no case notices:\n")
    for r in report.survivors:
        out.write(
            f"  SURVIVED {r.ruleset}/{r.mutant.rule}: {r.mutant.description}  [{r.mutant.id}]\n"
        )
    for r in report.wrongly_accepted:
        out.write(
            f"  NOT EQUIVALENT {r.ruleset}/{r.mutant.rule}: {r.mutant.description}  "
            f"[{r.mutant.id}]: accepted as equivalent, but {r.killed_by} notices it\n"
        )
    accepted: dict[str, int] = {}
    for r in report.accepted:
        accepted[r.ruleset] = accepted.get(r.ruleset, 0) + 1
    for ruleset, (total, killed, survived) in report.counts().items():
        same = f", {accepted[ruleset]} accepted as equivalent" if ruleset in accepted else ""
        out.write(f"  {ruleset}: {total} mutants, {killed} killed, {survived} survived{same}\n")
    return EXIT_OK if report.ok else EXIT_FINDINGS


def _hypothesis_installed() -> bool:
    try:
        import hypothesis  # noqa: F401, PLC0415 (needed only for --properties)
    except ImportError:
        return False
    return True


def _properties(results: TestResults, args: argparse.Namespace) -> int:
    # hypothesis is needed only here (and is there: _test asked first)
    from dualrel.testing.properties import (  # noqa: PLC0415
        check_properties,
        format_property_result,
        unchecked_rules,
    )

    out = PrintableStream(sys.stdout)
    out.write(f"\nproperties (seed {args.seed}):\n")
    code = EXIT_OK
    for ref, ruleset in results.rulesets.items():
        for res in check_properties(
            ruleset, seed=args.seed, max_examples=args.examples, save_failures=args.save_failures
        ):
            out.write(format_property_result(res) + "\n")
            if not res.passed:
                code = EXIT_FINDINGS
        for u in unchecked_rules(ruleset):
            if not u.never_fires:  # those fail satisfiability, named there
                out.write(f"  not checked: {u.ruleset}/{u.rule}: {u.reason}\n")
        del ref
    return code
