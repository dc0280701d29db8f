"""``html``: one self-contained page (no network) that committees read.

The page is a Jinja2 template (``templates/report.html.j2``, autoescaped) around the
findings, which travel as one JSON data block: the page's inline script lists them grouped
by level, a page of :data:`PAGE_SIZE` at a time, with filters (level, rule, status,
assignee, overdue steps) and a text search, and draws each finding's timeline (its ties'
and records' dates against the evaluation date, the remediation windows and the rule's
date windows, :mod:`dualrel.rules.windows`) and, when a finding names three or more
people, the people and their ties.  Rendering only the page
shown keeps a report of thousands of findings quick to open; printing renders every
finding the filters keep.

A practice brands or translates the page with a template folder of its own
(``templates=``): any file it holds (``report.html.j2``, ``report.css``, ``report.js``)
replaces ours, the others are ours.  The Content-Security-Policy forbids every fetch and
allows only the page's own script (by its hash), so the file opens the same offline.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from typing import TYPE_CHECKING, Any

from dualrel.errors import InvalidArgument
from dualrel.findings import CheckedFinding, CheckResult
from dualrel.report._base import OutputFormat, People, level_name, step_text

if TYPE_CHECKING:  # Jinja2 is imported when a page is rendered, not with every format
    import jinja2
    from markupsafe import Markup

__all__ = ["FORMAT", "KIND_COLOURS", "PAGE_SIZE", "TEMPLATE_FILES", "render"]

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

#: Findings shown per page (the page's script reads it from the data block).
PAGE_SIZE = 50

#: The files of a template folder, each replaceable on its own.
TEMPLATE_FILES = ("report.html.j2", "report.css", "report.js")


def _kind_colour(kind: str) -> str:
    if kind in KIND_COLOURS:
        return KIND_COLOURS[kind]
    return _EXTRA[int(hashlib.sha256(kind.encode()).hexdigest(), 16) % len(_EXTRA)]


def _environment(templates: str | os.PathLike[str] | None) -> jinja2.Environment:
    import jinja2  # noqa: PLC0415

    ours = jinja2.PackageLoader("dualrel.report", "templates")
    loader: jinja2.BaseLoader = (
        ours
        if templates is None
        else jinja2.ChoiceLoader([jinja2.FileSystemLoader(os.fspath(templates)), ours])
    )
    return jinja2.Environment(
        loader=loader,
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def _people(f: CheckedFinding, people: People) -> list[list[str]]:
    """``[alias, role]`` of each person of the finding, subjects first, then tie ends; none
    for fewer than three people (the page draws the people of three or more only)."""
    out = [[people.id(pid), var] for var, pid in sorted(f.finding.subjects.items())]
    seen = {p for p, _ in out}
    for t in f.ties:
        for pid in (t.source, t.target):
            alias = people.id(pid)
            if alias not in seen:
                seen.add(alias)
                out.append([alias, ""])
    return out if len(out) >= 3 else []


def _finding(f: CheckedFinding, people: People, result: CheckResult) -> dict[str, Any]:
    fd = f.finding
    as_of = result.as_of
    dated = {r.id: r.dates for r in f.records}
    return {
        "fp": fd.fingerprint,
        "level": fd.level,
        "severity": fd.severity,
        "status": f.status,
        "new": result.baseline is not None and not f.in_baseline,
        "rule": f"{fd.ruleset.id}/{fd.rule}",
        "title": fd.title,
        "subjects": people.subjects(f),
        "people": _people(f, people),
        "ties": [
            {
                "id": t.id,
                "kind": t.kind,
                "directed": t.directed,
                "source": people.id(t.source),
                "target": people.id(t.target),
                "start": t.start.isoformat() if t.start else None,
                "end": t.end.isoformat() if t.end else None,
            }
            for t in f.ties
        ],
        # every record the finding cites, dated when the check found it in the registry
        "records": [
            {"id": r, "dates": [[name, d.isoformat()] for name, d in dated.get(r, ())]}
            for r in fd.records
        ],
        "windows": [
            {
                "item": w.item,
                "condition": w.condition,
                "bound": w.bound.isoformat(),
                "value": w.value.isoformat() if w.value else None,
            }
            for w in f.windows
        ],
        "steps": [
            {
                "text": step_text(s, people),
                "due": s.due.isoformat(),
                "assignee": people.id(s.assignee) if s.assignee is not None else None,
                "overdue": s.due < as_of,
            }
            for s in fd.remediation
        ],
        "cites": "; ".join(f"{c.code} {c.clause}" for c in fd.citations),
        "waiver": f.waiver.source if f.waiver is not None else None,
    }


def _data(result: CheckResult, people: People) -> dict[str, Any]:
    findings = [_finding(f, people, result) for f in result.findings]
    descriptions: dict[str, str] = {}
    for f in result.findings:
        descriptions.setdefault(f"{f.finding.ruleset.id}/{f.finding.rule}", f.description)
    kinds = sorted({t.kind for f in result.findings for t in f.ties})
    # names (only with --reveal) by alias, for the evidence lines the page writes
    named = {
        people.id(p): people.names[p]
        for f in result.findings
        for t in f.ties
        for p in (t.source, t.target)
        if p in people.names
    }
    return {
        "names": named,
        "asOf": result.as_of.isoformat(),
        "pageSize": PAGE_SIZE,
        "levels": {str(lvl): level_name(lvl) for lvl in (3, 2, 1)},
        "levelColours": {str(k): v for k, v in _LEVEL_COLOURS.items()},
        "kindColours": {k: _kind_colour(k) for k in kinds},
        "descriptions": descriptions,
        "findings": findings,
    }


def _script_json(value: object) -> Markup:
    from markupsafe import Markup  # noqa: PLC0415

    """JSON for a ``<script type="application/json">`` block: ``<`` escaped so no text of
    the registry or a ruleset can close the block."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return Markup(text.replace("<", "\\u003c").replace("\u2028", "\\u2028"))


def render(
    result: CheckResult,
    people: People,
    colour: bool = False,
    *,
    templates: str | os.PathLike[str] | None = None,
) -> str:
    """The page for ``result``; ``templates`` is a folder whose files replace ours."""
    del colour  # a page has no terminal
    import jinja2  # noqa: PLC0415

    try:
        return _page(result, people, _environment(templates))
    except jinja2.TemplateSyntaxError as exc:
        raise InvalidArgument(f"{exc.filename or exc.name}:{exc.lineno}: {exc.message}") from None
    except jinja2.TemplateError as exc:  # a folder's template asks for what the page lacks
        raise InvalidArgument(f"html template: {exc.message or exc}") from None


def _page(result: CheckResult, people: People, env: jinja2.Environment) -> str:
    from markupsafe import Markup  # noqa: PLC0415

    data = _data(result, people)
    script = env.get_template("report.js").render()
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode()
    findings = data["findings"]
    assignees = sorted({s["assignee"] for f in findings for s in f["steps"] if s["assignee"]})
    status_counts = result.by_status()
    if result.baseline is not None:
        status_counts["new"] = sum(1 for f in result.findings if not f.in_baseline)
    resolved = [
        {
            "title": r.title,
            "rule": f"{r.ruleset.id}/{r.rule}",
            "subjects": " ".join(f"{k}={people.label(v)}" for k, v in sorted(r.subjects.items())),
        }
        for r in result.resolved
    ]
    page = env.get_template("report.html.j2").render(
        result=result,
        failing=len(result.failing()),
        rulesets=", ".join(f"{r.id} {r.version}" for r in result.rulesets),
        by_level=[(lvl, level_name(lvl), n) for lvl, n in result.by_level().items()],
        by_rule=list(result.by_rule().items()),
        status_counts=status_counts,
        assignees=assignees,
        any_overdue=any(s["overdue"] for f in findings for s in f["steps"]),
        kinds=data["kindColours"],
        level_colours=data["levelColours"],
        note=people.note(),
        waivers=result.waivers,
        resolved=resolved,
        data=_script_json(data),
        css=Markup(env.get_template("report.css").render()),
        script=Markup(script),
        script_hash=f"sha256-{digest}",
    )
    return page if page.endswith("\n") else page + "\n"


def _render(result: CheckResult, people: People, colour: bool) -> str:
    return render(result, people, colour)


FORMAT = OutputFormat(
    name="html",
    help="one self-contained page: findings by level, filters, search, timelines "
    "(people pseudonymised)",
    suffix=".html",
    shared=True,
    render=_render,
    timelines=True,
)
