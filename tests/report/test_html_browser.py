"""The HTML report opened in headless Chromium, used as a reader would: the page as
written (its Content-Security-Policy in force), clicked and typed into through the
browser's input events (``tests/report/browser.py``).  A screenshot is kept in
``test-artifacts/``.  Without Chromium the tests skip locally but fail in CI (``CI=true``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from dualrel.check import run_check
from dualrel.report import CheckResult, Pseudonymizer, RegistryInfo, render
from dualrel.report.html_report import PAGE_SIZE
from tests.report.browser import Page, browser
from tests.report.util import EXAMPLE, TEST_KEY

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PSEUDO = Pseudonymizer(TEST_KEY.encode(), "env")

_SHOWN = """[...document.querySelectorAll('section.finding')].filter(s => {
  const r = s.getBoundingClientRect(), st = getComputedStyle(s);
  return r.width > 100 && r.height > 50 && st.display !== 'none' && st.visibility !== 'hidden';
}).map(s => s.dataset.fingerprint)"""


@pytest.fixture(scope="module")
def practice() -> CheckResult:
    return run_check(EXAMPLE, ["coaching-core", "coaching-practice"])


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Page]:
    with browser(tmp_path_factory.mktemp("chromium")) as tab:
        yield tab


def _open(page: Page, result: CheckResult, folder: Path) -> list[dict[str, Any]]:
    path = folder / "report.html"
    path.write_text(render(result, "html", pseudonymizer=PSEUDO), encoding="utf-8")
    page.open(path.as_uri())
    page.wait_for("document.getElementById('shown').textContent !== ''")
    data: dict[str, Any] = json.loads(
        page.eval("document.getElementById('report-data').textContent")
    )
    return list(data["findings"])


def _shown(page: Page) -> list[str]:
    shown: list[str] = page.eval(_SHOWN)
    return shown


def _copies(result: CheckResult, n: int) -> CheckResult:
    """``result`` with each finding ``n`` times (distinct fingerprints), in level order."""
    return replace(
        result,
        findings=tuple(
            replace(
                f, finding=replace(f.finding, fingerprint=f"{i:02d}{f.finding.fingerprint[2:]}")
            )
            for f in result.findings
            for i in range(n)
        ),
    )


def test_findings_by_level_with_their_drawings(
    page: Page, practice: CheckResult, tmp_path: Path
) -> None:
    assert len(practice.findings) <= PAGE_SIZE
    data = _open(page, practice, tmp_path)
    assert not page.console  # the script ran under the page's policy, without error
    assert page.requests == [(tmp_path / "report.html").as_uri()]  # nothing else fetched
    assert _shown(page) == [f.finding.fingerprint for f in practice.findings]
    per_section = page.eval(
        "[...document.querySelectorAll('section.level')].map(s => [Number(s.dataset.level),"
        " [...s.querySelectorAll('section.finding')].map(f => Number(f.dataset.level))])"
    )
    assert [lvl for lvl, _ in per_section] == [3, 2, 1]
    for level, found in per_section:
        assert found and set(found) == {level}
    # a timeline per finding; the people drawn only where three or more
    drawings = page.eval(
        "[...document.querySelectorAll('section.finding')].map(s => [s.dataset.fingerprint,"
        " s.querySelectorAll('svg.timeline rect.tie').length,"
        " s.querySelector('svg.people') !== null,"
        " s.querySelector('svg.timeline').getBoundingClientRect().width])"
    )
    by_fp = {f["fp"]: f for f in data}
    checked = {f.finding.fingerprint: f for f in practice.findings}
    assert any(people for _, _, people, _ in drawings)
    for fp, bars, people, width in drawings:
        assert bars == len(by_fp[fp]["ties"]) and width > 100
        f = checked[fp]
        everyone = {
            *f.finding.subjects.values(),
            *(p for t in f.ties for p in (t.source, t.target)),
        }
        assert people == (len(everyone) >= 3), fp
    # practice records are evidence, dated on the timeline
    text = page.eval(
        "[...document.querySelectorAll('section.finding')].filter(s => s.querySelector('h3')"
        ".textContent.startsWith('Assessment without')).map(s => s.innerText).join('\\n')"
    )
    assert "assessments/as-02, date 2025-05-10" in text
    assert page.eval("document.querySelectorAll('circle.record[data-record]').length") >= 2
    # each tie of the evidence in the words of the other formats
    romance = next(f for f in practice.findings if f.finding.rule == "romance-active-client")
    lines = page.eval(
        f"[...document.querySelectorAll('#f-{romance.finding.fingerprint}"
        " [data-slot=evidence] li')].map(li => li.textContent)"
    )
    a = PSEUDO.alias
    assert lines == [
        f"{t.id} {t.kind} {'from' if t.directed else 'between'} {a(t.source)} "
        f"{'to' if t.directed else 'and'} {a(t.target)}, "
        f"{t.start.isoformat() if t.start else 'since always'} to "
        f"{t.end.isoformat() if t.end else 'ongoing'}"
        for t in romance.ties
    ]
    assert lines[0].startswith("t015 coaching from p-") and lines[1].startswith(
        "t071 romance between"
    )
    # the rule's windows: a dashed bound on the row of the tie or record they test
    bounds = page.eval(
        "[...document.querySelectorAll('section.finding')].map(s => [s.dataset.fingerprint,"
        " [...s.querySelectorAll('svg.timeline line.bound')].map(l => l.dataset.item)])"
    )
    assert any(items for _, items in bounds)
    for fp, items in bounds:
        assert items == [w["item"] for w in by_fp[fp]["windows"]], fp
    former = next(f for f in data if f["rule"].endswith("/romance-former-client"))
    assert "former_client_window_days" in page.eval(
        f"document.getElementById('f-{former['fp']}').innerText"
    )
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(ARTIFACTS / "html-report.png")
    assert (ARTIFACTS / "html-report.png").stat().st_size > 1000


def test_a_level_filter_click_hides_that_level(
    page: Page, practice: CheckResult, tmp_path: Path
) -> None:
    _open(page, practice, tmp_path)
    everything = _shown(page)
    page.click('input[name="level"][value="1"]')
    kept = [f.finding.fingerprint for f in practice.findings if f.finding.level != 1]
    assert _shown(page) == kept
    assert page.eval("document.getElementById('level-1').hidden")
    assert page.eval("document.querySelector('[data-level-count=\"1\"]').textContent") == "0"
    page.click('input[name="level"][value="1"]')
    assert _shown(page) == everything


def test_status_rule_and_overdue_filters(page: Page, practice: CheckResult, tmp_path: Path) -> None:
    first, second, *rest = practice.findings
    late = replace(
        second.finding,
        remediation=tuple(
            replace(s, due=practice.as_of - timedelta(days=3)) for s in second.finding.remediation
        ),
    )
    result = replace(
        practice, findings=(replace(first, status="waived"), replace(second, finding=late), *rest)
    )
    _open(page, result, tmp_path)
    page.click('input[name="status"][value="waived"]')
    assert first.finding.fingerprint not in _shown(page)
    assert len(_shown(page)) == len(practice.findings) - 1
    page.click('input[name="status"][value="waived"]')
    page.click('input[name="overdue"]')
    assert _shown(page) == [second.finding.fingerprint]
    page.click('input[name="overdue"]')
    # the first rule of the list, chosen with the keyboard
    page.click('select[name="rule"]')
    page.press("Escape", 27)
    page.press("ArrowDown", 40)
    rule = page.eval("document.querySelector('select[name=\"rule\"]').value")
    assert rule
    want = [
        f.finding.fingerprint
        for f in practice.findings
        if f"{f.finding.ruleset.id}/{f.finding.rule}" == rule
    ]
    assert want and _shown(page) == want


def test_search_finds_a_finding(page: Page, practice: CheckResult, tmp_path: Path) -> None:
    _open(page, practice, tmp_path)
    page.type('input[name="q"]', "as-02 WITHOUT")
    (fp,) = _shown(page)
    found = next(f for f in practice.findings if f.finding.fingerprint == fp)
    assert found.finding.rule == "assessment-without-consent"
    assert "1 of" in page.eval("document.getElementById('shown').textContent")
    page.type('input[name="q"]', " nothing-like-this")
    assert _shown(page) == []
    assert page.eval("document.getElementById('shown').textContent") == (
        "No finding matches the filters."
    )


def test_pages_of_findings(page: Page, practice: CheckResult, tmp_path: Path) -> None:
    data = _open(page, _copies(practice, 5), tmp_path)
    pages = -(-len(data) // PAGE_SIZE)
    fps = [f["fp"] for f in data]
    assert _shown(page) == fps[:PAGE_SIZE]
    assert page.eval("document.getElementById('page-info').textContent") == f"page 1 of {pages}"
    assert page.eval("document.getElementById('prev').disabled")
    page.click("#next")
    assert _shown(page) == fps[PAGE_SIZE : 2 * PAGE_SIZE]
    assert page.eval("document.getElementById('page-info').textContent") == f"page 2 of {pages}"
    page.click("#prev")
    assert _shown(page) == fps[:PAGE_SIZE]
    # the contents lead to the page where a level starts
    page.click('[data-level-link="1"]')
    first_l1 = next(i for i, f in enumerate(data) if f["level"] == 1)
    shown = _shown(page)
    assert (
        fps[first_l1] in shown
        and shown
        == fps[first_l1 // PAGE_SIZE * PAGE_SIZE : (first_l1 // PAGE_SIZE + 1) * PAGE_SIZE]
    )


def test_a_link_to_a_finding_opens_its_page(
    page: Page, practice: CheckResult, tmp_path: Path
) -> None:
    data = _open(page, _copies(practice, 5), tmp_path)
    last = data[-1]["fp"]
    assert last not in _shown(page)
    page.open(f"{(tmp_path / 'report.html').as_uri()}#f-{last[:12]}")
    page.wait_for("document.getElementById('shown').textContent !== ''")
    assert last in _shown(page)
    assert page.eval(f"document.getElementById('f-{last}').getBoundingClientRect().top") < 900


def test_print_hides_the_controls_and_prints_every_match(
    page: Page, practice: CheckResult, tmp_path: Path
) -> None:
    data = _open(page, _copies(practice, 5), tmp_path)
    assert len(_shown(page)) == PAGE_SIZE < len(data)
    page.eval(
        "window.addEventListener('beforeprint', () => { window.printed ="
        " document.querySelectorAll('section.finding').length; })"
    )
    page.pdf()
    assert page.eval("window.printed") == len(data)
    assert len(_shown(page)) == PAGE_SIZE  # back to the page once printed
    shown = "getComputedStyle(document.getElementById('filters')).display"
    assert page.eval(shown) != "none"
    page.media("print")
    try:
        assert page.eval(shown) == "none"
        assert page.eval("getComputedStyle(document.getElementById('pager')).display") == "none"
    finally:
        page.media("")


def test_new_since_the_baseline_and_assignee_filters(
    page: Page, practice: CheckResult, tmp_path: Path
) -> None:
    held = {f.finding.fingerprint for f in practice.findings[::2]}
    result = replace(
        practice,
        baseline=RegistryInfo("before.json", "0" * 64),
        findings=tuple(
            replace(f, in_baseline=f.finding.fingerprint in held) for f in practice.findings
        ),
    )
    data = _open(page, result, tmp_path)
    page.click('input[name="new"]')
    assert _shown(page) == [f["fp"] for f in data if f["fp"] not in held]
    assert page.eval(
        "[...document.querySelectorAll('section.finding [data-slot=status]')]"
        ".every(s => s.textContent === 'open · new')"
    )
    page.click('input[name="new"]')
    # the first assignee of the list, chosen with the keyboard (after "anyone", "unassigned")
    page.click('select[name="assignee"]')
    page.press("Escape", 27)
    for _ in range(2):
        page.press("ArrowDown", 40)
    who = page.eval("document.querySelector('select[name=\"assignee\"]').value")
    assert who.startswith("p-")
    want = [f["fp"] for f in data if any(s["assignee"] == who for s in f["steps"])]
    assert want and _shown(page) == want
