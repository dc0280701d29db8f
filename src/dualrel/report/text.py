"""``text``: the default report for people at a terminal, grouped by level.

Every line is passed through :func:`~dualrel._internal.terminal.printable` before it is
coloured: an id or path holding control or bidi characters is shown escaped, never
obeyed by the terminal (nor can a line break in it start a line of its own).
"""

from __future__ import annotations

from dualrel._internal.terminal import printable
from dualrel.findings import CheckResult
from dualrel.report._base import OutputFormat, People, level_name, step_text

__all__ = ["FORMAT", "render"]

_COLOURS = {3: "\033[1;31m", 2: "\033[33m", 1: "\033[36m"}
_DIM = "\033[2m"
_BOLD = "\033[1m"
_RESET = "\033[0m"


def render(result: CheckResult, people: People, colour: bool = False) -> str:
    def c(code: str, text: str) -> str:
        text = printable(text)
        return f"{code}{text}{_RESET}" if colour else text

    lines: list[str] = []

    def add(text: str) -> None:
        lines.append(printable(text))

    rulesets = ", ".join(f"{r.id} {r.version}" for r in result.rulesets)
    total = len(result.findings)
    lines.append(
        c(_BOLD, f"dualrel check: {result.registry.path} as of {result.as_of.isoformat()}")
    )
    add(f"rulesets: {rulesets}")
    if people.names:
        add("names are revealed (--reveal)")
    add("")
    for level in (3, 2, 1):
        group = [f for f in result.findings if f.finding.level == level]
        if not group:
            continue
        lines.append(c(_COLOURS[level], f"{level_name(level).capitalize()}: {len(group)}"))
        for f in group:
            fd = f.finding
            mark = "" if f.status == "open" else f" [{f.status}]"
            lines.append(
                printable(
                    f"  {fd.severity.upper():<8} {fd.ruleset.id}/{fd.rule}{mark}  "
                    f"{people.subjects(f)}  evidence {', '.join(fd.evidence + fd.records)}  "
                )
                + c(_DIM, f"#{fd.fingerprint[:12]}")
            )
            if fd.remediation:
                add(f"           -> {step_text(fd.remediation[0], people)}")
        add("")
    if not result.findings:
        add("No findings.")
        add("")
    if result.waivers:
        add("Waivers:")
        for w in result.waivers:
            target = w.waiver.fingerprint or f"{w.waiver.rule} {dict(w.waiver.subjects or {})}"
            extra = f" ({len(w.findings)} finding(s))" if w.status == "applied" else ""
            add(
                f"  {w.status:<8} {w.waiver.source}  {target}  expires "
                f"{w.waiver.expires.isoformat()}{extra}"
            )
        add("")
    if result.baseline is not None:
        add(f"Baseline {result.baseline.path}: {len(result.resolved)} resolved")
        for r in result.resolved:
            subjects = " ".join(f"{k}={people.label(v)}" for k, v in sorted(r.subjects.items()))
            add(f"  resolved L{r.level} {r.ruleset.id}/{r.rule}  {subjects}  #{r.fingerprint[:12]}")
        add("")
    lines.append(c(_BOLD, "Summary"))
    by_level = result.by_level()
    add("  " + "   ".join(f"level {lvl}: {n}" for lvl, n in by_level.items()))
    status = result.by_status()
    add(
        f"  {total} finding(s): {status['open']} open, {status['waived']} waived, "
        f"{status['baselined']} baselined"
    )
    if result.by_rule():
        width = max(len(k) for k in result.by_rule())
        for rule, n in result.by_rule().items():
            add(f"    {rule:<{width}}  {n}")
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
