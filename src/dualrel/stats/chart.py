"""An SVG chart of ``dualrel stats``, written with the standard library only.

Bars: findings raised per period, stacked by level (3 at the bottom).  Line: findings
open at the last report of each period (gaps where a period had no report).  Labels are
period names and counts only.
"""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape

__all__ = ["stats_chart_svg"]

LEVEL_COLOURS = {"3": "#b2182b", "2": "#ef8a62", "1": "#f4c542"}
LEVEL_NAMES = {"3": "level 3", "2": "level 2", "1": "level 1"}
OPEN_COLOUR = "#2166ac"


def _scale(peak: int) -> tuple[int, int]:
    """A whole tick step (1, 2 or 5 times a power of ten) and the axis top: at most five
    steps up to the first tick at or above ``peak``.

    >>> [_scale(v) for v in (0, 3, 7, 10, 12, 48)]
    [(1, 1), (1, 3), (2, 8), (2, 10), (5, 15), (10, 50)]
    """
    step = 1
    while True:
        for m in (1, 2, 5):
            s = m * step
            ticks = max(-(-peak // s), 1)
            if ticks <= 5:
                return s, s * ticks
        step *= 10


def stats_chart_svg(stats: dict[str, Any]) -> str:
    """An SVG document charting the periods of a ``dualrel.stats/1`` dict."""
    periods = stats["periods"]
    n = max(len(periods), 1)
    plot_w = max((56 if n <= 24 else 28) * n, 480)
    slot = plot_w / n
    left, right, top, bottom = 56, 24, 64, 72
    plot_h = 260
    width = left + right + plot_w
    height = top + plot_h + bottom
    peak = 0
    for p in periods:
        peak = max(peak, p["raised"]["total"])
        if p["open_at_end"] is not None:
            peak = max(peak, p["open_at_end"]["total"])
    step, ymax = _scale(peak)

    def y(v: float) -> float:
        return top + plot_h - plot_h * v / ymax

    title = f"Findings raised per {stats['period']} (bars, by level) and open (line)"
    out: list[str] = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11" '
        'role="img" aria-labelledby="title">',
        f'<title id="title">{escape(title)}</title>',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="{left}" y="20" font-size="13" font-weight="bold">{escape(title)}</text>',
    ]
    # axes and grid
    for v in range(0, ymax + 1, step):
        yy = y(v)
        out.append(
            f'<line x1="{left}" y1="{yy:.1f}" x2="{width - right}" y2="{yy:.1f}" '
            'stroke="#dddddd" stroke-width="1"/>'
        )
        out.append(f'<text x="{left - 6}" y="{yy + 4:.1f}" text-anchor="end">{v}</text>')
    out.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="#333333"/>')
    out.append(
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" '
        'stroke="#333333"/>'
    )
    # bars
    bar_w = slot * 0.6
    points: list[tuple[float, float] | None] = []
    for i, p in enumerate(periods):
        x = left + slot * i + (slot - bar_w) / 2
        base = 0
        for lv in ("3", "2", "1"):
            count = p["raised"]["by_level"][lv]
            if count:
                y0, y1 = y(base + count), y(base)
                out.append(
                    f'<rect x="{x:.1f}" y="{y0:.1f}" width="{bar_w:.1f}" '
                    f'height="{y1 - y0:.1f}" fill="{LEVEL_COLOURS[lv]}">'
                    f"<title>{escape(p['period'])}: {count} raised at {LEVEL_NAMES[lv]}</title>"
                    "</rect>"
                )
                base += count
        cx = left + slot * i + slot / 2
        label_y = top + plot_h + 14
        out.append(
            f'<text x="{cx:.1f}" y="{label_y}" text-anchor="end" '
            f'transform="rotate(-45 {cx:.1f} {label_y})">{escape(p["period"])}</text>'
        )
        o = p["open_at_end"]
        points.append(None if o is None else (cx, y(o["total"])))
    # open findings line, broken where a period has no report
    run: list[tuple[float, float]] = []
    runs: list[list[tuple[float, float]]] = []
    for pt in points:
        if pt is None:
            if run:
                runs.append(run)
            run = []
        else:
            run.append(pt)
    if run:
        runs.append(run)
    for r in runs:
        if len(r) > 1:
            path = " ".join(f"{x:.1f},{yy:.1f}" for x, yy in r)
            out.append(
                f'<polyline points="{path}" fill="none" stroke="{OPEN_COLOUR}" stroke-width="2"/>'
            )
    for p, pt in zip(periods, points, strict=True):
        if pt is not None:
            total = p["open_at_end"]["total"]
            out.append(
                f'<circle cx="{pt[0]:.1f}" cy="{pt[1]:.1f}" r="3.5" fill="{OPEN_COLOUR}">'
                f"<title>{escape(p['period'])}: {total} open</title></circle>"
            )
    # legend
    lx = left
    ly = 40
    for lv in ("3", "2", "1"):
        out.append(
            f'<rect x="{lx}" y="{ly - 9}" width="10" height="10" fill="{LEVEL_COLOURS[lv]}"/>'
        )
        out.append(f'<text x="{lx + 14}" y="{ly}">raised, {LEVEL_NAMES[lv]}</text>')
        lx += 110
    out.append(
        f'<line x1="{lx}" y1="{ly - 4}" x2="{lx + 16}" y2="{ly - 4}" stroke="{OPEN_COLOUR}" '
        'stroke-width="2"/>'
    )
    out.append(f'<text x="{lx + 20}" y="{ly}">open</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
