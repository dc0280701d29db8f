"""Lines of many problems in one JSON document: exact, and the newlines found once."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dualrel.graph import _json

from .helpers import PEOPLE, document, problems_of


def test_many_field_problems_each_on_its_line_with_one_scan_of_the_newlines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the report: a thousand problems near the end of a 53 MB document took 74 s,
    # the line of each counted from the start of the text
    scans: list[int] = []
    real = _json._newline_offsets

    def counted(text: str) -> Any:
        scans.append(len(text))
        return real(text)

    monkeypatch.setattr(_json, "_newline_offsets", counted)
    ties = [
        {"id": f"t{i}", "kind": "coaching", "source": "co001", "target": "cl0001",
         "start": "2025-03-01", "end": f"2020-01-{i % 28 + 1:02d}"}
        for i in range(60)
    ]  # fmt: skip
    doc = document(PEOPLE, ties, zz_one=1, zz_two=2)
    path = tmp_path / "pretty.json"
    path.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    lines = path.read_text(encoding="utf-8").splitlines()
    problems = problems_of(path)

    def line_of(start: int, needle: str) -> int:
        return next(i for i, text in enumerate(lines, 1) if i > start and needle in text)

    ends = sorted(
        ((p.pointer, p.line) for p in problems if p.code == "end-before-start"),
        key=lambda pl: int(str(pl[0]).split("/")[2]),
    )
    assert len(ends) == len(ties)
    for i, (pointer, line) in enumerate(ends):
        tie_line = line_of(0, f'"id": "t{i}"')
        assert (pointer, line) == (f"/ties/{i}/end", line_of(tie_line, '"end": "2020'))
    unknown = {p.pointer: p.line for p in problems if p.code == "unknown-field"}
    assert unknown == {"/zz_one": line_of(0, '"zz_one"'), "/zz_two": line_of(0, '"zz_two"')}
    assert len(scans) == 1
