"""What a policy change does, before a committee adopts it: ``dualrel diff``.

:func:`diff_policies` compares an old policy with a new one (each a ruleset, or several
composed as ``dualrel check -r A -r B`` composes them) in three ways:

- the **static diff** (:mod:`dualrel.diff.static`): rules added, removed and changed after
  composition, and for a changed rule each field with its old and new values;
- the **semantic comparison** (:mod:`dualrel.testing.diff`, which needs hypothesis): for
  each changed rule, and each old rule paired with the rules it was split into, whether
  the new rules find a superset, a subset, the same or neither of the old one's matches,
  with the smallest registry showing each difference as a test case.  It is a search, not
  a proof, and says how many registries it tried;
- the **impact** on each registry given (:mod:`dualrel.diff.impact`): the findings that
  appear, disappear or change level, severity or remediation, matched by fingerprint.

:func:`render_diff` writes the result as text, JSON or markdown (people pseudonymised, for
a pull-request comment).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from dualrel._internal.suggest import did_you_mean
from dualrel.check import load_rulesets
from dualrel.diff.impact import (
    CHANGE_KINDS,
    ChangeKind,
    FindingChange,
    Impact,
    compare_findings,
    impacts,
)
from dualrel.diff.render import DIFF_FORMATS, render_diff
from dualrel.diff.static import (
    FieldChange,
    Policy,
    RuleChange,
    RuleStatus,
    compose_policy,
    rule_changes,
    static_diff,
)
from dualrel.errors import InvalidArgument, Problem, RulesetError
from dualrel.rules import Rule, Ruleset

if TYPE_CHECKING:
    from dualrel.testing.diff import SemanticComparison

__all__ = [
    "CHANGE_KINDS",
    "DEFAULT_EXAMPLES",
    "DIFF_FORMATS",
    "ChangeKind",
    "FieldChange",
    "FindingChange",
    "Impact",
    "Policy",
    "PolicyDiff",
    "RuleChange",
    "RuleStatus",
    "compare_findings",
    "compose_policy",
    "diff_policies",
    "impacts",
    "render_diff",
    "rule_changes",
    "static_diff",
]

#: Registries the semantic comparison tries in each direction, by default (the value of
#: :data:`dualrel.testing.diff.DEFAULT_EXAMPLES`, kept here so that reading it needs no
#: hypothesis).
DEFAULT_EXAMPLES = 100
_SEARCH_AS_OF = date(2026, 1, 1)


@dataclass(frozen=True, slots=True)
class PolicyDiff:
    """Everything ``dualrel diff`` reports: the rules, the search and the impacts.

    ``semantic_note`` says why the semantic comparison did not run, when it did not.
    """

    old: Policy
    new: Policy
    rules: tuple[RuleChange, ...]
    comparisons: tuple[SemanticComparison, ...]
    impacts: tuple[Impact, ...]
    examples: int
    seed: int
    semantic_note: str = ""

    def differs(self) -> bool:
        """Whether a rule or a finding differs."""
        return any(c.status != "same" for c in self.rules) or any(i.changes for i in self.impacts)

    def exit_code(self) -> int:
        """0 when nothing differs, 1 when something does (2 is for bad input)."""
        return 1 if self.differs() else 0


def _load_both(
    old: Sequence[str | Path], new: Sequence[str | Path]
) -> tuple[tuple[Ruleset, ...], tuple[Ruleset, ...]]:
    problems: list[Problem] = []
    loaded: list[tuple[Ruleset, ...]] = []
    for refs in (old, new):
        try:
            loaded.append(load_rulesets(refs))
        except RulesetError as exc:
            problems.extend(exc.problems)
    if problems:
        # a ruleset in both policies is read twice: say each problem once
        raise RulesetError(list(dict.fromkeys(problems)))
    return loaded[0], loaded[1]


def _resolve(name: str, policy: Policy, side: str) -> str:
    keys = list(policy.rules())
    if name in keys:
        return name
    by_id = [k for k in keys if k.rpartition("/")[2] == name]
    if len(by_id) == 1:
        return by_id[0]
    if by_id:
        raise InvalidArgument(
            f"pair: the {side} policy has several rules {name!r} ({', '.join(by_id)}): "
            "name one as ORIGIN/ID"
        )
    known = keys + [k.rpartition("/")[2] for k in keys]
    raise InvalidArgument(
        f"pair: the {side} policy has no rule {name!r}{did_you_mean(name, known)}"
    )


def _together(forms: Sequence[tuple[Rule, Ruleset]]) -> Ruleset:
    """One ruleset holding ``forms``' rules, knowing every kind and role they use."""
    return dataclasses.replace(
        forms[0][1],
        rules=tuple(r for r, _ in forms),
        kinds={k: d for _, rs in forms for k, d in rs.kinds.items()},
        roles=frozenset(r for _, rs in forms for r in rs.roles),
    )


def _comparisons(
    old: Policy,
    new: Policy,
    rules: Sequence[RuleChange],
    asked: Mapping[str, Sequence[str]],
    *,
    examples: int,
    seed: int,
    as_of: date,
) -> tuple[SemanticComparison, ...]:
    from dualrel.testing.diff import compare_rules  # noqa: PLC0415 (hypothesis, on use)

    before, after = old.forms(), new.forms()
    todo: dict[str, Sequence[str]] = {
        c.name: [c.new_name] for c in rules if c.status == "changed" and c.new_name is not None
    }
    todo.update(asked)
    out: list[SemanticComparison] = []
    for name in sorted(todo):
        olds = before[name]
        news = [form for n in todo[name] for form in after[n]]
        out.append(
            compare_rules(
                _together(olds),
                [r for r, _ in olds],
                _together(news),
                [r for r, _ in news],
                examples=examples,
                seed=seed,
                as_of=as_of,
            )
        )
    return tuple(out)


def diff_policies(
    old: Sequence[str | Path],
    new: Sequence[str | Path],
    registries: Sequence[str | os.PathLike[str]] = (),
    *,
    as_of: date | None = None,
    examples: int = DEFAULT_EXAMPLES,
    seed: int = 0,
    pairs: Mapping[str, Sequence[str]] | None = None,
    semantic: bool = True,
) -> PolicyDiff:
    """Compare the policy of the ``old`` rulesets (names or paths, composed as ``check``
    composes them) with that of the ``new`` ones, on each of ``registries``.

    ``pairs`` maps an old rule to the new rules that take its place (a rule split in two:
    ``{"romance-client": ["romance-active-client", "romance-former-client"]}``; rules by id,
    or ``origin/id`` when two rulesets bring one id); changed rules are paired with their
    new form without asking.  The search tries ``examples`` registries each way with
    ``seed``, dated around ``as_of`` (2026-01-01 when not given); ``semantic=False`` skips
    it.  Bad input raises ``RulesetError`` or ``RegistryError`` with every located problem.
    """
    if isinstance(examples, bool) or not isinstance(examples, int) or examples < 1:
        raise InvalidArgument(f"examples={examples!r} must be a positive integer")
    if not old or not new:
        raise InvalidArgument("give at least one old and one new ruleset")
    before, after = _load_both(old, new)
    p_old, p_new = compose_policy(old, before), compose_policy(new, after)
    rules = static_diff(p_old, p_new)
    asked = {
        _resolve(o, p_old, "old"): [_resolve(n, p_new, "new") for n in ns]
        for o, ns in (pairs or {}).items()
    }
    found = impacts(registries, p_old.rulesets, p_new.rulesets, as_of=as_of)
    note = ""
    comparisons: tuple[SemanticComparison, ...] = ()
    if not semantic:
        note = "not run (asked not to)"
    else:
        try:
            comparisons = _comparisons(
                p_old,
                p_new,
                rules,
                asked,
                examples=examples,
                seed=seed,
                as_of=as_of or _SEARCH_AS_OF,
            )
        except ImportError:
            note = "not run: it needs hypothesis (pip install 'dualrel[test]')"
    return PolicyDiff(p_old, p_new, rules, comparisons, found, examples, seed, note)
