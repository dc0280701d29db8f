"""The HTML report opened in headless Chromium: every finding is visible.

A copy of the report gets a small script (the report itself forbids scripts) that
measures each finding and its drawing and writes the result into the DOM, which Chromium
dumps.  The screenshot is kept in ``test-artifacts/``.  Without Chromium the test skips
locally but fails in CI (``CI=true``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from dualrel.check import run_check
from dualrel.report import Pseudonymizer, render
from tests.report.util import EXAMPLE

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

_PROBE = """<script>
window.addEventListener('load', () => {
  const out = [...document.querySelectorAll('section.finding')].map(s => {
    const r = s.getBoundingClientRect(), st = getComputedStyle(s);
    const svg = s.querySelector('svg'), sr = svg.getBoundingClientRect();
    return {fp: s.dataset.fingerprint, w: r.width, h: r.height,
            shown: st.display !== 'none' && st.visibility !== 'hidden' && st.opacity !== '0',
            svg: sr.width * sr.height, text: s.innerText.slice(0, 200)};
  });
  const pre = document.createElement('pre');
  pre.id = 'probe';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>"""


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    if os.environ.get("CI") == "true":
        pytest.fail("chromium is not installed (CI must install it: see .ci/run)")
    pytest.skip("chromium is not installed")


@pytest.mark.large
def test_findings_visible_in_headless_chromium(tmp_path: Path) -> None:
    browser = _chromium()
    result = run_check(EXAMPLE)
    page = render(result, "html", pseudonymizer=Pseudonymizer(b"browser-test" * 3, "env"))
    probed = tmp_path / "report.html"
    probed.write_text(
        re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", page).replace(
            "</body>", _PROBE + "</body>"
        ),
        encoding="utf-8",
    )
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "html-report.png"
    shot.unlink(missing_ok=True)
    proc = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--window-size=1280,4000",
            f"--screenshot={shot}",
            "--dump-dom",
            probed.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    dom = proc.stdout
    match = re.search(r'<pre id="probe">(.*?)</pre>', dom, re.S)
    assert match, dom[-2000:]
    probe = json.loads(match.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    assert [p["fp"] for p in probe] == [f.finding.fingerprint for f in result.findings]
    for p, f in zip(probe, result.findings, strict=True):
        assert p["shown"] and p["w"] > 100 and p["h"] > 50, p
        assert p["svg"] > 0, p
        assert f.finding.title in p["text"]
    assert "dualrel check" in dom
    assert shot.exists() and shot.stat().st_size > 1000
    (ARTIFACTS / "html-report.html").write_text(page, encoding="utf-8")
