"""Markdown reports render whatever an id, path or title holds as text (issue 21, D10).

A GitHub job summary renders Markdown with raw HTML: an id holding ``<!--`` hid every later
finding, one holding ``<img src=...>`` fetched a URL.  markdown-it-py (CommonMark, with
GitHub's tables) parses the report here: no HTML, link or image token may come from an input.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from dualrel.check import run_check
from dualrel.findings import RulesetRef
from dualrel.report import CheckResult, Pseudonymizer, render
from tests.report.util import TEST_KEY, small_registry, write_registry

HOSTILE = (
    "r1 <img src=https://attacker.example/px.png> <!--",
    "![x](https://attacker.example/px.png)",
    "[click](https://attacker.example/)",
    "<https://attacker.example/>",
    "a | b ` c `` d",
    "&lt;b&gt; &amp; <b>bold</b>",
    "line\nbreak\r\n# heading",
)


@pytest.fixture
def hostile(tmp_path: Path) -> CheckResult:
    """A romance per hostile tie id (each one a finding), revealed ids in the report."""
    ties = [
        {"id": tid, "kind": "romance", "source": "cl1", "target": "co1", "start": "2026-01-01"}
        for tid in HOSTILE
    ]
    return run_check(write_registry(tmp_path / "reg.json", small_registry(ties)))


def hostile_everywhere(result: CheckResult) -> CheckResult:
    """Hostile text also in the title, ruleset, rule id and registry path."""
    f = result.findings[0]
    odd = replace(
        f,
        finding=replace(
            f.finding,
            title="Title <!-- [x](http://a.example)",
            ruleset=RulesetRef("rs`<b>`|x", "1 <i>"),
            rule="rule`|`<img src=x>",
        ),
    )
    registry = replace(result.registry, path="reg`|<!--.json")
    return replace(result, findings=(odd, *result.findings[1:]), registry=registry)


def test_hostile_ids_are_escaped_in_the_text(hostile: CheckResult) -> None:
    out = render(hostile, "markdown", reveal=True)
    assert "<img" not in out and "<!--" not in out and "<b>" not in out
    assert "](" not in out.replace("\\](", "")
    assert "&lt;img src=https://attacker.example/px.png&gt; &lt;!--" in out
    rows = [line for line in out.splitlines() if line.startswith("| 3 |")]
    assert len(rows) == len(HOSTILE)
    # every finding row still has its seven cells: no | of an id splits one
    assert all(len(_cells(line)) == 7 for line in rows)


def _cells(line: str) -> list[str]:
    out, cell, escaped = [], "", False
    for ch in line.strip()[1:-1]:
        if ch == "|" and not escaped:
            out.append(cell)
            cell = ""
        else:
            cell += ch
        escaped = ch == "\\" and not escaped
    return [*out, cell]


@pytest.mark.parametrize("reveal", (True, False))
def test_a_markdown_parser_sees_no_html_link_or_image(hostile: CheckResult, reveal: bool) -> None:
    markdown_it = pytest.importorskip("markdown_it")
    md = markdown_it.MarkdownIt("commonmark").enable("table")
    result = hostile_everywhere(hostile)
    out = render(
        result, "markdown", reveal=reveal, pseudonymizer=Pseudonymizer(TEST_KEY.encode(), "env")
    )
    tokens = md.parse(out)
    inline = [c for t in tokens for c in (t.children or [])]
    kinds = {t.type for t in tokens} | {c.type for c in inline}
    # the report's own markup: the <details> block of the findings per rule
    html = [t.content.strip() for t in tokens if t.type == "html_block"]
    assert html == ["<details><summary>Findings per rule</summary>", "</details>"]
    assert not kinds & {"html_inline", "link_open", "image"}
    assert sum(t.type == "heading_open" for t in tokens) == 2  # ## dualrel check, ### Findings
    # one table row per finding, each with its seven cells
    body = md.render(out)
    assert body.count("<tr>") == 1 + 3 + 1 + len(HOSTILE) + 1 + len(result.by_rule())
    text = "".join(c.content for c in inline if c.type in ("text", "code_inline"))
    if reveal:
        for tid in HOSTILE[:5]:
            assert tid in text
    assert "rule`|`<img src=x>" in text and "reg`|<!--.json" in text


def test_gitlab_issue_bodies_render_ids_as_text(hostile: CheckResult) -> None:
    # GitLab renders each Code Quality issue's content.body as Markdown
    markdown_it = pytest.importorskip("markdown_it")
    md = markdown_it.MarkdownIt("commonmark")
    result = hostile_everywhere(hostile)
    issues = json.loads(render(result, "gitlab", reveal=True))
    assert len(issues) == len(result.findings)
    for issue in issues:
        tokens = md.parse(issue["content"]["body"])
        kinds = {c.type for t in tokens for c in (t.children or [])} | {t.type for t in tokens}
        assert not kinds & {"html_inline", "html_block", "link_open", "image"}, issue["content"]
