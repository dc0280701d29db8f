"""The HTML page as text: self-contained, escaped, its data complete, its templates
replaceable; the pseudonym map beside it.  ``test_html_browser.py`` opens it in Chromium."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import stat
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from dualrel.check import run_check
from dualrel.cli import main
from dualrel.errors import InvalidArgument
from dualrel.report import (
    CheckResult,
    Pseudonymizer,
    pseudonym_map,
    render,
    write_pseudonym_map,
)
from dualrel.report.html_report import KIND_COLOURS, TEMPLATE_FILES
from tests.report.util import EXAMPLE, KEY

TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "dualrel" / "report" / "templates"


@pytest.fixture(scope="module")
def practice() -> CheckResult:
    """The example checked with the practice records' rules too."""
    return run_check(EXAMPLE, ["coaching-core", "coaching-practice"])


def page_data(page: str) -> dict[str, Any]:
    match = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', page)
    assert match, "no data block"
    data: dict[str, Any] = json.loads(match.group(1))
    return data


def test_self_contained_nothing_fetched(practice: CheckResult, pseudo: Pseudonymizer) -> None:
    page = render(practice, "html", pseudonymizer=pseudo)
    assert page.startswith("<!DOCTYPE html>")
    # the SVG namespace is a name, never fetched; every link stays inside the page
    without_ns = page.replace("'http://www.w3.org/2000/svg'", "")
    assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/|@import|url\((?!#)", without_ns)
    assert not re.search(r"\ssrc\s*=", page)
    assert re.findall(r'href="([^"]*)"', page) and all(
        h.startswith("#") for h in re.findall(r'href="([^"]*)"', page)
    )
    csp = re.search(r'Content-Security-Policy" content="([^"]*)"', page)
    assert csp and "default-src 'none'" in csp.group(1)
    # the only script allowed is the page's own, by its hash
    scripts = re.findall(r"<script>(.*?)</script>", page, re.S)
    assert len(scripts) == 1
    digest = base64.b64encode(hashlib.sha256(scripts[0].encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in csp.group(1)


def test_data_holds_every_finding_in_order(practice: CheckResult, pseudo: Pseudonymizer) -> None:
    page = render(practice, "html", pseudonymizer=pseudo)
    data = page_data(page)
    assert [f["fp"] for f in data["findings"]] == [f.finding.fingerprint for f in practice.findings]
    assert data["asOf"] == practice.as_of.isoformat()
    romance = next(f for f in data["findings"] if f["rule"].endswith("/romance-active-client"))
    assert [t["id"] for t in romance["ties"]] == ["t015", "t071"]
    assert data["kindColours"]["romance"] == KIND_COLOURS["romance"]
    assert romance["steps"][0]["due"] == "2026-11-26" and not romance["steps"][0]["overdue"]
    # grouped by level, each level in the contents and as a section, highest first
    levels = [int(x) for x in re.findall(r'<section class="level" id="level-(\d)"', page)]
    assert levels == [3, 2, 1]
    for level, n in practice.by_level().items():
        assert f'data-level-count="{level}">{n}<' in page


def test_evidence_lists_practice_records(practice: CheckResult, pseudo: Pseudonymizer) -> None:
    """The page used to drop records: ``assessment-without-consent`` had an empty Evidence."""
    data = page_data(render(practice, "html", pseudonymizer=pseudo))
    found = [f for f in data["findings"] if f["rule"].endswith("/assessment-without-consent")]
    assert found
    records = {r["id"]: r["dates"] for f in found for r in f["records"]}
    assert records["assessments/as-02"] == [["date", "2025-05-10"]]
    assert "assessments/as-02" in render(practice, "text")  # what the page now matches


def test_records_without_dates_still_listed(practice: CheckResult, pseudo: Pseudonymizer) -> None:
    """A result made elsewhere (no dated records) still lists every record it cites."""
    bare = replace(practice, findings=tuple(replace(f, records=()) for f in practice.findings))
    data = page_data(render(bare, "html", pseudonymizer=pseudo))
    ids = [r["id"] for f in data["findings"] for r in f["records"]]
    assert "assessments/as-02" in ids
    assert all(r["dates"] == [] for f in data["findings"] for r in f["records"])


def test_text_cannot_escape(practice: CheckResult, pseudo: Pseudonymizer) -> None:
    f = practice.findings[0]
    nasty = "</script><script>alert(1)</script> <b>x</b> \u2028"
    odd = replace(f, finding=replace(f.finding, title=nasty))
    reg = replace(practice.registry, path="<img onerror=x>.json")
    page = render(replace(practice, findings=(odd,), registry=reg), "html", pseudonymizer=pseudo)
    assert "<script>alert" not in page and "<b>x" not in page and "<img" not in page
    assert "&lt;img onerror=x&gt;.json" in page
    assert page_data(page)["findings"][0]["title"] == nasty


def test_no_raw_ids_in_the_shared_page(practice: CheckResult, pseudo: Pseudonymizer) -> None:
    page = render(practice, "html", pseudonymizer=pseudo)
    ids = pseudonym_map(practice, pseudo).values()
    assert ids
    for pid in ids:
        assert not re.search(rf"\b{re.escape(pid)}\b", page), pid
    assert pseudo.alias("co001") in page


def test_names_only_when_revealed(practice: CheckResult, pseudo: Pseudonymizer) -> None:
    revealed = run_check(EXAMPLE, ["coaching-core"], reveal=True)
    assert page_data(render(revealed, "html", pseudonymizer=pseudo))["names"] == {}
    data = page_data(render(revealed, "html", reveal=True))
    ends = {p for f in revealed.findings for t in f.ties for p in (t.source, t.target)}
    assert data["names"] and set(data["names"]) <= ends
    assert all(data["names"][p] == revealed.names[p] for p in data["names"])


def test_a_template_folder_replaces_ours_file_by_file(
    practice: CheckResult, pseudo: Pseudonymizer, tmp_path: Path
) -> None:
    ours = render(practice, "html", pseudonymizer=pseudo)
    (tmp_path / "report.css").write_text("body{color:#123456}", encoding="utf-8")
    translated = (TEMPLATES / "report.html.j2").read_text(encoding="utf-8")
    translated = translated.replace("<h1>dualrel check</h1>", "<h1>Prüfbericht</h1>")
    translated = translated.replace(
        'data-none="No finding matches the filters."', 'data-none="Kein Befund."'
    )
    assert "Prüfbericht" in translated
    (tmp_path / "report.html.j2").write_text(translated, encoding="utf-8")
    page = render(practice, "html", pseudonymizer=pseudo, templates=tmp_path)
    assert "<h1>Prüfbericht</h1>" in page and 'data-none="Kein Befund."' in page
    assert "body{color:#123456}" in page and "body{font-family" not in page
    # the script is still ours, so still allowed by its hash
    assert re.findall(r"<script>(.*?)</script>", page, re.S) == re.findall(
        r"<script>(.*?)</script>", ours, re.S
    )
    assert set(TEMPLATE_FILES) <= {p.name for p in TEMPLATES.iterdir()}


def test_a_broken_template_is_a_located_error(
    practice: CheckResult, pseudo: Pseudonymizer, tmp_path: Path
) -> None:
    (tmp_path / "report.css").write_text("a{}\n{% if %}\n", encoding="utf-8")
    with pytest.raises(InvalidArgument, match=r"report\.css:2: "):
        render(practice, "html", pseudonymizer=pseudo, templates=tmp_path)
    (tmp_path / "report.css").write_text("{{ nothing_here }}", encoding="utf-8")
    with pytest.raises(InvalidArgument, match="nothing_here"):
        render(practice, "html", pseudonymizer=pseudo, templates=tmp_path)
    with pytest.raises(InvalidArgument, match="no such template folder"):
        render(practice, "html", pseudonymizer=pseudo, templates=tmp_path / "none")
    with pytest.raises(InvalidArgument, match="html format only"):
        render(practice, "markdown", pseudonymizer=pseudo, templates=tmp_path)


# -- the pseudonym map ------------------------------------------------------------------


def test_map_leads_every_alias_of_the_page_back(
    practice: CheckResult, pseudo: Pseudonymizer, tmp_path: Path
) -> None:
    page = render(practice, "html", pseudonymizer=pseudo)
    out = tmp_path / "map.json"
    old = os.umask(0)
    try:
        out.write_text("{}", encoding="utf-8")
        out.chmod(0o644)  # a file it replaces does not lend its mode
        n = write_pseudonym_map(out, practice, pseudo)
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["format"] == "dualrel.pseudonyms/1" and len(doc["pseudonyms"]) == n
    aliases = set(re.findall(r"p-[0-9a-f]{12}", page))
    assert aliases and aliases <= set(doc["pseudonyms"])
    for alias, pid in doc["pseudonyms"].items():
        assert pseudo.alias(pid) == alias
    assert not list(tmp_path.glob(".*.tmp"))


@pytest.mark.parametrize("pseudo", [Pseudonymizer.from_env({}), Pseudonymizer.reveal()])
def test_map_refused_without_the_practice_key(
    practice: CheckResult, pseudo: Pseudonymizer, tmp_path: Path
) -> None:
    with pytest.raises(InvalidArgument, match="DUALREL_PSEUDONYM_KEY"):
        write_pseudonym_map(tmp_path / "map.json", practice, pseudo)
    assert not (tmp_path / "map.json").exists()


def test_cli_pseudonym_map(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    page, mapping = tmp_path / "r.html", tmp_path / "map.json"
    args = ["check", str(EXAMPLE), "-f", "html", "-o", str(page), "--pseudonym-map", str(mapping)]
    monkeypatch.delenv("DUALREL_PSEUDONYM_KEY", raising=False)
    assert main(args) == 2
    assert "needs DUALREL_PSEUDONYM_KEY" in capsys.readouterr().err
    assert not page.exists() and not mapping.exists()
    monkeypatch.setenv("DUALREL_PSEUDONYM_KEY", KEY["DUALREL_PSEUDONYM_KEY"])
    assert main(args) == 1  # the example has findings
    assert stat.S_IMODE(mapping.stat().st_mode) == 0o600
    pseudonyms = json.loads(mapping.read_text(encoding="utf-8"))["pseudonyms"]
    text = page.read_text(encoding="utf-8")
    assert all(alias in text for alias in pseudonyms)
    assert "co001" not in text and "co001" in pseudonyms.values()
    for bad in (["-f", "text"], ["--reveal"], ["-o", str(mapping)]):
        assert main([*args, *bad]) == 2, bad
    assert "nothing to map" in capsys.readouterr().err
