"""``text``: the default report for people at a terminal, grouped by level."""

from __future__ import annotations

from dualrel.findings import CheckResult
from dualrel.report._base import OutputFormat, People, level_name, step_text

__all__ = ["FORMAT", "render"]

_COLOURS = {3: "\033[1;31m", 2: "\033[33m", 1: "\033[36m"}
_DIM = "\033[2m"
_BOLD = "\033[1m"
_RESET = "\033[0m"


def render(result: CheckResult, people: People, colour: bool = False) -> str:
    def c(code: str, text: str) -> str:
        return f"{code}{text}{_RESET}" if colour else text

    lines: list[str] = []
    rulesets = ", ".join(f"{r.id} {r.version}" for r in result.rulesets)
    total = len(result.findings)
    lines.append(
        c(_BOLD, f"dualrel check: {result.registry.path} as of {result.as_of.isoformat()}")
    )
    lines.append(f"rulesets: {rulesets}")
    if people.names:
        lines.append("names are revealed (--reveal)")
    lines.append("")
    for level in (3, 2, 1):
        group = [f for f in result.findings if f.finding.level == level]
        if not group:
            continue
        lines.append(c(_COLOURS[level], f"{level_name(level).capitalize()}: {len(group)}"))
        for f in group:
            fd = f.finding
            mark = "" if f.status == "open" else f" [{f.status}]"
            lines.append(
                f"  {fd.severity.upper():<8} {fd.ruleset.id}/{fd.rule}{mark}  "
                f"{people.subjects(f)}  evidence {', '.join(fd.evidence + fd.records)}  "
                + c(_DIM, f"#{fd.fingerprint[:12]}")
            )
            if fd.remediation:
                lines.append(f"           -> {step_text(fd.remediation[0], people)}")
        lines.append("")
    if not result.findings:
        lines.append("No findings.")
        lines.append("")
    if result.waivers:
        lines.append("Waivers:")
        for w in result.waivers:
            target = w.waiver.fingerprint or f"{w.waiver.rule} {dict(w.waiver.subjects or {})}"
            extra = f" ({len(w.findings)} finding(s))" if w.status == "applied" else ""
            lines.append(
                f"  {w.status:<8} {w.waiver.source}  {target}  expires "
                f"{w.waiver.expires.isoformat()}{extra}"
            )
        lines.append("")
    if result.baseline is not None:
        lines.append(f"Baseline {result.baseline.path}: {len(result.resolved)} resolved")
        for r in result.resolved:
            subjects = " ".join(f"{k}={people.label(v)}" for k, v in sorted(r.subjects.items()))
            lines.append(
                f"  resolved L{r.level} {r.ruleset.id}/{r.rule}  {subjects}  #{r.fingerprint[:12]}"
            )
        lines.append("")
    lines.append(c(_BOLD, "Summary"))
    by_level = result.by_level()
    lines.append("  " + "   ".join(f"level {lvl}: {n}" for lvl, n in by_level.items()))
    status = result.by_status()
    lines.append(
        f"  {total} finding(s): {status['open']} open, {status['waived']} waived, "
        f"{status['baselined']} baselined"
    )
    if result.by_rule():
        width = max(len(k) for k in result.by_rule())
        for rule, n in result.by_rule().items():
            lines.append(f"    {rule:<{width}}  {n}")
    failing = len(result.failing())
    verdict = f"  {failing} open finding(s) at or above level {result.fail_level}"
    lines.append(c(_COLOURS[3] if failing else "\033[32m", verdict))
    return "\n".join(lines) + "\n"


FORMAT = OutputFormat(
    name="text",
    help="grouped by level for people at a terminal (default; colour only on a terminal)",
    suffix=".txt",
    shared=False,
    render=render,
)
