"""The reports one run writes: ``--format``, ``-o FILE`` and ``-o FORMAT=PATH`` (private).

One evaluation, many outputs: ``check`` (and ``render``) parse their output options into
:class:`Output` values, check all of them before anything is evaluated (a missing
folder, two outputs to one path, a key too short for a shared format, ``--templates``
without html, a ``--pseudonym-map`` with nothing to map) and then write each one
atomically.  Every shared format of a run uses one pseudonym key, so an alias means the
same person in the SARIF, JUnit and Markdown reports of one run even without
``DUALREL_PSEUDONYM_KEY``.

A repeated ``--format`` is an error: two reports on standard output would run together
into one stream no reader could take apart; each extra format needs a path of its own,
``-o FORMAT=PATH``.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from dualrel._internal.atomic import write_atomic_parts
from dualrel._internal.gc import gc_paused
from dualrel._internal.suggest import did_you_mean
from dualrel._internal.terminal import printable
from dualrel.cli._shared import emit
from dualrel.errors import InvalidArgument
from dualrel.findings import CheckResult
from dualrel.report import (
    FORMATS,
    KEY_ENV,
    Pseudonymizer,
    render,
    render_parts,
    write_pseudonym_map,
)

__all__ = [
    "Output",
    "OutputPlan",
    "add_output_options",
    "check_outputs",
    "parse_output",
    "plan_outputs",
    "write_outputs",
]

#: A word before ``=`` that is meant as a format (a file name rarely is one word without
#: a dot or a slash; ``./name=x`` writes a file of that name)
_FORMAT_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")


@dataclass(frozen=True, slots=True)
class Output:
    """One report to write: its format and path (``None``: standard output)."""

    format: str
    path: str | None = None

    def describe(self) -> str:
        return f"{self.format}={self.path if self.path is not None else '-'}"


@dataclass(frozen=True, slots=True)
class OutputPlan:
    """Every report of a run, checked, and the one key its shared formats use."""

    outputs: tuple[Output, ...]
    pseudonymizer: Pseudonymizer | None


def parse_output(text: str) -> tuple[str | None, str]:
    """``-o`` as given: ``(format, path)`` for ``FORMAT=PATH``, ``(None, path)`` for a
    plain ``FILE`` (the path of ``--format``).  ``-`` is standard output.  Raises
    :class:`InvalidArgument` for an unknown format or an empty path.

    >>> parse_output("sarif=out/dualrel.sarif"), parse_output("report.txt")
    (('sarif', 'out/dualrel.sarif'), (None, 'report.txt'))
    >>> parse_output("./json=x")
    (None, './json=x')
    """
    word, eq, path = text.partition("=")
    if eq and _FORMAT_WORD.fullmatch(word):
        if word not in FORMATS:
            raise InvalidArgument(
                f"-o {text}: unknown format {word!r}{did_you_mean(word, FORMATS)}; choose one "
                f"of {', '.join(FORMATS)} (a file whose name has '=' in it: ./{text})"
            )
        if not path:
            raise InvalidArgument(f"-o {text}: no path after '=' (- is standard output)")
        return word, path
    return None, text


class _Once(argparse.Action):
    """``--format``: given at most once (see the module docstring for why)."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        before = getattr(namespace, self.dest, None)
        if before is not None:
            parser.error(
                f"--format given twice ({before}, {values}): one report goes to standard "
                "output or -o FILE; write each other format with -o FORMAT=PATH"
            )
        setattr(namespace, self.dest, values)


def add_output_options(p: argparse.ArgumentParser, *, default_help: str = "text") -> None:
    """``--format`` and ``-o`` (repeatable) of a command that writes reports."""
    p.add_argument(
        "--format",
        "-f",
        choices=list(FORMATS),
        action=_Once,
        metavar="FMT",
        help=f"output format: {', '.join(FORMATS)} (default {default_help})",
    )
    p.add_argument(
        "-o",
        "--output",
        dest="outputs",
        action="append",
        default=[],
        metavar="FILE|FMT=PATH",
        help="write the report to FILE instead of standard output; FMT=PATH writes one more "
        "report in format FMT (repeatable: one evaluation, many reports). Each is written "
        "atomically; - is standard output",
    )


def plan_outputs(
    args: argparse.Namespace,
    *,
    configured: Sequence[Output] = (),
    default: str = "text",
    pseudonym_map: str | None = None,
    templates: str | None = None,
) -> OutputPlan:
    """The outputs ``args`` name, checked (:func:`check_outputs`), in the order given:
    ``--format`` with its ``-o FILE`` first (standard output without one), then each
    ``-o FORMAT=PATH``.  Outputs named on the command line replace the ``configured``
    ones; with none at all, ``default`` goes to standard output.  Every problem is raised
    at once, as one :class:`InvalidArgument`."""
    fmt: str | None = args.format
    problems: list[str] = []
    plain: list[str] = []
    extra: list[Output] = []
    for text in args.outputs:
        try:
            word, path = parse_output(text)
        except InvalidArgument as exc:
            problems.append(str(exc))
            continue
        if word is None:
            plain.append(path)
        else:
            extra.append(Output(word, path))
    if len(plain) > 1:
        problems.append(
            f"-o given {len(plain)} files without a format ({', '.join(plain)}): name the "
            "format of each extra one, -o FORMAT=PATH"
        )
    if fmt is None and not args.outputs:
        outputs = tuple(configured) or (Output(default),)
    else:
        head = [Output(fmt or default, plain[0] if plain else None)] if fmt or plain else []
        outputs = tuple(head + extra)
    return check_outputs(
        outputs,
        reveal=args.reveal,
        pseudonym_map=pseudonym_map,
        templates=templates,
        problems=problems,
    )


def _same_file(a: str, b: str) -> bool:
    return os.path.realpath(a) == os.path.realpath(b)


def check_outputs(
    outputs: Sequence[Output],
    *,
    reveal: bool,
    pseudonym_map: str | None = None,
    templates: str | None = None,
    problems: Sequence[str] = (),
) -> OutputPlan:
    """Refuse, before any evaluation, what would fail after it: every problem of the
    outputs (and the ``problems`` found before) at once, exit 2.  Returns the plan with
    the key of the shared formats (``None`` when there are none or ``reveal``), read once
    for all of them."""
    problems = list(problems)
    seen: dict[str, Output] = {}
    for out in outputs:
        key = "-" if out.path in (None, "-") else os.path.realpath(out.path or "")
        if key in seen:
            where = "standard output" if key == "-" else repr(out.path)
            problems.append(
                f"{seen[key].describe()} and {out.describe()} both write to {where}: give "
                "each report a path of its own"
            )
            continue
        seen[key] = out
        if key != "-" and out.path is not None:
            problems += _path_problems(out.path)
    formats = [o.format for o in outputs]
    if templates is not None and "html" not in formats:
        problems.append(f"--templates applies to an html report only, not {', '.join(formats)}")
    shared = [f for f in formats if FORMATS[f].shared] if not reveal else []
    if pseudonym_map is not None:
        if not shared:
            names = ", ".join(name for name, fmt in FORMATS.items() if fmt.shared)
            problems.append(
                f"--pseudonym-map: the {', '.join(formats)} report shows ids as they are "
                + ("(--reveal)" if reveal else f"(use {names})")
                + ", there is nothing to map"
            )
        for out in outputs:
            if out.path not in (None, "-") and _same_file(out.path or "", pseudonym_map):
                problems.append(
                    f"--pseudonym-map and -o {out.describe()} name the same file: the map "
                    "must never travel with the shareable report"
                )
        problems += _path_problems(pseudonym_map)
    if len(problems) == 1:
        raise InvalidArgument(problems[0])
    if problems:
        raise InvalidArgument(
            f"{len(problems)} problems with the outputs:\n" + "\n".join(f"  {p}" for p in problems)
        )
    pseudo = Pseudonymizer.from_env() if shared else None
    if pseudonym_map is not None and pseudo is not None and pseudo.source != "env":
        raise InvalidArgument(
            f"--pseudonym-map needs {KEY_ENV}: with a random key per run the map would fit "
            "this one report only"
        )
    return OutputPlan(tuple(outputs), pseudo)


def _path_problems(path: str) -> list[str]:
    """Why ``path`` cannot be written, as far as can be told without writing it: a folder
    that does not exist (or is not a folder), or a folder where the file should be."""
    if os.path.isdir(path):
        return [f"{path}: is a directory, not a report file"]
    folder = os.path.dirname(path) or "."
    if not os.path.exists(folder):
        return [f"{path}: no such directory {folder!r} (create it first)"]
    if not os.path.isdir(folder):
        return [f"{path}: {folder!r} is not a directory"]
    return []


def write_outputs(
    result: CheckResult,
    plan: OutputPlan,
    *,
    reveal: bool,
    templates: str | None = None,
    pseudonym_map: str | None = None,
    report: Callable[[str], object] | None = None,
    quiet: bool = False,
) -> None:
    """Render and write each output of ``plan`` (files atomically), then the pseudonym
    map; ``report`` is told of each file written (``dualrel: wrote ...``); ``quiet``
    leaves the map unannounced too."""
    for out in plan.outputs:
        to_stdout = out.path in (None, "-")
        colour = out.path is None and sys.stdout.isatty() and not os.environ.get("NO_COLOR")
        with gc_paused():
            if not to_stdout:  # in parts where the format can: a large report never whole
                assert out.path is not None
                write_atomic_parts(
                    out.path,
                    render_parts(
                        result,
                        out.format,
                        reveal=reveal,
                        pseudonymizer=plan.pseudonymizer,
                        templates=templates if out.format == "html" else None,
                    ),
                )
                if report is not None:
                    report(out.path)
                continue
            text = render(
                result,
                out.format,
                reveal=reveal,
                pseudonymizer=plan.pseudonymizer,
                colour=colour,
                templates=templates if out.format == "html" else None,
            )
        if out.format != "text" and sys.stdout.isatty():
            # text escapes its lines itself (and may be in colour); the file formats are
            # written as they are to files and pipes, but never obeyed by a terminal
            text = printable(text, keep="\n")
        emit(text, out.path)
    if pseudonym_map is not None and plan.pseudonymizer is not None:
        mapped = write_pseudonym_map(pseudonym_map, result, plan.pseudonymizer)
        if not quiet:
            sys.stderr.write(
                printable(
                    f"dualrel: wrote {pseudonym_map} ({mapped} pseudonym(s); keep it apart from "
                    "the report)"
                )
                + "\n"
            )
