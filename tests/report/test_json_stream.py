"""The JSON report written in parts: the same bytes as one piece, never held whole."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from pathlib import Path

import pytest

import dualrel.cli.outputs
from dualrel._internal.atomic import write_atomic_parts
from dualrel.check import run_check
from dualrel.cli import main
from dualrel.report import CheckResult, People, json_report, render, render_parts
from tests.report.util import EXAMPLE


@pytest.fixture(scope="module")
def practice() -> CheckResult:
    return run_check(EXAMPLE, ["coaching-core", "coaching-practice"], reveal=True)


@pytest.mark.parametrize("batch", [1, 2, 7, 1000])
@pytest.mark.parametrize("reveal", [False, True])
def test_parts_join_to_the_rendered_report(practice: CheckResult, batch: int, reveal: bool) -> None:
    people = People(names=practice.names if reveal else {})
    parts = list(json_report.stream(practice, people, batch))
    n = len(practice.findings)
    assert len(parts) == -(-n // batch) + 2  # the head, each batch, the tail
    text = b"".join(parts).decode()
    assert text == render(practice, "json", reveal=reveal)
    assert len(json.loads(text)["findings"]) == n


def test_a_report_without_findings_is_one_part(practice: CheckResult) -> None:
    empty = dataclasses.replace(practice, findings=())
    parts = list(json_report.stream(empty, People()))
    assert len(parts) == 1
    assert json.loads(parts[0])["findings"] == []
    validated = json_report.document(empty).model_dump_json(indent=2) + "\n"
    assert parts[0].decode() == validated


def test_formats_without_a_stream_give_their_text_as_one_part(practice: CheckResult) -> None:
    parts = list(render_parts(practice, "text"))
    assert parts == [render(practice, "text").encode()]


def test_findings_share_the_dict_of_a_tie_they_both_cite(practice: CheckResult) -> None:
    data = json_report.document_data(practice)
    seen: dict[str, dict[str, object]] = {}
    shared = 0
    for f in data["findings"]:
        for t in f["evidence_ties"]:
            if t["id"] in seen:
                assert t is seen[t["id"]]
                shared += 1
            seen.setdefault(t["id"], t)
    assert shared > 0


def test_the_command_writes_the_json_report_in_parts(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, practice: CheckResult
) -> None:
    monkeypatch.setattr(json_report, "BATCH", 3)
    sizes: list[int] = []

    def recording(path: str, parts: Iterable[bytes]) -> None:
        def each() -> Iterable[bytes]:
            for part in parts:
                sizes.append(len(part))
                yield part

        write_atomic_parts(path, each())

    monkeypatch.setattr(dualrel.cli.outputs, "write_atomic_parts", recording)
    out = tmp_path / "r.json"
    argv = ["check", str(EXAMPLE), "-r", "coaching-core", "-r", "coaching-practice"]
    assert main([*argv, "--format", "json", "-o", str(out)]) == 1
    text = out.read_text(encoding="utf-8")
    assert len(sizes) == -(-len(practice.findings) // 3) + 2
    # the last part holds the rules in use, as many whatever the findings
    assert max(sizes[:-1]) < len(text) / 4
    assert text == render(run_check(EXAMPLE, ["coaching-core", "coaching-practice"]), "json")
