"""``markdown``: a summary for a CI job summary or a pull-request comment.

Every text that comes from an input (ids, paths, titles, waivers) is escaped before it
is written, so that whatever a registry or ruleset holds renders as text: no raw HTML
(``<!--`` would hide the rest of a job summary, ``<img>`` fetch a URL), no links or
images, no cell split by a ``|``, no code span closed early by a backtick.
"""

from __future__ import annotations

import re

from dualrel.findings import CheckResult
from dualrel.report._base import OutputFormat, People, level_name, step_text

__all__ = ["FORMAT", "code", "escape", "render"]

_ICONS = {3: "🔴", 2: "🟠", 1: "🔵"}


# backslash first, so the escapes added after it stay escapes; & before the entities
_TEXT_ESCAPES = (
    ("\\", "\\\\"),
    ("&", "&amp;"),
    ("<", "&lt;"),
    (">", "&gt;"),
    ("[", "\\["),
    ("]", "\\]"),
    ("`", "\\`"),
    ("|", "\\|"),
)
_LINE_BREAKS = re.compile(r"[\r\n\v\f\x85\u2028\u2029]+")
_BACKTICKS = re.compile(r"`+")


def escape(text: str) -> str:
    """``text`` as Markdown text on one line (a table cell or a sentence): no markup."""
    text = _LINE_BREAKS.sub(" ", text)
    for raw, escaped in _TEXT_ESCAPES:
        text = text.replace(raw, escaped)
    return text


def code(text: str, *, in_table: bool = False) -> str:
    """``text`` as a code span: fenced by more backticks than it holds, so it cannot close
    the span; inside a span nothing is markup, but a table still splits cells at ``|``."""
    text = _LINE_BREAKS.sub(" ", text)
    if in_table:
        text = text.replace("|", "\\|")
    fence = "`" * (max((len(m) for m in _BACKTICKS.findall(text)), default=0) + 1)
    if text.startswith("`") or text.endswith("`"):
        text = f" {text} "
    return f"{fence}{text}{fence}"


def render(result: CheckResult, people: People, colour: bool = False) -> str:
    failing = len(result.failing())
    verdict = (
        f"❌ {failing} open finding(s) at or above level {result.fail_level}"
        if failing
        else f"✅ no open finding at or above level {result.fail_level}"
    )
    rulesets = ", ".join(f"{code(r.id)} {escape(r.version)}" for r in result.rulesets)
    out = [
        "## dualrel check",
        "",
        f"**{verdict}**",
        "",
        f"Registry {code(result.registry.path)} (sha256 `{result.registry.sha256[:12]}`) "
        f"as of {result.as_of.isoformat()}; rulesets {rulesets}.",
        "",
        *(f"> ⚠️ warning ({code(w.code)}): {escape(w.message)}\n" for w in result.warnings),
        "| Level | Findings | Open | Waived | Baselined |",
        "|---|---:|---:|---:|---:|",
    ]
    for level in (3, 2, 1):
        group = [f for f in result.findings if f.finding.level == level]
        counts = {
            s: sum(1 for f in group if f.status == s) for s in ("open", "waived", "baselined")
        }
        out.append(
            f"| {_ICONS[level]} {level_name(level)} | {len(group)} | {counts['open']} | "
            f"{counts['waived']} | {counts['baselined']} |"
        )
    out.append("")
    if result.findings:
        out += [
            "### Findings",
            "",
            "| Level | Severity | Rule | People | Evidence | First step | Status |",
            "|---|---|---|---|---|---|---|",
        ]
        for f in result.findings:
            fd = f.finding
            first = step_text(fd.remediation[0], people) if fd.remediation else ""
            out.append(
                f"| {fd.level} | {escape(fd.severity)} | {escape(fd.title)} "
                f"({code(f'{fd.ruleset.id}/{fd.rule}', in_table=True)}) "
                f"| {escape(people.subjects(f))} | {escape(', '.join(fd.evidence + fd.records))} "
                f"| {escape(first)} | {f.status} |"
            )
        out.append("")
    else:
        out += ["No findings.", ""]
    if result.by_rule():
        out += ["<details><summary>Findings per rule</summary>", ""]
        out += ["| Rule | Findings |", "|---|---:|"]
        out += [f"| {code(rule, in_table=True)} | {n} |" for rule, n in result.by_rule().items()]
        out += ["", "</details>", ""]
    if result.waivers:
        out += [
            "### Waivers",
            "",
            "| Status | Waiver | Expires | Approved by |",
            "|---|---|---|---|",
        ]
        for w in result.waivers:
            out.append(
                f"| {w.status} | {code(w.waiver.source, in_table=True)} "
                f"| {w.waiver.expires.isoformat()} "
                f"| {escape(w.waiver.approved_by)} |"
            )
        out.append("")
    if result.baseline is not None:
        out.append(
            f"Baseline {code(result.baseline.path)}: {len(result.resolved)} finding(s) resolved."
        )
        out.append("")
        for r in result.resolved:
            subjects = " ".join(f"{k}={people.label(v)}" for k, v in sorted(r.subjects.items()))
            out.append(
                f"- resolved: {escape(r.title)} ({code(f'{r.ruleset.id}/{r.rule}')}) "
                f"{escape(subjects)}"
            )
        if result.resolved:
            out.append("")
    out.append(f"_{people.note()}_")
    return "\n".join(out) + "\n"


FORMAT = OutputFormat(
    name="markdown",
    help="summary for a CI job summary or a pull-request comment (people pseudonymised)",
    suffix=".md",
    shared=True,
    render=render,
)
