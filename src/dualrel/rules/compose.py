"""Several rulesets in one check: each inherited rule evaluated and reported once.

Two rulesets that extend one base (``-r icf-2020 -r counselling-windows``, or the base and
a ruleset extending it) both carry the base's rules. A rule is named and fingerprinted by
its origin, the ruleset that defines it (:attr:`~dualrel.rules.loader.Rule.origin`), so the
copies are one rule: :func:`distinct_rules` keeps the first copy of each rule whose
effective form (after overrides and parameters) another ruleset already brings, and
:func:`merged_findings` keeps one finding per fingerprint (the one of the ruleset given
first) when copies differ (an override widened a window) and two found the same match.
It then drops the findings superseded by a more specific one (``supersedes``).
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from dualrel.finding_table import FindingTable
from dualrel.findings import Finding
from dualrel.rules.loader import Rule, Ruleset

__all__ = ["distinct_rules", "merged_findings", "rule_form", "variant_rules"]

_WORD = re.compile(r"[A-Za-z_]\w*")


def _words(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield from _WORD.findall(value)
    elif isinstance(value, Mapping):
        for k, v in value.items():
            yield from _words(k)
            yield from _words(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _words(v)


def rule_form(rule: Rule) -> tuple[object, ...]:
    """What a rule evaluates and reports, whichever ruleset brought it: two rules of one
    form find the same findings. Of the parameters, only those the pattern may read count
    (any word of the pattern that names one: a rule is never taken for another it is not)."""
    pattern = rule.match.model_dump(mode="json", by_alias=True)
    words = set(_words(pattern))
    used = tuple(sorted((k, v) for k, v in rule.parameters.items() if k in words))
    return (
        rule.origin,
        rule.id,
        rule.title,
        rule.description,
        rule.category,
        rule.severity,
        rule.level,
        rule.citations,
        rule.remediation,
        json.dumps(pattern, sort_keys=True),
        used,
        rule.supersedes,
    )


def distinct_rules(rulesets: Sequence[Ruleset]) -> tuple[Ruleset, ...]:
    """``rulesets`` without the rules an earlier one already brings in the same form."""
    if len(rulesets) < 2:
        return tuple(rulesets)  # a ruleset defines each rule id once
    seen: set[tuple[object, ...]] = set()
    out: list[Ruleset] = []
    for rs in rulesets:
        kept: list[Rule] = []
        for rule in rs.rules:
            form = rule_form(rule)
            if form not in seen:
                seen.add(form)
                kept.append(rule)
        out.append(rs if len(kept) == len(rs.rules) else dataclasses.replace(rs, rules=tuple(kept)))
    return tuple(out)


def variant_rules(rulesets: Sequence[Ruleset]) -> list[str]:
    """``origin/rule`` of every rule two of ``rulesets`` bring in different forms."""
    forms: dict[tuple[str, str], set[tuple[object, ...]]] = {}
    for rs in rulesets:
        for rule in rs.rules:
            forms.setdefault((rule.origin.id, rule.id), set()).add(rule_form(rule))
    return [f"{o}/{r}" for (o, r), found in forms.items() if len(found) > 1]


def merged_findings(findings: Iterable[Finding], rulesets: Sequence[Ruleset]) -> FindingTable:
    """The findings of ``rulesets``, one per fingerprint (the first one), less those
    superseded, as columns (:class:`~dualrel.finding_table.FindingTable`).

    A finding of rule ``T`` is superseded when a rule ``S`` that ``supersedes: [T]`` has a
    finding whose subjects include all of the first one's: every variable of ``T``'s
    finding names the same person in ``S``'s (the loader checks ``S`` names them all).
    """
    table = FindingTable.of(findings)
    rules = [r for rs in rulesets for r in rs.rules]
    if len(rulesets) == 1 and not any(r.supersedes for r in rules):
        return table  # one ruleset finds each match once
    seen: set[str] = set()
    unique: list[int] = []
    for i, fp in enumerate(table.fingerprint):
        if fp not in seen:
            seen.add(fp)
            unique.append(i)
    by: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for rule in rules:
        for target in rule.supersedes:
            by.setdefault(target, []).append((rule.origin.id, rule.id))
    if not by:
        return table.take(unique)
    heads = [(h[1].id, h[0]) for h in table.heads]  # (ruleset id, rule id)
    subjects: dict[tuple[str, str], list[frozenset[tuple[str, str]]]] = {}
    for i in unique:
        key = heads[table.rule[i]]
        subjects.setdefault(key, []).append(frozenset(table.subjects[i].items()))

    def superseded(i: int) -> bool:
        mine = frozenset(table.subjects[i].items())
        return any(
            mine <= other for s in by.get(heads[table.rule[i]], ()) for other in subjects.get(s, ())
        )

    return table.take([i for i in unique if not superseded(i)])
