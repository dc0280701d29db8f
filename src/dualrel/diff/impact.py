"""What a policy change does to the findings on a registry (``dualrel diff``'s impact).

The registry is read once, accepting the tie kinds and roles of both policies, and each
policy is evaluated on it as ``dualrel check`` evaluates its rulesets (the copies of a rule
two rulesets bring reported once, superseded findings dropped).  Findings are matched by
fingerprint: the rule's origin, the subjects and the evidence, so a finding of an inherited
rule is the same finding under the base and under the ruleset that extends it.  Waivers
and baselines do not apply: the impact is on what the rules find.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from dualrel.check import registry_sha256
from dualrel.errors import Problem, RegistryError
from dualrel.findings import Finding
from dualrel.graph import Registry, load_registry
from dualrel.graph.model import CORE_TIE_KINDS
from dualrel.rules import CompiledRuleset, Ruleset, compile_ruleset, evaluate
from dualrel.rules.compose import merged_findings

__all__ = [
    "CHANGE_KINDS",
    "ChangeKind",
    "FindingChange",
    "Impact",
    "compare_findings",
    "counts_text",
    "impacts",
]

ChangeKind = Literal["appears", "disappears", "level", "severity", "remediation"]
#: The kinds of change, in the order reports list them.
CHANGE_KINDS: tuple[ChangeKind, ...] = ("appears", "disappears", "level", "severity", "remediation")


@dataclass(frozen=True, slots=True)
class FindingChange:
    """One finding that appears, disappears, or changes level, severity or remediation
    (a finding whose level and remediation both change is listed once for each)."""

    kind: ChangeKind
    old: Finding | None
    new: Finding | None

    @property
    def finding(self) -> Finding:
        """The new finding, else the old one."""
        found = self.new or self.old
        assert found is not None
        return found

    @property
    def rule(self) -> str:
        """``origin/id`` of the finding's rule."""
        return f"{self.finding.ruleset.id}/{self.finding.rule}"


@dataclass(frozen=True, slots=True)
class Impact:
    """The findings of both policies on one registry, and what changes between them."""

    registry: str
    sha256: str
    as_of: date
    old: tuple[Finding, ...]
    new: tuple[Finding, ...]
    changes: tuple[FindingChange, ...]

    def counts(self) -> dict[ChangeKind, int]:
        """How many changes of each kind (zeros included)."""
        tally = Counter(c.kind for c in self.changes)
        return {k: tally.get(k, 0) for k in CHANGE_KINDS}

    def by_rule(self) -> dict[str, dict[ChangeKind, int]]:
        """Per ``origin/id``, sorted, how many changes of each kind."""
        out: dict[str, dict[ChangeKind, int]] = {}
        for c in self.changes:
            row = out.setdefault(c.rule, dict.fromkeys(CHANGE_KINDS, 0))
            row[c.kind] += 1
        return dict(sorted(out.items()))

    def by_level(self) -> dict[int, tuple[int, int]]:
        """Per level (3, 2, 1): how many findings before and after."""
        before = Counter(f.level for f in self.old)
        after = Counter(f.level for f in self.new)
        return {level: (before.get(level, 0), after.get(level, 0)) for level in (3, 2, 1)}


def _steps(f: Finding) -> tuple[tuple[str, int, str], ...]:
    return tuple((s.action, s.within_days, s.owner) for s in f.remediation)


def compare_findings(old: Sequence[Finding], new: Sequence[Finding]) -> tuple[FindingChange, ...]:
    """The changes from ``old`` to ``new``, matched by fingerprint, in report order."""
    before = {f.fingerprint: f for f in old}
    after = {f.fingerprint: f for f in new}
    out: list[FindingChange] = []
    for fp, f in after.items():
        was = before.get(fp)
        if was is None:
            out.append(FindingChange("appears", None, f))
            continue
        if was.level != f.level:
            out.append(FindingChange("level", was, f))
        if was.severity != f.severity:
            out.append(FindingChange("severity", was, f))
        if _steps(was) != _steps(f):
            out.append(FindingChange("remediation", was, f))
    out += [FindingChange("disappears", f, None) for fp, f in before.items() if fp not in after]
    order = {k: i for i, k in enumerate(CHANGE_KINDS)}
    return tuple(sorted(out, key=lambda c: (order[c.kind], *c.finding.sort_key())))


def _findings(
    registry: Registry,
    rulesets: Sequence[Ruleset],
    compiled: Sequence[CompiledRuleset],
    as_of: date | None,
) -> tuple[list[Finding], date]:
    # as run_check evaluates its rulesets: one evaluation each, then merged
    found: list[Finding] = []
    when = as_of
    for plan in compiled:
        report = evaluate(registry, plan, as_of=as_of)
        found.extend(report.findings)
        when = report.as_of
    assert when is not None
    merged = list(merged_findings(found, rulesets))
    merged.sort(key=Finding.sort_key)
    return merged, when


def impacts(
    registries: Sequence[str | os.PathLike[str]],
    old: Sequence[Ruleset],
    new: Sequence[Ruleset],
    *,
    as_of: date | None = None,
) -> tuple[Impact, ...]:
    """The impact of going from the ``old`` rulesets to the ``new`` ones (each already
    composed: :func:`dualrel.rules.compose.distinct_rules`) on each registry.

    Every registry is read before any is evaluated: the problems of all of them are
    raised at once as one :class:`~dualrel.errors.RegistryError`.
    """
    both = [*old, *new]
    extra_kinds = {k: d for rs in both for k, d in rs.kinds.items() if k not in CORE_TIE_KINDS}
    extra_roles = sorted({r for rs in both for r in rs.roles})
    loaded: list[tuple[str, Registry]] = []
    problems: list[Problem] = []
    for path in registries:
        try:
            reg = load_registry(
                path, extra_kinds=extra_kinds or None, extra_roles=extra_roles, as_of=as_of
            )
        except RegistryError as exc:
            problems.extend(exc.problems)
            continue
        loaded.append((os.fspath(path), reg))
    if problems:
        raise RegistryError(problems)
    plans_old = [compile_ruleset(rs) for rs in old]
    plans_new = [compile_ruleset(rs) for rs in new]
    out: list[Impact] = []
    for path, reg in loaded:
        before, when = _findings(reg, old, plans_old, as_of)
        after, _ = _findings(reg, new, plans_new, as_of)
        out.append(
            Impact(
                path,
                registry_sha256(path),
                when,
                tuple(before),
                tuple(after),
                compare_findings(before, after),
            )
        )
    return tuple(out)


def counts_text(counts: Mapping[ChangeKind, int]) -> str:
    """``3 appear, 1 disappears, 2 change level, ...``: the non-zero kinds, or ``no change``."""
    words = {
        "appears": "appear",
        "disappears": "disappear",
        "level": "change level",
        "severity": "change severity",
        "remediation": "change remediation",
    }
    parts = [f"{n} {words[k]}" for k, n in counts.items() if n]
    return ", ".join(parts) or "no change"
