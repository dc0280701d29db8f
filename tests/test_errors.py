"""The problem codes: one closed set, each documented, every code built at run time in it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import get_args

from dualrel.errors import ProblemCode
from dualrel.graph.practice import PRACTICE_SECTIONS

DOCS = Path(__file__).parent.parent / "docs" / "errors.md"


def documented() -> list[str]:
    return re.findall(r"^\| `([a-z-]+)` \|", DOCS.read_text(encoding="utf-8"), re.MULTILINE)


def test_the_docs_list_exactly_the_problem_codes():
    codes = documented()
    assert len(codes) == len(set(codes)), "a code is listed twice"
    assert set(codes) == set(get_args(ProblemCode))


def test_the_docs_list_the_codes_in_order():
    assert documented() == sorted(documented())


def test_codes_built_at_run_time_are_in_the_set():
    # the readers build these from the section or the record kind (graph/_practice_reader.py,
    # graph/_csv.py): a type checker cannot see them, this test does
    codes = set(get_args(ProblemCode))
    built = {"duplicate-" + what.replace("_", "-") for what in PRACTICE_SECTIONS.values()}
    built |= {"duplicate-person", "duplicate-tie"}
    assert built <= codes


def test_the_warnings_named_in_the_introduction_are_the_documented_warnings():
    text = DOCS.read_text(encoding="utf-8")
    intro = re.search(r"Most codes are\s+errors;(.*?)are\s+warnings", text, re.S)
    assert intro is not None
    named = set(re.findall(r"`([a-z-]+)`", intro.group(1)))
    rows = re.findall(r"^\| `([a-z-]+)` \| [^|]+ \| warning", text, re.MULTILINE)
    assert named == set(rows) and {"baseline-registry", "as-of-today"} <= named
