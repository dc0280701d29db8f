"""The register dashboard in headless Chromium: its filters and search hide what they
should. A probe script added to a copy of the page works the controls as a user would
(choosing an option, ticking a box, typing) and writes what stays visible into the DOM,
which Chromium dumps. Without Chromium the test skips locally but fails in CI."""

from __future__ import annotations

import json
import re
import subprocess
from datetime import date
from pathlib import Path

from dualrel.check import run_check
from dualrel.register import open_register
from dualrel.register.dashboard import render_dashboard
from tests.report.browser import chromium
from tests.report.util import EXAMPLE

AS_OF = date(2026, 12, 5)

_PROBE = """<script>
window.addEventListener('load', () => {
  const visible = () => [...document.querySelectorAll('#open-findings tbody tr')]
    .filter(r => r.getBoundingClientRect().height > 0).map(r => r.cells[0].innerText.trim());
  const set = (id, value) => {
    const e = document.getElementById(id);
    if (e.type === 'checkbox') { e.checked = value; e.dispatchEvent(new Event('change')); }
    else if (e.tagName === 'SELECT') { e.value = value; e.dispatchEvent(new Event('change')); }
    else { e.value = value; e.dispatchEvent(new Event('input')); }
  };
  const out = {all: visible()};
  set('filter-level', '3'); out.level3 = visible(); set('filter-level', '');
  set('filter-assignee', 'ma001'); out.ma001 = visible(); set('filter-assignee', '');
  set('filter-overdue', true); out.overdue = visible(); set('filter-overdue', false);
  set('filter-text', 'romance-active'); out.search = visible();
  out.shown = document.getElementById('shown').innerText;
  const pre = document.createElement('pre');
  pre.id = 'probe';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>"""


def test_dashboard_filters_and_search_in_headless_chromium(
    register_url: str, tmp_path: Path
) -> None:
    browser = chromium()
    result = run_check(EXAMPLE)
    with open_register(register_url) as reg:
        reg.record(result, by="ci")
        page = render_dashboard(reg, as_of=AS_OF)
        found = {f.fingerprint: f for f in reg.findings()}
    probed = tmp_path / "dashboard.html"
    probed.write_text(page.replace("</body>", _PROBE + "</body>"), encoding="utf-8")
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
            "--window-size=1280,3000",
            "--dump-dom",
            probed.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    match = re.search(r'<pre id="probe">(.*?)</pre>', proc.stdout, re.S)
    assert match, proc.stdout[-2000:]
    probe = json.loads(match.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    assert sorted(probe["all"]) == sorted(found)
    assert sorted(probe["level3"]) == sorted(fp for fp, f in found.items() if f.level == 3)
    assert sorted(probe["ma001"]) == sorted(
        fp for fp, f in found.items() if any(s.assignee == "ma001" for s in f.steps)
    )
    assert sorted(probe["overdue"]) == sorted(
        fp for fp, f in found.items() if f.overdue_steps(AS_OF)
    )
    assert 0 < len(probe["overdue"]) < len(found)
    assert [found[fp].rule for fp in probe["search"]] == ["romance-active-client"]
    assert probe["shown"] == f"1 of {len(found)} shown"
