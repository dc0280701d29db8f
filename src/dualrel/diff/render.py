"""``dualrel diff``'s output: text for a terminal, JSON for tools, markdown for a pull request.

Text and JSON show registry ids, as ``dualrel check``'s text and JSON do; markdown is a
shared report, so people appear as keyed pseudonyms (``dualrel.report.Pseudonymizer``,
keyed by ``DUALREL_PSEUDONYM_KEY``) unless revealed.  No format shows names or other free
text of a registry.  The witness registries of the semantic comparison are made up (their
people are named after the rules' variables), so they are shown as they are.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from dualrel.diff.impact import CHANGE_KINDS, FindingChange, Impact, counts_text
from dualrel.diff.static import RuleChange
from dualrel.errors import InvalidArgument
from dualrel.findings import Finding
from dualrel.report import Pseudonymizer
from dualrel.report.markdown import code, escape

if TYPE_CHECKING:
    from dualrel.diff import PolicyDiff
    from dualrel.testing.diff import SemanticComparison, Witness

__all__ = ["DIFF_FORMATS", "render_diff"]

#: The output formats of ``dualrel diff``.
DIFF_FORMATS = ("text", "json", "markdown")

_VERDICTS = {
    "same": "no difference found",
    "superset": "finds more: a superset of the old rule's matches on every registry tried",
    "subset": "finds less: a subset of the old rule's matches on every registry tried",
    "neither": "finds other matches: each finds some the other does not",
    "not-compared": "not compared",
}
_DIRECTIONS = {
    "old-only": "the old rule finds a match the new policy does not",
    "new-only": "the new policy finds a match the old rule does not",
}


def _show(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return str(value)


def _policy(diff: PolicyDiff, side: str) -> str:
    policy = diff.old if side == "old" else diff.new
    return " + ".join(f"{r.id} {r.version}" for r in policy.names())


def _rule_counts(diff: PolicyDiff) -> str:
    n = {s: sum(1 for c in diff.rules if c.status == s) for s in ("changed", "added", "removed")}
    same = sum(1 for c in diff.rules if c.status == "same")
    return f"{n['changed']} changed, {n['added']} added, {n['removed']} removed, {same} unchanged"


def _rule_brief(change: RuleChange) -> str:
    rule = change.new or change.old
    assert rule is not None
    return f"level {rule.level}, {rule.severity}: {rule.title}"


def _search_head(diff: PolicyDiff) -> str:
    return (
        f"by search, not proof: up to {diff.examples} registries tried each way, seed "
        f"{diff.seed}; a rule unchanged after composition is the same by construction"
    )


def _verdict_line(c: SemanticComparison) -> str:
    target = ", ".join(c.new_rules)
    if c.new_rules == (c.old_rule,):
        target = "its new form"
    if c.verdict == "not-compared":
        return f"{c.old_rule} -> {target}: not compared ({c.reason})"
    if c.verdict == "same":
        return (
            f"{c.old_rule} -> {target}: no difference found in {min(c.tried)} registries each "
            "way (the same matches, as far as the search can tell)"
        )
    return f"{c.old_rule} -> {target}: {_VERDICTS[c.verdict]}"


def _witness_line(w: Witness) -> str:
    return (
        f"{_DIRECTIONS[w.direction]}; found at registry {w.tried} of the search, shrunk "
        "to this case for the new ruleset's tests:"
    )


def _subjects(f: Finding, alias: Callable[[str], str]) -> str:
    return " ".join(f"{k}={alias(v)}" for k, v in sorted(f.subjects.items()))


def _change_text(c: FindingChange, alias: Callable[[str], str]) -> str:
    f = c.finding
    if c.kind == "level" and c.old is not None:
        what = f"level {c.old.level} -> {f.level}"
    elif c.kind == "severity" and c.old is not None:
        what = f"{c.old.severity} -> {f.severity}"
    elif c.kind == "remediation":
        what = f"{len(c.old.remediation) if c.old else 0} -> {len(f.remediation)} step(s)"
    else:
        what = f"level {f.level}"
    return f"{c.kind:<11} {what:<14} {c.rule}  {_subjects(f, alias)}"


# -- text ------------------------------------------------------------------------------------


def _text(diff: PolicyDiff) -> str:
    out = [f"dualrel diff: {_policy(diff, 'old')} -> {_policy(diff, 'new')}", ""]
    out.append(f"rules: {_rule_counts(diff)}")
    for change in diff.rules:
        if change.status == "same":
            continue
        if change.status == "changed":
            renamed = f" -> {change.new_name}" if change.new_name != change.name else ""
            out.append(f"  changed  {change.name}{renamed}")
            out += [
                f"      {fc.field}: {_show(fc.old)} -> {_show(fc.new)}" for fc in change.changes
            ]
        else:
            name = change.name if change.status == "removed" else change.new_name
            out.append(f"  {change.status:<8} {name}  ({_rule_brief(change)})")
    out.append("")
    if diff.semantic_note:
        out += [f"semantic comparison: {diff.semantic_note}", ""]
    elif diff.comparisons:
        out.append(f"semantic comparison, {_search_head(diff)}:")
        for c in diff.comparisons:
            out.append(f"  {_verdict_line(c)}")
            for w in c.witnesses:
                out.append(f"    {_witness_line(w)}")
                out += [f"      {line}" for line in w.case.splitlines()]
        out.append("")
    else:
        out += ["semantic comparison: no changed rule to compare", ""]
    for impact in diff.impacts:
        out += _text_impact(impact)
    verdict = "the policies differ" if diff.differs() else "the policies do not differ"
    out.append(f"{verdict} (exit {diff.exit_code()})")
    return "\n".join(out) + "\n"


def _text_impact(impact: Impact) -> list[str]:
    out = [
        f"impact on {impact.registry} (as of {impact.as_of.isoformat()}): "
        f"{len(impact.old)} finding(s) -> {len(impact.new)}",
        f"  {counts_text(impact.counts())}",
    ]
    levels = "; ".join(f"level {lv}: {a} -> {b}" for lv, (a, b) in impact.by_level().items())
    out.append(f"  {levels}")
    rows = impact.by_rule()
    if rows:
        out.append("  per rule:")
        width = max(len(r) for r in rows)
        out += [f"    {rule:<{width}}  {counts_text(n)}" for rule, n in rows.items()]
        out.append("  findings:")
        out += [f"    {_change_text(c, str)}" for c in impact.changes]
    out.append("")
    return out


# -- markdown --------------------------------------------------------------------------------


def _markdown(diff: PolicyDiff, people: Pseudonymizer) -> str:
    differ = sum(1 for c in diff.rules if c.status != "same")
    head = "⚠️ the policies differ" if diff.differs() else "✅ the policies do not differ"
    out = [
        "## dualrel diff",
        "",
        f"**{head}**: {differ} rule(s) differ ({_rule_counts(diff)}).",
        "",
        f"Old policy: {escape(_policy(diff, 'old'))}; new policy: {escape(_policy(diff, 'new'))}.",
        "",
    ]
    changed = [c for c in diff.rules if c.status != "same"]
    if changed:
        out += ["### Rules", "", "| Change | Rule | What changed |", "|---|---|---|"]
        for c in changed:
            if c.status == "changed":
                what = "; ".join(
                    f"{fc.field}: {_show(fc.old)} → {_show(fc.new)}" for fc in c.changes
                )
                name = c.name if c.new_name == c.name else f"{c.name} → {c.new_name}"
            else:
                what = _rule_brief(c)
                name = c.name if c.status == "removed" else str(c.new_name)
            out.append(f"| {c.status} | {code(name, in_table=True)} | {escape(what)} |")
        out.append("")
    out += ["### What the changed rules find", ""]
    if diff.semantic_note:
        out += [f"Semantic comparison {diff.semantic_note}.", ""]
    elif not diff.comparisons:
        out += ["No changed rule to compare.", ""]
    else:
        out += [f"_{escape(_search_head(diff))}._", ""]
        out += ["| Old rule | New rules | The new policy finds |", "|---|---|---|"]
        for cmp in diff.comparisons:
            verdict = _VERDICTS[cmp.verdict]
            if cmp.verdict == "same":
                verdict += f" in {min(cmp.tried)} registries each way"
            if cmp.verdict == "not-compared":
                verdict += f" ({cmp.reason})"
            news = ", ".join(code(n, in_table=True) for n in cmp.new_rules)
            out.append(f"| {code(cmp.old_rule, in_table=True)} | {news} | {escape(verdict)} |")
        out.append("")
        for cmp in diff.comparisons:
            for w in cmp.witnesses:
                summary = f"{cmp.old_rule}: {_DIRECTIONS[w.direction]} (registry {w.tried})"
                out += [
                    f"<details><summary>{escape(summary)}</summary>",
                    "",
                    "```yaml",
                    w.case.rstrip("\n"),
                    "```",
                    "",
                    "</details>",
                    "",
                ]
    for impact in diff.impacts:
        out += _markdown_impact(impact, people)
    out.append(f"_{people.note()}_")
    return "\n".join(out) + "\n"


def _markdown_impact(impact: Impact, people: Pseudonymizer) -> list[str]:
    out = [
        f"### Impact on {code(impact.registry)}",
        "",
        f"sha256 `{impact.sha256[:12]}`, as of {impact.as_of.isoformat()}: "
        f"{len(impact.old)} finding(s) → {len(impact.new)}; {counts_text(impact.counts())}.",
        "",
        "| Level | Old | New |",
        "|---|---:|---:|",
    ]
    out += [f"| {lv} | {a} | {b} |" for lv, (a, b) in impact.by_level().items()]
    out.append("")
    rows = impact.by_rule()
    if rows:
        out += [
            "| Rule | Appear | Disappear | Level | Severity | Remediation |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for rule, n in rows.items():
            out.append(
                f"| {code(rule, in_table=True)} | "
                + " | ".join(str(n[k]) for k in CHANGE_KINDS)
                + " |"
            )
        out += ["", "<details><summary>Findings that change</summary>", ""]
        out += ["| Change | Rule | People | Level |", "|---|---|---|---|"]
        for c in impact.changes:
            f = c.finding
            level = (
                f"{c.old.level} → {f.level}" if c.old is not None and c.new is not None else f.level
            )
            who = escape(_subjects(f, people.alias))
            out.append(f"| {c.kind} | {code(c.rule, in_table=True)} | {who} | {level} |")
        out += ["", "</details>", ""]
    return out


# -- json ------------------------------------------------------------------------------------


def _finding_json(f: Finding | None) -> dict[str, Any] | None:
    if f is None:
        return None
    return {
        "level": f.level,
        "severity": f.severity,
        "remediation": [
            {"action": s.action, "within_days": s.within_days, "owner": s.owner}
            for s in f.remediation
        ],
    }


def _comparison_json(c: SemanticComparison) -> dict[str, Any]:
    return {
        "old_rule": c.old_rule,
        "new_rules": list(c.new_rules),
        "verdict": c.verdict,
        "examples": c.examples,
        "tried": {"old-only": c.tried[0], "new-only": c.tried[1]},
        "seed": c.seed,
        "reason": c.reason or None,
        "witnesses": [
            {
                "direction": w.direction,
                "tried": w.tried,
                "old_matches": [dict(m) for m in w.old],
                "new_matches": [dict(m) for m in w.new],
                "case": w.case,
            }
            for w in c.witnesses
        ],
    }


def _json(diff: PolicyDiff) -> str:
    doc = {
        "format": "dualrel.diff/1",
        "old": [{"id": r.id, "version": r.version} for r in diff.old.names()],
        "new": [{"id": r.id, "version": r.version} for r in diff.new.names()],
        "differs": diff.differs(),
        "rules": [
            {
                "status": c.status,
                "rule": c.name,
                "new_rule": c.new_name,
                "changes": [{"field": fc.field, "old": fc.old, "new": fc.new} for fc in c.changes],
            }
            for c in diff.rules
        ],
        "semantic": {
            "method": "search",
            "examples": diff.examples,
            "seed": diff.seed,
            "note": diff.semantic_note or None,
            "comparisons": [_comparison_json(c) for c in diff.comparisons],
        },
        "impacts": [
            {
                "registry": i.registry,
                "sha256": i.sha256,
                "as_of": i.as_of.isoformat(),
                "old_findings": len(i.old),
                "new_findings": len(i.new),
                "counts": i.counts(),
                "by_rule": i.by_rule(),
                "by_level": {str(lv): {"old": a, "new": b} for lv, (a, b) in i.by_level().items()},
                "changes": [
                    {
                        "kind": c.kind,
                        "rule": c.rule,
                        "fingerprint": c.finding.fingerprint,
                        "subjects": dict(sorted(c.finding.subjects.items())),
                        "evidence": list(c.finding.evidence),
                        "old": _finding_json(c.old),
                        "new": _finding_json(c.new),
                    }
                    for c in i.changes
                ],
            }
            for i in diff.impacts
        ],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def render_diff(
    diff: PolicyDiff,
    fmt: str = "text",
    *,
    reveal: bool = False,
    pseudonymizer: Pseudonymizer | None = None,
) -> str:
    """``diff`` in one of :data:`DIFF_FORMATS`.  Markdown shows people as pseudonyms keyed
    by ``DUALREL_PSEUDONYM_KEY`` (or ``pseudonymizer``) unless ``reveal``."""
    if fmt == "text":
        return _text(diff)
    if fmt == "json":
        return _json(diff)
    if fmt == "markdown":
        people = Pseudonymizer.reveal() if reveal else (pseudonymizer or Pseudonymizer.from_env())
        return _markdown(diff, people)
    raise InvalidArgument(f"format={fmt!r}: give one of {', '.join(DIFF_FORMATS)}")
