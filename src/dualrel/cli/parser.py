"""The argument parser of every command (private): "did you mean" for a mistyped choice,
and help text wrapped to the terminal.

The subcommands' parsers are made by :meth:`argparse._SubParsersAction.add_parser`,
which builds them with the class of the parser that holds them, so one subclass reaches
every command.  Their descriptions and epilogs keep the lines they were written with
(tables of formats and exit codes), and a line wider than the terminal is wrapped under
its own text rather than left to the terminal to break.
"""

from __future__ import annotations

import argparse
import re
import textwrap
from typing import NoReturn

from dualrel._internal.suggest import did_you_mean

__all__ = ["Formatter", "Parser"]

_INVALID_CHOICE = re.compile(r"invalid choice: '([^']*)' \(choose from (.*)\)$", re.DOTALL)
#: ``  name      text`` or ``  2  text``: a wrapped line continues under ``text``
_HANGING = re.compile(r"\s*(?:\S+ {2,})?")


class Formatter(argparse.RawDescriptionHelpFormatter):
    """Descriptions and epilogs as written, each line wider than the terminal wrapped
    with a hanging indent."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        out = [
            indent + block[0]
            if len(block) == 1 and len(indent) + len(block[0]) <= width
            else _fill(block, width, indent)
            for block in _blocks(text.splitlines())
        ]
        return "\n".join(out) + ("\n" if text.endswith("\n") else "")


def _margin(line: str) -> int:
    return len(line) - len(line.lstrip())


def _hang(line: str) -> int:
    found = _HANGING.match(line)
    return found.end() if found is not None else _margin(line)


def _heading(line: str) -> bool:
    """``exit codes:``: a short line ending with a colon, the title of what follows."""
    return line.rstrip().endswith(":") and len(line.strip()) < 40


def _blocks(lines: list[str]) -> list[list[str]]:
    """Lines as written, grouped into what was wrapped by hand: an entry of a table
    (``  name      text``) with the lines under its text, or a paragraph at the margin;
    an example line, a heading (``formats:``) or a blank line stands alone."""
    blocks: list[list[str]] = []
    for line in lines:
        if blocks and line.strip() and not _heading(line):
            first = blocks[-1][0]
            hang, margin = _hang(first), _margin(first)
            if (
                _margin(line) == hang
                and (hang > margin or margin == 0)
                and first.strip()
                and not _heading(blocks[-1][-1])
            ):
                blocks[-1].append(line)
                continue
        blocks.append([line])
    return blocks


def _fill(block: list[str], width: int, indent: str) -> str:
    """One block filled to ``width``, continuing under its text (or a little right of its
    start when the text begins too far right to leave room, or the line is no entry)."""
    first = block[0]
    under = _hang(first)
    if under > width // 2 or (under == _margin(first) and under > 0):
        under = _margin(first) + 4  # an example or a long entry: its rest set in under it
    joined = " ".join([first.rstrip(), *(line.strip() for line in block[1:])])
    return textwrap.fill(
        joined,
        width,
        initial_indent=indent,
        subsequent_indent=indent + " " * under,
        break_on_hyphens=False,
        break_long_words=False,
    )


class Parser(argparse.ArgumentParser):
    """An :class:`argparse.ArgumentParser` whose "invalid choice" error names the closest
    choices, and whose help is laid out by :class:`Formatter`."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        given = kwargs.get("formatter_class")
        if given is None or given is argparse.RawDescriptionHelpFormatter:
            kwargs["formatter_class"] = Formatter
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def error(self, message: str) -> NoReturn:
        found = _INVALID_CHOICE.search(message)
        if found is not None:
            choices = re.findall(r"'([^']*)'", found.group(2))
            hint = did_you_mean(found.group(1), choices)
            if hint:
                message = message[: found.start()] + (
                    f"invalid choice: {found.group(1)!r}{hint}; choose from {found.group(2)}"
                )
        super().error(message)
