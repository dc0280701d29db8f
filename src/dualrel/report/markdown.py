"""``markdown``: a summary for a CI job summary or a pull-request comment."""

from __future__ import annotations

from dualrel.findings import CheckResult
from dualrel.report._base import OutputFormat, People, level_name, step_text

__all__ = ["FORMAT", "render"]

_ICONS = {3: "🔴", 2: "🟠", 1: "🔵"}


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def render(result: CheckResult, people: People, colour: bool = False) -> str:
    failing = len(result.failing())
    verdict = (
        f"❌ {failing} open finding(s) at or above level {result.fail_level}"
        if failing
        else f"✅ no open finding at or above level {result.fail_level}"
    )
    rulesets = ", ".join(f"`{r.id}` {r.version}" for r in result.rulesets)
    out = [
        "## dualrel check",
        "",
        f"**{verdict}**",
        "",
        f"Registry `{result.registry.path}` (sha256 `{result.registry.sha256[:12]}`) "
        f"as of {result.as_of.isoformat()}; rulesets {rulesets}.",
        "",
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
                f"| {fd.level} | {fd.severity} | {_cell(fd.title)} (`{fd.ruleset.id}/{fd.rule}`) "
                f"| {_cell(people.subjects(f))} | {_cell(', '.join(fd.evidence + fd.records))} "
                f"| {_cell(first)} | {f.status} |"
            )
        out.append("")
    else:
        out += ["No findings.", ""]
    if result.by_rule():
        out += ["<details><summary>Findings per rule</summary>", ""]
        out += ["| Rule | Findings |", "|---|---:|"]
        out += [f"| `{rule}` | {n} |" for rule, n in result.by_rule().items()]
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
                f"| {w.status} | `{_cell(w.waiver.source)}` | {w.waiver.expires.isoformat()} "
                f"| {_cell(w.waiver.approved_by)} |"
            )
        out.append("")
    if result.baseline is not None:
        out.append(
            f"Baseline `{result.baseline.path}`: {len(result.resolved)} finding(s) resolved."
        )
        out.append("")
        for r in result.resolved:
            subjects = " ".join(f"{k}={people.label(v)}" for k, v in sorted(r.subjects.items()))
            out.append(
                f"- resolved: {_cell(r.title)} (`{r.ruleset.id}/{r.rule}`) {_cell(subjects)}"
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
