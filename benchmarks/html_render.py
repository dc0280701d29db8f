"""How long headless Chromium takes to open an HTML report and show it.

    python benchmarks/html_render.py REPORT.html [REPORT.html ...]

For each page: its size, then the seconds from navigation until the document is loaded,
its script has listed the findings (``#shown`` filled; pages without it: loaded) and two
animation frames have passed (so layout and the first paint are done), median of three
runs in a fresh tab.  Prints one JSON object per page.  Uses the DevTools client of the
browser tests (``tests/report/browser.py``); run it from the repository root.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.report.browser import browser

_SHOWN = (
    "location.protocol === 'file:' && document.readyState === 'complete' && "
    "(!document.getElementById('report-data') || "
    "document.getElementById('shown').textContent !== '')"
)
_FRAMES = "new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(1))))"


def _seconds(page: Path) -> float:
    with tempfile.TemporaryDirectory() as profile, browser(Path(profile)) as tab:
        start = time.perf_counter()
        tab.open(page.resolve().as_uri(), wait=False)
        tab.wait_for(_SHOWN, timeout=600)
        tab.eval(_FRAMES)
        return time.perf_counter() - start


def main() -> None:
    pages = [Path(a) for a in sys.argv[1:]]
    if not pages or sys.argv[1] in ("-h", "--help"):
        raise SystemExit(__doc__)
    for page in pages:
        runs = [_seconds(page) for _ in range(3)]
        print(
            json.dumps(
                {
                    "page": str(page),
                    "bytes": page.stat().st_size,
                    "seconds": round(statistics.median(runs), 2),
                    "runs": [round(r, 2) for r in runs],
                }
            )
        )


if __name__ == "__main__":
    main()
