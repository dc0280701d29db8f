"""``html``: one self-contained page (no network) with a drawing per finding.

Each finding has an inline SVG of its evidence: the people as circles, the ties as lines
coloured by kind (arrows for directed kinds).  A Content-Security-Policy forbids every
fetch, so the file opens the same offline.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from html import escape

from dualrel.findings import CheckedFinding, CheckResult
from dualrel.report._base import OutputFormat, People, level_name, step_text

__all__ = ["FORMAT", "KIND_COLOURS", "render"]

KIND_COLOURS = {
    "coaching": "#1f77b4",
    "supervision": "#17becf",
    "mentoring": "#9467bd",
    "management": "#8c564b",
    "employment": "#7f7f7f",
    "paid_service": "#bcbd22",
    "sponsorship": "#aec7e8",
    "romance": "#d62728",
    "family": "#ff7f0e",
    "business": "#2ca02c",
    "friendship": "#e377c2",
    "social_media": "#f7b6d2",
}
_EXTRA = ("#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173", "#3182bd")
_LEVEL_COLOURS = {3: "#b71c1c", 2: "#e65100", 1: "#1565c0"}

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem;color:#222;
max-width:70rem}
h1{font-size:1.5rem}table{border-collapse:collapse;margin:.5rem 0}
td,th{border:1px solid #ccc;padding:.25rem .6rem;text-align:left}
.finding{border:1px solid #ccc;border-left:6px solid var(--lvl);border-radius:4px;
padding:.75rem 1rem;margin:1rem 0;display:flex;gap:1.5rem;flex-wrap:wrap}
.finding .text{flex:1 1 28rem}.finding h3{margin:.1rem 0 .4rem;font-size:1.1rem}
.meta{color:#555;font-size:.9rem}.status{font-weight:bold;text-transform:uppercase}
.legend span{display:inline-block;margin-right:1rem}
.swatch{display:inline-block;width:1.5rem;height:.35rem;vertical-align:middle;margin-right:.3rem}
code{background:#f4f4f4;padding:0 .2rem}
"""


def _kind_colour(kind: str) -> str:
    if kind in KIND_COLOURS:
        return KIND_COLOURS[kind]
    return _EXTRA[int(hashlib.sha256(kind.encode()).hexdigest(), 16) % len(_EXTRA)]


def _svg(f: CheckedFinding, people: People, n: int) -> str:
    roles = {pid: var for var, pid in sorted(f.finding.subjects.items())}
    order = [pid for _, pid in sorted(f.finding.subjects.items())]
    for t in f.ties:
        for pid in (t.source, t.target):
            if pid not in order:
                order.append(pid)
    w, h, r = 360, 240, 22
    cx, cy, radius = w / 2, h / 2, 80
    pos: dict[str, tuple[float, float]] = {}
    for i, pid in enumerate(order):
        angle = math.pi + 2 * math.pi * i / max(len(order), 1)
        pos[pid] = (
            round(cx + radius * math.cos(angle), 1),
            round(cy + radius * math.sin(angle), 1),
        )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
        f'viewBox="0 0 {w} {h}" role="img" aria-label="people and ties of finding {n}">',
        "<defs>",
    ]
    kinds = sorted({t.kind for t in f.ties})
    for kind in kinds:
        parts.append(
            f'<marker id="arrow-{n}-{escape(kind)}" viewBox="0 0 10 10" refX="10" refY="5" '
            f'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
            f'<path d="M0,0 L10,5 L0,10 z" fill="{_kind_colour(kind)}"/></marker>'
        )
    parts.append("</defs>")
    seen: dict[frozenset[str], int] = {}
    for t in f.ties:
        (x1, y1), (x2, y2) = pos[t.source], pos[t.target]
        pair = frozenset((t.source, t.target))
        k = seen.get(pair, 0)
        seen[pair] = k + 1
        dx, dy = x2 - x1, y2 - y1
        length = math.hypot(dx, dy) or 1.0
        ux, uy = dx / length, dy / length
        sx, sy = x1 + ux * r, y1 + uy * r
        ex, ey = x2 - ux * r, y2 - uy * r
        bend = 28 * ((k + 1) // 2) * (1 if k % 2 else -1)  # 0, +28, -28, +56, ...
        mx, my = (sx + ex) / 2 - uy * bend, (sy + ey) / 2 + ux * bend
        colour = _kind_colour(t.kind)
        marker = f' marker-end="url(#arrow-{n}-{escape(t.kind)})"' if t.directed else ""
        parts.append(
            f'<path class="tie" data-kind="{escape(t.kind)}" d="M{sx:.1f},{sy:.1f} '
            f'Q{mx:.1f},{my:.1f} {ex:.1f},{ey:.1f}" fill="none" stroke="{colour}" '
            f'stroke-width="3"{marker}><title>{escape(t.id)}: {escape(t.kind)}</title></path>'
        )
        parts.append(
            f'<text x="{mx:.1f}" y="{my - 4:.1f}" font-size="11" text-anchor="middle" '
            f'fill="{colour}">{escape(t.kind)}</text>'
        )
    for pid in order:
        x, y = pos[pid]
        label = people.id(pid)
        role = roles.get(pid, "")
        parts.append(
            f'<g class="person"><circle cx="{x}" cy="{y}" r="{r}" fill="#fff" stroke="#333" '
            f'stroke-width="2"/><text x="{x}" y="{y + 4}" font-size="11" '
            f'text-anchor="middle">{escape(role[:8])}</text>'
            f'<text x="{x}" y="{y + r + 14}" font-size="11" text-anchor="middle">'
            f"{escape(label)}</text></g>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _finding(f: CheckedFinding, people: People, n: int) -> str:
    fd = f.finding
    ties = "".join(
        f"<li><code>{escape(t.id)}</code> {escape(t.kind)} "
        f"{'from' if t.directed else 'between'} {escape(people.label(t.source))} "
        f"{'to' if t.directed else 'and'} {escape(people.label(t.target))}, "
        f"{escape(t.start.isoformat() if t.start else 'since always')} to "
        f"{escape(t.end.isoformat() if t.end else 'ongoing')}</li>"
        for t in f.ties
    )
    steps = "".join(f"<li>{escape(step_text(s, people))}</li>" for s in fd.remediation)
    cites = "; ".join(f"{c.code} {c.clause}" for c in fd.citations)
    return (
        f'<section class="finding" id="f-{fd.fingerprint}" data-fingerprint="{fd.fingerprint}" '
        f'data-level="{fd.level}" data-status="{f.status}" '
        f'style="--lvl:{_LEVEL_COLOURS.get(fd.level, "#555")}">'
        f'<div class="text"><h3>{escape(fd.title)}</h3>'
        f'<div class="meta">{escape(level_name(fd.level))} · severity {escape(fd.severity)} · '
        f'<span class="status">{escape(f.status)}</span> · '
        f"<code>{escape(fd.ruleset.id)}/{escape(fd.rule)}</code> · "
        f"<code>{fd.fingerprint}</code></div>"
        f"<p>{escape(people.subjects(f))}</p>"
        f"<p>{escape(f.description)}</p>"
        f"<p><strong>Evidence</strong></p><ul>{ties}</ul>"
        f"<p><strong>What to do</strong></p><ol>{steps}</ol>"
        f'<p class="meta">Cites: {escape(cites or "none")}</p></div>'
        f'<div class="drawing">{_svg(f, people, n)}</div></section>'
    )


def _subjects(subjects: Mapping[str, str], people: People) -> str:
    return " ".join(f"{k}={people.label(v)}" for k, v in sorted(subjects.items()))


def render(result: CheckResult, people: People, colour: bool = False) -> str:
    failing = len(result.failing())
    rulesets = ", ".join(f"{r.id} {r.version}" for r in result.rulesets)
    status = result.by_status()
    rows = "".join(
        f"<tr><td>{escape(level_name(lvl))}</td><td>{n}</td></tr>"
        for lvl, n in result.by_level().items()
    )
    kinds = sorted({t.kind for f in result.findings for t in f.ties})
    legend = "".join(
        f'<span><i class="swatch" style="background:{_kind_colour(k)}"></i>{escape(k)}</span>'
        for k in kinds
    )
    extra = []
    if result.waivers:
        extra.append(
            "<h2>Waivers</h2><table><tr><th>Status</th><th>Waiver</th><th>Expires</th>"
            "<th>Approved by</th></tr>"
        )
        extra += [
            f"<tr><td>{w.status}</td><td><code>{escape(w.waiver.source)}</code></td>"
            f"<td>{w.waiver.expires.isoformat()}</td><td>{escape(w.waiver.approved_by)}</td></tr>"
            for w in result.waivers
        ]
        extra.append("</table>")
    if result.baseline is not None:
        extra.append(
            f"<h2>Baseline</h2><p>{escape(result.baseline.path)}: "
            f"{len(result.resolved)} finding(s) resolved.</p><ul>"
        )
        extra += [
            f"<li>{escape(r.title)} <code>{escape(r.ruleset.id)}/{escape(r.rule)}</code> "
            f"{escape(_subjects(r.subjects, people))}</li>"
            for r in result.resolved
        ]
        extra.append("</ul>")
    body = "".join(_finding(f, people, i) for i, f in enumerate(result.findings))
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; img-src data:\">"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>dualrel report: {escape(result.registry.path)}</title>"
        f"<style>{_CSS}</style></head><body>"
        '<header id="summary"><h1>dualrel check</h1>'
        f"<p><strong>{failing} open finding(s) at or above level {result.fail_level}</strong> "
        f"· {len(result.findings)} finding(s): {status['open']} open, {status['waived']} waived, "
        f"{status['baselined']} baselined</p>"
        f"<p>Registry <code>{escape(result.registry.path)}</code> "
        f"(sha256 <code>{result.registry.sha256[:12]}</code>) as of {result.as_of.isoformat()}; "
        f"rulesets {escape(rulesets)}.</p>"
        f"<table><tr><th>Level</th><th>Findings</th></tr>{rows}</table>"
        f'<p class="legend">{legend}</p>'
        f'<p class="meta">{escape(people.note())}</p></header>'
        f'<main id="findings">{body or "<p>No findings.</p>"}</main>'
        f"{''.join(extra)}</body></html>\n"
    )


FORMAT = OutputFormat(
    name="html",
    help="one self-contained page with a drawing per finding (people pseudonymised)",
    suffix=".html",
    shared=True,
    render=render,
)
