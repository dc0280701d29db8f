"""What changed between two policies' rules, read after composition (``dualrel diff``).

A policy is one ruleset or several composed as ``dualrel check -r A -r B`` composes them:
``extends`` followed, ``overrides`` applied, parameters resolved, each inherited rule kept
once (:func:`dualrel.rules.compose.distinct_rules`).  Its rules are keyed as their findings
are, by origin and id (``coaching-core/romance-former-client``), so a rule a ruleset
inherits is the same rule as in its base.  Rules left over on both sides with the same id
(a ruleset renamed) are paired too.  For each pair the change is listed field by field:
title, description, category, severity, level, citations, remediation, supersedes, every
part of the pattern that differs (as a path into it), and each parameter the pattern reads,
with its old and new values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from dualrel.findings import RulesetRef
from dualrel.rules import Rule, Ruleset
from dualrel.rules.compose import distinct_rules, rule_form

__all__ = [
    "FieldChange",
    "Policy",
    "RuleChange",
    "RuleStatus",
    "compose_policy",
    "rule_changes",
    "static_diff",
]

RuleStatus = Literal["added", "removed", "changed", "same"]


@dataclass(frozen=True, slots=True)
class Policy:
    """Rulesets composed as one check composes them, and their rules keyed by origin."""

    refs: tuple[str, ...]
    rulesets: tuple[Ruleset, ...]

    def forms(self) -> dict[str, list[tuple[Rule, Ruleset]]]:
        """``origin/id`` -> each form of the rule in use, with the (composed) ruleset that
        brings it: one, unless two rulesets change an inherited rule differently (then the
        check evaluates both, and reports a match found by both once)."""
        out: dict[str, list[tuple[Rule, Ruleset]]] = {}
        for rs in self.rulesets:
            for rule in rs.rules:
                out.setdefault(f"{rule.origin.id}/{rule.id}", []).append((rule, rs))
        return out

    def rules(self) -> dict[str, tuple[Rule, Ruleset]]:
        """``origin/id`` -> the rule's first form and its ruleset, as the check lists it."""
        return {k: v[0] for k, v in self.forms().items()}

    def names(self) -> tuple[RulesetRef, ...]:
        """The rulesets given, by id and version."""
        return tuple(RulesetRef(rs.id, rs.version) for rs in self.rulesets)


def compose_policy(refs: Sequence[str | Path], rulesets: Sequence[Ruleset]) -> Policy:
    """The policy of already loaded ``rulesets`` (see :func:`dualrel.check.load_rulesets`)."""
    return Policy(tuple(str(r) for r in refs), distinct_rules(rulesets))


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One field of a rule, before and after (``None``: absent on that side).

    ``field`` is ``level``, ``citations``, ``parameter former_client_window_days``, or a
    path into the pattern such as ``match.ties[1].kind``.
    """

    field: str
    old: Any
    new: Any


@dataclass(frozen=True, slots=True)
class RuleChange:
    """A rule of either policy: added, removed, changed (with what) or the same."""

    status: RuleStatus
    old: Rule | None
    new: Rule | None
    changes: tuple[FieldChange, ...] = ()

    @property
    def name(self) -> str:
        """``origin/id`` of the old rule, else of the new one."""
        rule = self.old or self.new
        assert rule is not None
        return f"{rule.origin.id}/{rule.id}"

    @property
    def new_name(self) -> str | None:
        """``origin/id`` of the new rule (``None`` for a removed rule)."""
        return f"{self.new.origin.id}/{self.new.id}" if self.new is not None else None


def _flatten(value: Any, path: str, out: dict[str, Any]) -> None:
    if isinstance(value, Mapping) and value:
        for k, v in value.items():
            _flatten(v, f"{path}.{k}", out)
    elif isinstance(value, list) and value and any(isinstance(v, Mapping | list) for v in value):
        for i, v in enumerate(value):
            _flatten(v, f"{path}[{i}]", out)
    else:
        out[path] = value


def _pattern(rule: Rule) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    dumped = rule.match.model_dump(mode="json", by_alias=True, exclude_none=True)
    _flatten(dumped, "match", flat)
    return flat


def _read_parameters(rule: Rule) -> dict[str, Any]:
    # the parameters rule_form counts: those a word of the pattern names
    form = rule_form(rule)
    used = form[10]
    assert isinstance(used, tuple)
    return dict(used)


def _citations(rule: Rule) -> list[str]:
    return [f"{c.code} {c.clause}" for c in rule.citations]


def _remediation(rule: Rule) -> list[str]:
    return [f"{s.action} ({s.owner}, within {s.within_days} days)" for s in rule.remediation]


def _fields(rule: Rule) -> dict[str, Any]:
    return {
        "title": rule.title,
        "description": " ".join(rule.description.split()),
        "category": rule.category,
        "severity": rule.severity,
        "level": rule.level,
        "citations": _citations(rule),
        "remediation": _remediation(rule),
        "supersedes": [f"{o}/{r}" for o, r in rule.supersedes],
    }


def rule_changes(old: Rule, new: Rule) -> tuple[FieldChange, ...]:
    """Every field that differs between two rules, in a fixed order."""
    out: list[FieldChange] = []
    if old.origin.id != new.origin.id:
        out.append(FieldChange("origin", old.origin.id, new.origin.id))
    before, after = _fields(old), _fields(new)
    out += [FieldChange(k, before[k], after[k]) for k in before if before[k] != after[k]]
    p_old, p_new = _pattern(old), _pattern(new)
    for path in sorted(set(p_old) | set(p_new), key=_path_order(p_old, p_new)):
        if p_old.get(path) != p_new.get(path):
            out.append(FieldChange(path, p_old.get(path), p_new.get(path)))
    r_old, r_new = _read_parameters(old), _read_parameters(new)
    for name in sorted(set(r_old) | set(r_new)):
        if r_old.get(name) != r_new.get(name):
            out.append(FieldChange(f"parameter {name}", r_old.get(name), r_new.get(name)))
    return tuple(out)


def _path_order(*flats: Mapping[str, Any]) -> Any:
    # pattern paths in the order the pattern writes them (the old one first)
    order: dict[str, int] = {}
    for flat in flats:
        for path in flat:
            order.setdefault(path, len(order))
    return order.__getitem__


def _form_changes(
    old: Sequence[tuple[Rule, Ruleset]], new: Sequence[tuple[Rule, Ruleset]]
) -> list[FieldChange]:
    """The changes from the old forms of a rule to the new ones: of the first old form to
    each new form no old form equals; with several forms, each change says whose it is."""
    several = len(old) > 1 or len(new) > 1
    out: list[FieldChange] = []
    for rule, rs in new:
        if any(not rule_changes(r, rule) for r, _ in old):
            continue
        for fc in rule_changes(old[0][0], rule):
            field = f"{fc.field} (as {rs.id} brings it)" if several else fc.field
            out.append(FieldChange(field, fc.old, fc.new))
    for rule, rs in old:
        if several and not any(not rule_changes(rule, r) for r, _ in new):
            out.append(FieldChange(f"the form {rs.id} brings", "in use", None))
    return out


def static_diff(old: Policy, new: Policy) -> tuple[RuleChange, ...]:
    """Each rule of either policy, paired by origin and id, then by id alone: removed and
    changed rules first, then added ones, each group in the order of their keys."""
    before, after = old.forms(), new.forms()
    pairs: list[tuple[str | None, str | None]] = [(k, k) for k in before if k in after]
    left = [k for k in before if k not in after]
    right = [k for k in after if k not in before]
    by_id: dict[str, list[str]] = {}
    for k in right:
        by_id.setdefault(_rule_id(k), []).append(k)
    for k in left:
        match = by_id.get(_rule_id(k))
        if match and len(match) == 1:  # one candidate only: a renamed ruleset
            pairs.append((k, match[0]))
            right.remove(match[0])
        else:
            pairs.append((k, None))
    pairs += [(None, k) for k in right]
    out: list[RuleChange] = []
    for a, b in pairs:
        fa = before[a] if a is not None else []
        fb = after[b] if b is not None else []
        if not fa:
            out.append(RuleChange("added", None, fb[0][0]))
        elif not fb:
            out.append(RuleChange("removed", fa[0][0], None))
        else:
            changes = tuple(_form_changes(fa, fb))
            out.append(RuleChange("changed" if changes else "same", fa[0][0], fb[0][0], changes))
    order = {"removed": 0, "changed": 1, "added": 2, "same": 3}
    return tuple(sorted(out, key=lambda c: (order[c.status], c.name)))


def _rule_id(key: str) -> str:
    return key.rpartition("/")[2]
