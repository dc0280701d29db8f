"""How long headless Chromium takes to open an HTML report and show it.

    python benchmarks/html_render.py REPORT.html [REPORT.html ...]

For each page: its size, then the seconds from navigation until the document is loaded,
its script has listed the findings (``#shown`` filled; pages without it: loaded) and two
animation frames have passed (so layout and the first paint are done), median of three
runs in a fresh browser; a tiny page gives the floor this wall-clock time cannot go under
(driving the browser).  Then, as the page measured them, the milliseconds from navigation
to its load event (``load_ms``) and to its findings listed (``listed_ms``, the mark its
script sets).  Prints one JSON object per page.  Uses the DevTools client of the
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


_IN_PAGE = """(() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const listed = performance.getEntriesByName('findings-listed')[0];
  return [nav.loadEventEnd, listed ? listed.startTime : null];
})()"""


def _seconds(page: Path) -> tuple[float, float, float | None]:
    """Wall-clock seconds to shown and painted; in the page, milliseconds from navigation
    to the load event and to the findings listed (``None`` for a page without)."""
    with tempfile.TemporaryDirectory() as profile, browser(Path(profile)) as tab:
        start = time.perf_counter()
        tab.open(page.resolve().as_uri(), wait=False)
        tab.wait_for(_SHOWN, timeout=600)
        tab.eval(_FRAMES)
        wall = time.perf_counter() - start
        load, listed = tab.eval(_IN_PAGE)
        return wall, load, listed


def main() -> None:
    pages = [Path(a) for a in sys.argv[1:]]
    if not pages or sys.argv[1] in ("-h", "--help"):
        raise SystemExit(__doc__)
    for page in pages:
        runs = [_seconds(page) for _ in range(3)]
        listed = [r[2] for r in runs if r[2] is not None]
        print(
            json.dumps(
                {
                    "page": str(page),
                    "bytes": page.stat().st_size,
                    "seconds": round(statistics.median(r[0] for r in runs), 2),
                    "runs": [round(r[0], 2) for r in runs],
                    "load_ms": round(statistics.median(r[1] for r in runs)),
                    "listed_ms": round(statistics.median(listed)) if listed else None,
                }
            )
        )


if __name__ == "__main__":
    main()
